"""Solve a :class:`~resopt.model.LinearModel` with highspy, passed in bulk as arrays."""

from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ..errors import UnsupportedProblemError
from ..model import LinearModel, Solution, solve_empty
from ..result import Status, stopwatch

if TYPE_CHECKING:
    import highspy

__all__ = ["solve_highs", "build_highs", "model_status", "mip_bound", "silence_highs_banner", "IncrementalLP",
           "LPSolution"]

_banner_lock = threading.Lock()
_banner_silenced = False


def silence_highs_banner() -> None:
    """Keep the HiGHS banner off standard output (call before any ``Highs()`` is built).

    highspy 1.16 prints "Running HiGHS ..." to the process's file descriptor 1 the
    first time a ``Highs`` object is built, whatever ``output_flag`` says, which
    would corrupt ``resopt place ... > plan.csv``. The first object is built here
    with descriptor 1 pointed at the null device; later ones print nothing.
    """
    global _banner_silenced
    with _banner_lock:
        if _banner_silenced:
            return
        import highspy

        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError, AttributeError):  # no usable descriptor 1: nothing to protect
            highspy.Highs()
            _banner_silenced = True
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            highspy.Highs()
            _flush_c_stdio()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _banner_silenced = True


def _flush_c_stdio() -> None:
    """Flush the C library's stdout buffer (a banner still buffered must reach the null device)."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - platforms without a C library handle
        pass


def build_highs(model: LinearModel) -> highspy.Highs:
    """Return a silent ``highspy.Highs`` holding ``model`` (one ``passModel`` call)."""
    import highspy

    if model.is_mip and model.is_qp:
        raise UnsupportedProblemError(
            "HiGHS cannot solve integer QPs (MIQP); linearize the quadratic or use another backend."
        )
    silence_highs_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = h.getInfinity()
    lp = highspy.HighsLp()
    lp.num_col_ = model.num_cols
    lp.num_row_ = model.num_rows
    lp.col_cost_ = model.c
    lp.col_lower_ = np.where(np.isneginf(model.col_lower), -inf, model.col_lower)
    lp.col_upper_ = np.where(np.isposinf(model.col_upper), inf, model.col_upper)
    lp.row_lower_ = np.where(np.isneginf(model.row_lower), -inf, model.row_lower)
    lp.row_upper_ = np.where(np.isposinf(model.row_upper), inf, model.row_upper)
    lp.offset_ = float(model.offset)
    csc = sp.csc_array(model.A)
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = model.num_cols
    lp.a_matrix_.num_row_ = model.num_rows
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    if model.is_mip:
        # passModel needs a full-length integrality array: an empty one is read as garbage.
        kinds = np.array([highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger], dtype=object)
        lp.integrality_ = list(kinds[model.integrality.astype(np.intp)])
    h.passModel(lp)
    if model.is_qp:
        hess = highspy.HighsHessian()
        hess.dim_ = model.num_cols
        hess.format_ = highspy.HessianFormat.kTriangular
        hess.start_ = np.arange(model.num_cols + 1, dtype=np.int32)
        hess.index_ = np.arange(model.num_cols, dtype=np.int32)
        hess.value_ = model.q
        h.passHessian(hess)
    return h


def model_status(h: highspy.Highs, is_mip: bool) -> tuple[Status, str]:
    """HiGHS's model status after ``run()`` as a :class:`Status`, with HiGHS's own words.

    A run stopped at a limit is ``feasible`` when HiGHS holds a feasible point, else
    ``time_limit`` (time) or ``error`` (any other limit); never ``optimal``.
    """
    import highspy

    ms = h.getModelStatus()
    text = h.modelStatusToString(ms)
    info = h.getInfo()
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    MS = highspy.HighsModelStatus
    if ms == MS.kOptimal:
        return Status.OPTIMAL, text
    if ms == MS.kInfeasible:
        return Status.INFEASIBLE, text
    if ms in (MS.kUnbounded, MS.kUnboundedOrInfeasible):
        # A MIP reporting "unbounded or infeasible" is usually infeasible; LPs say which.
        return (Status.INFEASIBLE if is_mip and ms == MS.kUnboundedOrInfeasible else Status.UNBOUNDED), text
    if ms in (MS.kTimeLimit, MS.kIterationLimit, MS.kSolutionLimit, MS.kInterrupt,
              MS.kHighsInterrupt, MS.kObjectiveBound, MS.kObjectiveTarget, MS.kMemoryLimit):
        if has_primal:
            return Status.FEASIBLE, text
        return (Status.TIME_LIMIT if ms == MS.kTimeLimit else Status.ERROR), text
    return Status.ERROR, text


def mip_bound(info: Any, objective: float) -> float:
    """HiGHS's MIP dual bound, shifted onto our objective.

    Modelers may drop the objective's constant before HiGHS sees it; the shift
    ``objective - info.objective_function_value`` puts the bound back on the
    scale of the objective we report. NaN when HiGHS has no finite bound.
    """
    dual = float(getattr(info, "mip_dual_bound", math.nan))
    primal = float(getattr(info, "objective_function_value", math.nan))
    if not (math.isfinite(dual) and math.isfinite(primal)):
        return math.nan
    return dual + (objective - primal)


def solve_highs(
    model: LinearModel,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    options: dict[str, object] | None = None,
) -> Solution:
    """Solve ``model`` with HiGHS.

    ``options`` are passed to ``Highs.setOptionValue`` as they are (e.g.
    ``{"solver": "ipm"}``); never ``threads``, which is process-global in HiGHS.
    The bound is HiGHS's MIP dual bound for MILPs and the optimal objective
    for LPs and QPs solved to optimality.
    """
    if (empty := solve_empty(model)) is not None:
        return empty
    timings: dict[str, float] = {}
    with stopwatch(timings, "build"):
        h = build_highs(model)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        if mip_gap is not None and model.is_mip:
            h.setOptionValue("mip_rel_gap", float(mip_gap))
        if model.is_qp:
            # HiGHS's active-set QP can cycle forever on degenerate instances (two identical
            # devices and a total just off a bound did); an iteration cap turns that into a
            # status. Active-set runs need O(n) iterations, so 100 n + 10,000 only stops cycles.
            h.setOptionValue("qp_iteration_limit", 10_000 + 100 * model.num_cols)
        for key, value in (options or {}).items():
            if key == "threads":
                raise ValueError("'threads' is process-global in HiGHS; resopt leaves it alone")
            h.setOptionValue(key, value)
    with stopwatch(timings, "solve"):
        h.run()
    status, text = model_status(h, model.is_mip)
    info = h.getInfo()
    x = None
    objective = bound = math.nan
    if status.has_solution:
        x = np.asarray(h.getSolution().col_value, dtype=np.float64)
        objective = model.objective_value(x)
        if model.is_mip:
            bound = mip_bound(info, objective)
        elif status is Status.OPTIMAL:
            bound = objective
    return Solution(status, x, objective, bound, f"HiGHS: {text}", timings)


@dataclass
class LPSolution:
    """One solve of an :class:`IncrementalLP`.

    ``row_dual`` and ``col_dual`` follow HiGHS: reduced costs are ``c - A'y``, so a
    binding ``<=`` row of a minimization has ``row_dual <= 0``. Both are empty when
    HiGHS has no dual values.
    """

    optimal: bool
    objective: float
    row_dual: np.ndarray
    col_dual: np.ndarray


class IncrementalLP:
    """A HiGHS LP that grows by rows and columns and re-solves from its last basis (column generation).

    Bounds are arrays with ``-inf``/``inf`` for none; sparse entries are given as in
    CSR (rows) or CSC (columns): ``starts``, ``index``, ``value``. Presolve is off, as
    it would run again after every addition.

    Examples
    --------
    >>> lp = IncrementalLP()
    >>> lp.add_rows(np.array([1.0]), np.array([np.inf]))  # x0 + x1 >= 1, columns come next
    >>> lp.add_cols(np.array([2.0, 3.0]), np.zeros(2), np.full(2, np.inf), np.array([0, 1]),
    ...             np.array([0, 0]), np.array([1.0, 1.0]))
    >>> out = lp.solve(time_limit=10.0)
    >>> out.optimal, out.objective, out.row_dual.tolist()
    (True, 2.0, [2.0])
    """

    def __init__(self) -> None:
        import highspy

        silence_highs_banner()  # the first Highs() of a process prints a banner on stdout
        self._highspy = highspy
        self._h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        self.num_rows = 0
        self.num_cols = 0

    def add_rows(self, lower: np.ndarray, upper: np.ndarray, starts: np.ndarray | None = None,
                 index: np.ndarray | None = None, value: np.ndarray | None = None) -> None:
        """Append ``lower.size`` rows; ``starts/index/value`` (CSR over existing columns) may be omitted."""
        n = int(lower.size)
        if starts is None:
            starts, index, value = np.zeros(n, np.int32), np.zeros(0, np.int32), np.zeros(0)
        self._h.addRows(n, np.asarray(lower, np.float64), np.asarray(upper, np.float64), int(index.size),
                        np.asarray(starts, np.int32), np.asarray(index, np.int32), np.asarray(value, np.float64))
        self.num_rows += n

    def add_cols(self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, starts: np.ndarray,
                 index: np.ndarray, value: np.ndarray) -> None:
        """Append ``cost.size`` columns with their entries in existing rows (CSC ``starts/index/value``)."""
        n = int(cost.size)
        self._h.addCols(n, np.asarray(cost, np.float64), np.asarray(lower, np.float64),
                        np.asarray(upper, np.float64), int(index.size), np.asarray(starts, np.int32),
                        np.asarray(index, np.int32), np.asarray(value, np.float64))
        self.num_cols += n

    def solve(self, time_limit: float) -> LPSolution:
        """Solve from the last basis within ``time_limit`` seconds of this call."""
        h = self._h
        # HiGHS's time limit counts from the creation of the object, not from this run
        h.setOptionValue("time_limit", float(h.getRunTime() + max(time_limit, 0.01)))
        h.run()
        optimal = h.getModelStatus() == self._highspy.HighsModelStatus.kOptimal
        sol = h.getSolution()
        return LPSolution(optimal, float(h.getInfo().objective_function_value),
                          np.asarray(sol.row_dual, dtype=np.float64), np.asarray(sol.col_dual, dtype=np.float64))
