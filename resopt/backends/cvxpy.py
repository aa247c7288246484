"""Solve a :class:`~resopt.model.LinearModel` written in cvxpy, with HiGHS as the solver."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError, UnsupportedProblemError
from ..model import LinearModel, Solution, solve_empty
from ..result import Status, stopwatch
from .highs import mip_bound

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["solve_cvxpy", "build_cvxpy"]

#: Largest violation (bounds, relative rows, integrality) accepted in a point returned at a limit.
FEASIBILITY_TOL = 1e-6

STATUS_MAP = {
    "optimal": Status.OPTIMAL,
    "optimal_inaccurate": Status.FEASIBLE,
    "infeasible": Status.INFEASIBLE,
    "infeasible_inaccurate": Status.INFEASIBLE,
    "unbounded": Status.UNBOUNDED,
    "unbounded_inaccurate": Status.UNBOUNDED,
    "user_limit": Status.TIME_LIMIT,
    "infeasible_or_unbounded": Status.INFEASIBLE,
}


def build_cvxpy(model: LinearModel) -> tuple[cp.Problem, cp.Variable]:
    """Return ``(problem, x)``: the cvxpy Problem for ``model`` and its variable vector."""
    import cvxpy as cp

    n = model.num_cols
    int_idx = np.flatnonzero(model.integrality)
    cont_idx = np.flatnonzero(~model.integrality)
    parts = []
    if cont_idx.size:
        xc = cp.Variable(cont_idx.size, name="x_cont")
        sel = sp.csr_array((np.ones(cont_idx.size), (cont_idx, np.arange(cont_idx.size))), shape=(n, cont_idx.size))
        parts.append(sel @ xc)
    if int_idx.size:
        xi = cp.Variable(int_idx.size, name="x_int", integer=True)
        sel = sp.csr_array((np.ones(int_idx.size), (int_idx, np.arange(int_idx.size))), shape=(n, int_idx.size))
        parts.append(sel @ xi)
    x = parts[0] if len(parts) == 1 else parts[0] + parts[1]
    objective = model.c @ x + model.offset
    if model.is_qp:
        objective = objective + 0.5 * cp.sum(cp.multiply(model.q, cp.square(x)))
    constraints = []
    lo_fin, hi_fin = np.isfinite(model.col_lower), np.isfinite(model.col_upper)
    if lo_fin.any():
        constraints.append(x[np.flatnonzero(lo_fin)] >= model.col_lower[lo_fin])
    if hi_fin.any():
        constraints.append(x[np.flatnonzero(hi_fin)] <= model.col_upper[hi_fin])
    A = sp.csr_array(model.A)
    eq = model.row_lower == model.row_upper
    lo = np.isfinite(model.row_lower) & ~eq
    hi = np.isfinite(model.row_upper) & ~eq
    for mask, op in ((eq, "eq"), (lo, "ge"), (hi, "le")):
        if mask.any():
            rows = np.flatnonzero(mask)
            expr = A[rows] @ x
            if op == "eq":
                constraints.append(expr == model.row_lower[rows])
            elif op == "ge":
                constraints.append(expr >= model.row_lower[rows])
            else:
                constraints.append(expr <= model.row_upper[rows])
    return cp.Problem(cp.Minimize(objective), constraints), x


def solve_cvxpy(model: LinearModel, *, time_limit: float | None = None, mip_gap: float | None = None) -> Solution:
    """Solve ``model`` through cvxpy with ``solver="HIGHS"``.

    The bound is HiGHS's MIP dual bound (read from ``solver_stats.extra_stats``)
    for MILPs, and the objective for LPs and QPs solved to optimality.
    """
    import cvxpy as cp

    if model.is_mip and model.is_qp:
        raise UnsupportedProblemError("cvxpy with HiGHS cannot solve integer QPs (MIQP).")
    if (empty := solve_empty(model)) is not None:
        return empty
    timings: dict[str, float] = {}
    with stopwatch(timings, "build"):
        problem, x = build_cvxpy(model)
    opts: dict[str, float] = {}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    if mip_gap is not None and model.is_mip:
        opts["mip_rel_gap"] = float(mip_gap)
    with stopwatch(timings, "solve"):
        try:
            problem.solve(solver=cp.HIGHS, **opts)
        except cp.error.SolverError as exc:
            raise SolverError(f"cvxpy/HiGHS failed: {exc}") from exc
    text = str(problem.status)
    status = STATUS_MAP.get(text, Status.ERROR)
    values = None if x.value is None else np.asarray(x.value, dtype=np.float64).ravel()
    if status is Status.TIME_LIMIT and values is not None:
        # A point handed back at a time limit is an incumbent only if it satisfies the model.
        status = Status.FEASIBLE if model.max_violation(values) <= FEASIBILITY_TOL else Status.TIME_LIMIT
    objective = bound = math.nan
    if status.has_solution and values is not None:
        objective = model.objective_value(values)
        if model.is_mip:
            info = getattr(problem.solver_stats, "extra_stats", None)
            bound = mip_bound(info, objective)
        elif status is Status.OPTIMAL:
            bound = objective
    elif status.has_solution:
        status = Status.ERROR
    if text == "user_limit":
        text += " (Time limit reached)" if time_limit is not None else " (a solver limit was reached)"
    return Solution(status, values if status.has_solution else None, objective, bound,
                    f"cvxpy/HiGHS: {text}", timings)
