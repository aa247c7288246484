"""Core assignment with a quadratic deviation cost.

Split ``total`` cores across devices so that each device's share stays close to
its demand::

    minimize   sum_i w_i (x_i - y_i)^2 + c_i x_i
    subject to sum_i x_i = total,   min_i <= x_i <= capacity_i,   x integer (optional)

The problem is separable and convex with one coupling constraint. With a
multiplier ``lam`` on the sum, each device's best response is

* continuous: ``x_i(lam) = clip(y_i + (lam - c_i) / (2 w_i), min_i, capacity_i)``
* integer: take every unit ``k -> k+1`` whose marginal cost
  ``w_i (2k + 1 - 2 y_i) + c_i`` is below ``lam``, i.e.
  ``x_i(lam) = clip(floor(y_i + (lam - c_i) / (2 w_i) + 1/2), min_i, capacity_i)``

and the total is nondecreasing in ``lam``; the ``"exact"`` backend finds the
right ``lam`` by a safeguarded Newton/secant search in O(n) per step
(greedy marginal allocation is exact for the integer case, Gross 1956;
rounding the continuous answer is not). Its bound is the Lagrangian dual
value ``min_x L(x, lam)``, computed independently of the returned ``x``, so
the reported gap is a certificate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validate import (
    MAX_AMOUNT,
    MAX_PRICE,
    TableLike,
    as_frame,
    check_columns,
    check_flag,
    check_names,
    check_scalar,
    check_unique,
    column_error,
    numeric_column,
)
from ..backends import (MODEL_SOLVER_REQUIRES, Backend, BackendRegistry, Capability, SolveOptions,
                         model_solver, solve_within)
from ..errors import InputError, SolverError, UnsupportedProblemError
from ..model import LinearModel, Solution
from ..result import Result, Status, stopwatch

__all__ = ["assign_cores", "CoreAssignmentResult", "CoreAssignmentData", "CoreBackend", "validate_devices",
           "validate_options", "instance_arguments"]

PROBLEM = "core assignment"
#: The ``backend`` argument of :func:`assign_cores`.
CoreBackend = Literal["auto", "exact", "highs", "cvxpy", "pulp"]
#: Columns of the devices table: required, then optional.
DEVICE_COLUMNS = ("capacity", "demand")
DEVICE_OPTIONAL = ("weight", "unit_cost", "min")
#: Top-level keys of a YAML instance file (``total`` may come from the command line instead).
INSTANCE_KEYS = ("devices",)
INSTANCE_OPTIONAL = ("total", "integer", "name", "description", "optimum")
#: The smallest weight accepted: a device's response to the multiplier scales with 1 / weight.
MIN_WEIGHT = 1e-9
#: Above this many unit increments the integer MILP form is not built.
MAX_MILP_UNITS = 2_000_000
#: The relative MIP gap the model backends ask for when ``mip_gap`` is None (the MILP form is exact).
DEFAULT_MIP_GAP = 1e-9


@dataclass(frozen=True)
class CoreAssignmentData:
    """Validated arrays of one instance (all float64, length n)."""

    capacity: np.ndarray
    demand: np.ndarray
    weight: np.ndarray
    unit_cost: np.ndarray
    minimum: np.ndarray
    total: float
    integer: bool

    @property
    def n(self) -> int:
        return int(self.capacity.size)

    def objective(self, x: np.ndarray, *, scratch: np.ndarray | None = None) -> float:
        """``sum w (x - y)^2 + c x`` at ``x`` (``scratch``: a float array of length n to work in,
        possibly ``x`` itself, which is then overwritten)."""
        linear = np.einsum("i,i->", self.unit_cost, x)  # no BLAS threads left spinning at 10^7 devices
        d = np.subtract(x, self.demand, out=scratch)
        return float(np.einsum("i,i,i->", self.weight, d, d) + linear)


@dataclass(repr=False, eq=False)
class CoreAssignmentResult(Result):
    """Result of :func:`assign_cores`.

    Attributes
    ----------
    x : numpy.ndarray or None
        Cores per device, in the order of the rows of ``devices``.
    multiplier : float
        The multiplier of the sum constraint (the marginal cost of one more core)
        when the backend provides it.
    devices : pandas.DataFrame
        The input table.
    """

    x: np.ndarray | None = None
    multiplier: float = math.nan
    devices: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """``devices`` with an ``assigned`` column (NaN when there is no solution)."""
        frame = self.devices.copy() if self.devices is not None else pd.DataFrame()
        frame["assigned"] = self.x if self.x is not None else np.nan
        return frame

    def plot(self, *, ax: Any = None, max_devices: int = 40) -> Any:
        """Bars of cores assigned against demand and capacity per device; returns the Axes.

        See :func:`resopt.plotting.core_assignment_bars` (``max_devices``: with
        more devices, the ones furthest from their demand are drawn). Without a
        solution, capacity and demand are drawn and the title gives the status.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> ax = assign_cores({"capacity": [4, 2], "demand": [3, 2]}, total=5).plot()
        >>> [float(bar.get_height()) for bar in ax.containers[1]]
        [3.0, 2.0]
        """
        from ..plotting import core_assignment_bars

        ax = core_assignment_bars(self.to_frame(), ax=ax, max_devices=max_devices)
        if not self.success:
            ax.set_title(f"no assignment ({self.status}): capacity and demand only")
        return ax


# ----------------------------------------------------------------------------- validation


def validate_options(integer: Any, backend: Any, time_limit: Any,
                     mip_gap: Any) -> tuple[bool, float | None, float | None]:
    """Check the scalar options of :func:`assign_cores`; return ``(integer, time_limit, mip_gap)``.

    ``integer`` must be a bool, ``backend`` a registered name or ``"auto"``,
    ``time_limit`` None or seconds > 0, ``mip_gap`` None or a number in ``[0, 1]``.

    Raises
    ------
    InputError
        Naming the option and the value.

    Examples
    --------
    >>> validate_options(True, "exact", 5, None)
    (True, 5.0, None)
    """
    return (check_flag(integer, "integer"), *BACKENDS.check_options(backend, time_limit, mip_gap))


def validate_devices(devices: TableLike, total: Any, *, integer: bool) -> tuple[pd.DataFrame, CoreAssignmentData]:
    """Check ``devices`` and ``total``; return the table and its arrays.

    Raises
    ------
    InputError
        Naming the column, the row label and the value of the first problem found.
    """
    table = "devices"
    frame = as_frame(devices, table)
    check_columns(frame, table, DEVICE_COLUMNS, DEVICE_OPTIONAL)
    check_unique(frame.index, table, "index", frame)
    whole = {"integer": True} if integer else {}
    capacity = numeric_column(frame, table, "capacity", minimum=0, maximum=MAX_AMOUNT, **whole)
    demand = numeric_column(frame, table, "demand", maximum=MAX_AMOUNT)
    if "min" in frame.columns:
        minimum = numeric_column(frame, table, "min", minimum=0, maximum=MAX_AMOUNT, **whole)
    else:
        minimum = _constant(0.0, len(frame))
    if "unit_cost" in frame.columns:
        unit_cost = numeric_column(frame, table, "unit_cost", maximum=MAX_PRICE)
    else:
        unit_cost = _constant(1.0, len(frame))
    if "weight" in frame.columns:
        weight = numeric_column(frame, table, "weight", minimum=MIN_WEIGHT, maximum=MAX_AMOUNT)
    else:
        # The source formulation weighs each device by its capacity. A device of
        # capacity 0 is fixed at 0, so its weight is irrelevant: use 1.
        weight = np.where(capacity > 0, capacity, 1.0)
    above = np.flatnonzero(minimum > capacity)
    if above.size:
        pos = int(above[0])
        rule = f"must not exceed 'capacity' ({capacity[pos]:g} there)"
        raise column_error(table, "min", rule, frame, pos, frame["min"].iloc[pos])
    total_value = check_scalar(total, "total", minimum=-MAX_AMOUNT, maximum=MAX_AMOUNT)
    integer = check_flag(integer, "integer")
    data = CoreAssignmentData(capacity, demand, weight, unit_cost, minimum, float(total_value), bool(integer))
    return frame, data


def _constant(value: float, n: int) -> np.ndarray:
    """A read-only length-``n`` array of ``value`` that holds one number (a default column
    costs no memory and no page faults at 10^7 devices)."""
    return np.broadcast_to(np.float64(value), (n,))


def instance_arguments(instance: dict[str, Any], source: str) -> dict[str, Any]:
    """The arguments of :func:`assign_cores` held by a YAML instance (see ``models/core_assignment/``).

    Checks the top-level keys (a misspelt one, ``intger``, is an error rather
    than ignored) and returns ``devices`` plus ``total`` and ``integer`` where given,
    unconverted: :func:`assign_cores` validates them.

    Examples
    --------
    >>> from resopt.io import read_instance
    >>> args = instance_arguments(read_instance("models/core_assignment/worked_example.yaml"), "example")
    >>> sorted(args), args["total"]
    (['devices', 'integer', 'total'], 5)
    """
    check_names(instance, f"The instance file {source}", INSTANCE_KEYS, INSTANCE_OPTIONAL, kind="key")
    if not isinstance(instance["devices"], pd.DataFrame):
        raise InputError(
            f"The 'devices' key of the instance file {source} must hold a list of mappings (one per device). "
            f"Got {instance['devices']!r}."
        )
    return {k: instance[k] for k in ("devices", "total", "integer") if k in instance}


def _infeasibility(data: CoreAssignmentData) -> str | None:
    """Why no assignment exists, quantified; None when one exists."""
    lo, hi, total = float(data.minimum.sum()), float(data.capacity.sum()), data.total
    tol = 1e-9 * max(1.0, abs(total), hi)
    if total > hi + tol:
        return f"total {total:g} exceeds the total capacity {hi:g} by {total - hi:g} cores."
    if total < lo - tol:
        return f"total {total:g} is below the sum of minimums {lo:g} by {lo - total:g} cores."
    if data.integer and total != math.floor(total):
        return f"total {total:g} is fractional but integer cores were asked for (integer=True)."
    return None


# ----------------------------------------------------------------------------- exact method


#: Devices per slice when a pass works a slice at a time (its buffers stay in cache).
SLICE = 1 << 16
#: Devices in the sample whose root starts the continuous search (from 4 x this many devices).
SAMPLE = 1 << 16


class _BudgetSpent(Exception):
    """The time limit ran out inside the exact search (caught by :func:`_solve_exact`)."""


def _check_budget(options: SolveOptions) -> None:
    """Raise :class:`_BudgetSpent` once the budget of ``options`` is spent (between search steps)."""
    if options.expired():
        raise _BudgetSpent


def _slices(n: int) -> list[slice]:
    """``0..n`` cut into slices of :data:`SLICE` (one empty slice for ``n = 0``)."""
    return [slice(lo, min(lo + SLICE, n)) for lo in range(0, n, SLICE)] or [slice(0, 0)]


class _ThresholdSearch:
    """Find the multiplier ``lam`` at which ``sum_i x_i(lam)`` reaches ``total``.

    ``x_i(lam) = clip(r(a_i + b_i lam), lower_i, upper_i)`` with ``r`` the
    identity (continuous) or ``floor`` (integer) is nondecreasing in ``lam``.
    A safeguarded Newton / regula-falsi search keeps a bracket ``[lo, hi]``
    around the answer: :meth:`run` for integers, :meth:`root` (from a sampled
    :meth:`estimate`) for continuous cores.

    Memory: at 10^7 devices every fresh array of length n costs as much in
    page faults as the pass that fills it, so the buffers are allocated once,
    and element-wise work runs a slice of :data:`SLICE` devices at a time so
    its intermediate values stay in cache. A continuous step is one such pass
    (:meth:`_newton_pass`, which sums a slice at a time: slicing moves its
    answer by rounding only). Integer responses are whole numbers, so their
    sum is exact in any order while it stays below 2**53: the integer search
    then also sums a slice at a time and keeps only small buffers
    (``sliced``); its other sums run over the whole array, so its results are
    identical bit for bit however it is sliced. Products are summed with
    ``einsum``, not ``np.dot``: BLAS would leave threads spinning on the other
    core after each call.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                 integer: bool) -> None:
        self.a, self.b, self.lower, self.upper = a, b, lower, upper
        self.integer = integer
        n = a.size
        #: ``sum x`` at its least and its most (every device at its lower / upper bound).
        self.least, self.most = float(lower.sum()), float(upper.sum())
        # With 0 <= lower <= x <= upper every partial sum lies in [0, sum(upper)].
        self.sliced = integer and n > SLICE and float(np.min(lower)) >= 0 and self.most < 2.0**53
        self.parts = _slices(n)
        size = min(SLICE, n) if self.sliced else n
        self._t = np.empty(size)
        # Continuous responses are clipped in place: the free mask reads the same off clipped values.
        self._x = np.empty(size) if integer else self._t
        self._free = np.empty(min(SLICE, n), dtype=bool)
        self._inside = np.empty(min(SLICE, n), dtype=bool)
        self._ones = np.empty(min(SLICE, n))  # a slice's free mask as 0.0 / 1.0
        #: The free mask as 0.0 / 1.0 (integer search), then scratch space.
        self.spare = np.empty_like(a)

    def _buffer(self, array: np.ndarray, part: slice) -> np.ndarray:
        """Where ``part`` of a whole-array buffer lives: its own slice, or the small buffer when sliced."""
        return array[: part.stop - part.start] if self.sliced else array[part]

    def _response_into(self, lam: float, part: slice, out: np.ndarray) -> np.ndarray:
        """``x(lam)`` on ``part`` into ``out``; leaves ``a + b lam`` there in ``_t`` for :meth:`free_mask`."""
        t = np.multiply(self.b[part], lam, out=self._buffer(self._t, part))
        t += self.a[part]
        if self.integer:
            np.floor(t, out=out)
            return np.clip(out, self.lower[part], self.upper[part], out=out)
        return np.clip(t, self.lower[part], self.upper[part], out=out)

    def response(self, lam: float, *, out: np.ndarray | None = None) -> np.ndarray:
        """``x(lam)`` (in ``out``, else a buffer of the search)."""
        if out is None:
            out = self.spare if self.sliced else self._x
        for part in self.parts:
            self._response_into(lam, part, out[part])
        return out

    def free_mask(self, part: slice) -> np.ndarray:
        """Devices of ``part`` strictly inside their bounds at the last response computed there."""
        t = self._buffer(self._t, part)
        free = self._free[: t.size]
        np.greater(t, self.lower[part], out=free)
        free &= np.less(t, self.upper[part], out=self._inside[: t.size])
        return free

    def free_ones(self) -> np.ndarray:
        """The free mask at the last response as 0.0 / 1.0 floats, for the slope's sum of products."""
        for part in self.parts:
            np.copyto(self.spare[part], self.free_mask(part))
        return self.spare

    def _value(self, lam: float) -> float:
        """``sum x(lam)``; when sliced, also the free mask at ``lam`` into ``spare`` as 0.0 / 1.0."""
        if not self.sliced:
            return float(self.response(lam).sum())
        value = 0.0
        for part in self.parts:
            value += float(self._response_into(lam, part, self._buffer(self._x, part)).sum())
            np.copyto(self.spare[part], self.free_mask(part))
        return value

    def gap(self, hi: float, low: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The units ``x(hi)`` takes beyond ``low``: the devices that have some, and how many (floats)."""
        devices, counts = [], []
        for part in self.parts:
            extra = self._response_into(hi, part, self._buffer(self._x, part))
            extra -= low[part]
            where = np.flatnonzero(extra)
            devices.append(where + part.start)
            counts.append(extra[where])
        return np.concatenate(devices), np.concatenate(counts)

    def _extremes(self) -> tuple[float, float]:
        """``min((lower - a) / b)`` and ``max((upper - a + 1) / b)``: no answer lies outside."""
        low, high = math.inf, -math.inf
        a, b, lower, upper = self.a, self.b, self.lower, self.upper
        for part in self.parts:
            t = self._buffer(self._t, part)
            np.subtract(lower[part], a[part], out=t)
            low = min(low, float(np.min(np.divide(t, b[part], out=t))))
            np.subtract(upper[part], a[part], out=t)
            t += 1.0
            high = max(high, float(np.max(np.divide(t, b[part], out=t))))
        return low, high

    def run(self, total: float, target: float, done: Callable[[float, float, float], bool],
            options: SolveOptions) -> tuple[float, float, float, float]:
        """Search until ``done(value, f_lo, f_hi)``; return ``(lo, hi, f_lo, f_hi)``.

        Invariant: ``sum x(lo) < target <= sum x(hi)``. Raises :class:`_BudgetSpent`
        when the time limit of ``options`` runs out between two steps.
        """
        a, b = self.a, self.b
        lo, hi = self._extremes()
        lo, hi = lo - 1.0, hi + 1.0
        f_lo, f_hi = self.least, self.most
        lam = (total - float(a.sum())) / float(b.sum())  # the unconstrained root
        lam = min(max(lam, lo + 0.01 * (hi - lo)), hi - 0.01 * (hi - lo))
        for _ in range(200):
            _check_budget(options)
            value = self._value(lam)
            if value < target:
                lo, f_lo = lam, value
            else:
                hi, f_hi = lam, value
            if done(value, f_lo, f_hi):
                break
            width = hi - lo
            slope = float(np.einsum("i,i->", b, self.spare if self.sliced else self.free_ones()))
            step = lam + (target - value) / slope if slope > 0 else math.nan
            if not lo < step < hi:
                # Regula falsi on the bracket, kept off its ends so it always shrinks.
                frac = (target - f_lo) / (f_hi - f_lo) if f_hi > f_lo else 0.5
                step = lo + min(max(frac, 0.05), 0.95) * width
            if step in (lo, hi) or width <= 4 * np.finfo(float).eps * max(abs(lo), abs(hi), 1.0):
                break
            lam = step
        return lo, hi, f_lo, f_hi

    def _newton_pass(self, lam: float) -> tuple[float, float]:
        """Continuous ``x(lam)`` into the search's buffer, in one pass a slice at a time.

        Returns ``sum x`` and the slope there, ``sum b`` over the free devices.
        """
        value = slope = 0.0
        for part in self.parts:
            x = self._response_into(lam, part, self._x[part])
            mask = self._ones[: x.size]
            np.copyto(mask, self.free_mask(part))
            value += float(x.sum())
            slope += float(np.einsum("i,i->", self.b[part], mask))
        return value, slope

    def root(self, total: float, tol: float, start: float, options: SolveOptions) -> tuple[float, np.ndarray]:
        """Continuous only: the multiplier whose ``sum x(lam)`` is ``total`` to rounding, and ``x`` there.

        Newton steps (the slope is ``sum b`` over the free devices) from ``start``, kept
        inside the bracket of the values seen (regula falsi when a step leaves it; the
        extremes bound it while one end is open). Within ``tol`` it stops once two passes
        share their slope (the same linear piece: the step landed on its root) or a step
        no longer improves. ``x`` is the search's buffer (no copy). Raises :class:`_BudgetSpent`.
        """
        lo, hi = -math.inf, math.inf
        f_lo, f_hi = self.least, self.most
        lam, best, best_residual, last, last_slope = start, start, math.inf, math.nan, math.nan
        extremes: tuple[float, float] | None = None
        for _ in range(200):
            _check_budget(options)
            value, slope = self._newton_pass(lam)
            last, residual = lam, abs(value - total)
            if residual < best_residual:
                best, best_residual = lam, residual
            elif best_residual <= tol:
                break  # at the root to rounding: a further step no longer improves
            if residual <= tol and slope == last_slope:
                break  # lam is the root of this linear piece, which the last pass was on too
            last_slope = slope
            if value < total:
                lo, f_lo = lam, value
            else:
                hi, f_hi = lam, value
            if residual == 0.0:
                break
            step = lam + (total - value) / slope if slope > 0 else math.nan
            if not lo < step < hi:
                if extremes is None:
                    # Every x sits at its lower (upper) bound below (above) these: the root lies inside.
                    extremes = self._extremes()
                    last = math.nan  # _extremes works in the buffer: it no longer holds x(last)
                    if lo < extremes[0] - 1.0:
                        lo, f_lo = extremes[0] - 1.0, self.least
                    if hi > extremes[1] + 1.0:
                        hi, f_hi = extremes[1] + 1.0, self.most
                frac = (total - f_lo) / (f_hi - f_lo) if f_hi > f_lo else 0.5
                step = lo + min(max(frac, 0.05), 0.95) * (hi - lo)
            if step == lam or hi - lo <= 4 * np.finfo(float).eps * max(abs(lo), abs(hi), 1.0) < math.inf:
                break
            lam = step
        if last != best:
            self.response(best)
        return best, self._x

    def estimate(self, total: float, options: SolveOptions) -> float:
        """A starting multiplier: the root on an evenly strided sample of :data:`SAMPLE` devices
        (the unconstrained root ``(total - sum a) / sum b`` below ``4 SAMPLE`` devices)."""
        n = self.a.size
        stride = n // SAMPLE
        if stride < 4:
            return (total - float(self.a.sum())) / float(self.b.sum())
        every = slice(None, None, stride)
        sample = _ThresholdSearch(*(np.ascontiguousarray(v[every]) for v in (self.a, self.b, self.lower, self.upper)),
                                  integer=False)
        if not sample.least < sample.most:
            return (total - float(self.a.sum())) / float(self.b.sum())
        # The same share of the sample's range as of the whole range.
        share = (total - self.least) / (self.most - self.least)
        s_total = sample.least + share * (sample.most - sample.least)
        s_tol = 1e-9 * max(1.0, abs(s_total), sample.most)
        return sample.root(s_total, s_tol, sample.estimate(s_total, options), options)[0]


def _exact_continuous(data: CoreAssignmentData, options: SolveOptions) -> tuple[np.ndarray, float, float, float]:
    """Exact continuous optimum: ``(x, multiplier, dual bound, objective)``.

    ``x`` is the best response to the multiplier, so the Lagrangian dual value
    at that multiplier, ``f(x) - lam (sum x - total)``, is a valid lower bound.
    """
    b, a = _response_line(data, 0.0)
    lower, upper, total = data.minimum, data.capacity, data.total
    search = _ThresholdSearch(a, b, lower, upper, integer=False)
    least, most = search.least, search.most
    if total <= least or total >= most:
        x = np.array(lower if total <= least else upper)
        lam = _multiplier(data, x)
        bound = _dual_value(data, lam, search.response(lam), search.spare)
        return x, lam, bound, data.objective(x, scratch=search.spare)
    tol = 1e-9 * max(1.0, abs(total), most)
    lam, x = search.root(total, tol, search.estimate(total, options), options)
    bound = _dual_value(data, lam, x, a)  # x is the best response to lam; a is spent: scratch
    x = _absorb_residual(x, total, lower, upper)
    return x, lam, bound, data.objective(x, scratch=a)


def _absorb_residual(x: np.ndarray, total: float, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Make ``sum(x) == total`` by moving the rounding-sized residual onto devices with room.

    The first device strictly inside its bounds usually takes it all; otherwise it is
    spread in proportion to each device's room.
    """
    residual = total - float(x.sum())
    if residual == 0.0:
        return x
    for part in _slices(x.size):
        inside = (x[part] > lower[part]) & (x[part] < upper[part])
        if inside.any():
            k = part.start + int(np.argmax(inside))
            if lower[k] <= x[k] + residual <= upper[k]:
                x[k] += residual
                return x
            break
    room = (upper - x) if residual > 0 else (x - lower)
    available = float(room.sum())
    if available > 0.0:
        x += room * (residual / available)
        np.clip(x, lower, upper, out=x)
    return x


def _marginal(data: CoreAssignmentData, k: np.ndarray, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Cost of raising device ``idx`` from ``k`` to ``k + 1`` cores."""
    return data.weight[idx] * (2.0 * k + 1.0 - 2.0 * data.demand[idx]) + data.unit_cost[idx]


def _exact_integer(data: CoreAssignmentData, options: SolveOptions) -> tuple[np.ndarray, float, float, float]:
    """Exact integer optimum by thresholding marginal costs: ``(x, multiplier, dual bound, objective)``.

    Device ``i`` takes every unit whose marginal cost is at most ``lam``:
    ``x_i = clip(floor(a_i + b_i lam), min_i, capacity_i)`` with
    ``a = y - c / (2w) + 1/2`` and ``b = 1 / (2w)``.
    """
    b, a = _response_line(data, 0.5)
    lower, upper, total = data.minimum, data.capacity, data.total
    search = _ThresholdSearch(a, b, lower, upper, integer=True)
    window = None  # the optimality window of x, once known
    if total <= search.least:
        x = lower.copy()
    else:
        batch = max(4096, data.n // 64)  # few enough units to select explicitly
        lo, hi, _, f_hi = search.run(total, total, lambda value, f_lo, f_hi: f_hi - f_lo <= batch or f_hi == total,
                                     options)
        # x takes over the search's spare array: the search no longer needs it.
        if f_hi == total:
            x = search.response(hi, out=search.spare)
        else:  # hi takes too many units, lo too few: add the cheapest units of the gap to lo
            x = search.response(lo, out=search.spare)
            devices, counts = search.gap(hi, x)
            x = _fill_bracket(data, x, devices, counts, int(round(total - x.sum())), batch)
        x, window = _repair_integer(data, x, options)
    lam = _multiplier(data, x, window)
    # The best response to lam rounds (lam - c) / (2w) + y to the nearest integer in [min, capacity].
    # It is written over a (each entry needs only its own a), which the dual value then works in.
    bound = _dual_value(data, lam, search.response(lam, out=a), a)
    return x, lam, bound, data.objective(x, scratch=b)  # b is spent: scratch


def _response_line(data: CoreAssignmentData, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """``b = 1 / (2w)`` and ``a = y - c b + shift``: the best response is ``a + b lam``, clipped."""
    b = np.divide(0.5, data.weight)
    a = np.multiply(data.unit_cost, b)
    np.subtract(data.demand, a, out=a)
    if shift:
        a += shift
    return b, a


def _fill_bracket(data: CoreAssignmentData, base: np.ndarray, dev: np.ndarray, counts: np.ndarray, need: int,
                  batch: int) -> np.ndarray:
    """Add ``need`` of the units between the bracket ends (``counts[j]`` whole units on device
    ``dev[j]``) to ``base``, cheapest first.

    Memory stays proportional to the number of devices: the units are listed
    one by one only when there are at most ``batch`` of them. More can remain
    only when the search stopped at the floating-point resolution of the
    multiplier; those units then cost the same to within rounding and are
    taken in device order (:func:`_repair_integer` undoes any rounding tie).
    """
    if need <= 0:
        return base
    if counts.sum() > batch:
        extra = np.zeros_like(base)
        extra[dev] = counts
        before = np.cumsum(extra) - extra
        base += np.clip(need - before, 0.0, extra)
        return base
    counts = counts.astype(np.int64)
    unit_dev = np.repeat(dev, counts)
    k = base[unit_dev] + (np.arange(unit_dev.size) - np.repeat(np.cumsum(counts) - counts, counts))
    costs = _marginal(data, k, unit_dev)
    # The cheapest units, ties to the lowest device index.
    if need < costs.size:
        cut = np.partition(costs, need - 1)[need - 1]
        below = np.flatnonzero(costs < cut)
        ties = np.flatnonzero(costs == cut)[: need - below.size]
        chosen = np.concatenate([below, ties])
    else:
        chosen = np.arange(costs.size)
    np.add.at(base, unit_dev[chosen], 1.0)
    return base


def _derivative(data: CoreAssignmentData, x: np.ndarray, part: slice = slice(None)) -> np.ndarray:
    """``f_i'(x_i) = c_i + 2 w_i (x_i - y_i)`` (``x`` given on ``part``); integer unit costs are this -/+ ``w_i``."""
    d = np.subtract(x, data.demand[part])
    d *= data.weight[part]
    d *= 2.0
    d += data.unit_cost[part]
    return d


def _optimality_window(data: CoreAssignmentData, x: np.ndarray) -> tuple[float, float]:
    """``(max cost of a unit taken, min cost of a unit left)``; ``x`` is optimal iff first <= second.

    A unit "taken" is one above the device's minimum, a unit "left" one below
    its capacity. For continuous cores both are the derivative at ``x``.
    Computed a slice at a time (a maximum and a minimum are exact in any order).
    """
    last, nxt = -math.inf, math.inf
    for part in _slices(x.size):
        d = _derivative(data, x[part], part)
        cost = d - data.weight[part] if data.integer else d
        # np.where then a plain reduction: 2.6x faster than a reduction with where= (not vectorized).
        last = max(last, float(np.where(x[part] > data.minimum[part], cost, -np.inf).max(initial=-np.inf)))
        if data.integer:
            cost = np.add(d, data.weight[part], out=cost)
        nxt = min(nxt, float(np.where(x[part] < data.capacity[part], cost, np.inf).min(initial=np.inf)))
    return last, nxt


def _repair_integer(data: CoreAssignmentData, x: np.ndarray, options: SolveOptions,
                    max_swaps: int = 10_000) -> tuple[np.ndarray, tuple[float, float]]:
    """Move units from the costliest unit taken to the cheapest unit left until no swap pays.

    The threshold search already returns an optimum; this only undoes ties that
    floating-point rounding put on the wrong side of the threshold. Returns ``x``
    and its :func:`_optimality_window`.
    """
    for _ in range(max_swaps):
        _check_budget(options)
        last, nxt = _optimality_window(data, x)
        if last <= nxt + 1e-12 * max(1.0, abs(last), abs(nxt)):
            return x, (last, nxt)
        d = _derivative(data, x)
        give = int(np.argmax(np.where(x > data.minimum, d - data.weight, -np.inf)))
        take = int(np.argmin(np.where(x < data.capacity, d + data.weight, np.inf)))
        x[give] -= 1.0
        x[take] += 1.0
    raise SolverError("core assignment: the integer exchange repair did not converge")


def _multiplier(data: CoreAssignmentData, x: np.ndarray, window: tuple[float, float] | None = None) -> float:
    """A multiplier of the sum constraint: between the costliest unit taken and the cheapest left
    (``window``: :func:`_optimality_window` of ``x`` when already known)."""
    hi_last, lo_next = _optimality_window(data, x) if window is None else window
    if math.isfinite(hi_last) and math.isfinite(lo_next):
        return 0.5 * (hi_last + lo_next)
    if math.isfinite(hi_last):
        return hi_last
    return lo_next if math.isfinite(lo_next) else 0.0


def _dual_value(data: CoreAssignmentData, lam: float, x_min: np.ndarray, scratch: np.ndarray | None = None) -> float:
    """Lagrangian dual value at ``lam``, given the minimizer ``x_min`` of ``L(., lam)``.

    ``min_x sum f_i(x_i) - lam (sum x - total)`` is a lower bound on the optimum
    for every ``lam`` (weak duality). ``x_min`` must come from ``lam`` alone
    (the closed-form best response), never from the primal solution.
    """
    taken = float(x_min.sum())  # before the objective, which may work in x_min itself (scratch)
    return data.objective(x_min, scratch=scratch) + lam * (data.total - taken)


def _solve_exact(data: CoreAssignmentData, options: SolveOptions) -> Solution:
    """The ``"exact"`` backend: the threshold search, its multiplier in ``attr["multiplier"]``.

    The budget of ``options`` is checked before the search and between its steps; once
    spent, the status is ``time_limit`` with no assignment (the search holds none that
    sums to ``total`` until it ends). Any ``mip_gap`` is met: the answer is optimal.
    """
    kind = "integer marginal threshold" if data.integer else "multiplier search"
    try:
        _check_budget(options)
        x, lam, bound, objective = (_exact_integer if data.integer else _exact_continuous)(data, options)
    except _BudgetSpent:
        return Solution(Status.TIME_LIMIT, solver_status=f"exact ({kind}): Time limit reached "
                        f"({options.time_limit:g} s for the whole call)")
    return Solution(Status.OPTIMAL, x, objective, bound,
                    f"exact ({kind}), dual bound at multiplier {lam:.6g}", attr={"multiplier": lam})


# ----------------------------------------------------------------------------- model forms


def build_model(data: CoreAssignmentData) -> tuple[LinearModel, sp.csr_array]:
    """The canonical model: a diagonal QP (continuous) or an epigraph MILP (integer).

    Returns the model and the matrix that maps its columns to ``x``; see
    :func:`_quadratic_model` and :func:`_chord_model`.
    """
    return _chord_model(data) if data.integer else _quadratic_model(data)


def _quadratic_model(data: CoreAssignmentData) -> tuple[LinearModel, sp.csr_array]:
    """The continuous problem as it stands: a QP with a diagonal Hessian and one sum row."""
    n = data.n
    model = LinearModel(
        c=data.unit_cost - 2.0 * data.weight * data.demand,
        q=2.0 * data.weight,
        offset=float(np.dot(data.weight, data.demand**2)),
        A=sp.csr_array(np.ones((1, n))),
        row_lower=[data.total],
        row_upper=[data.total],
        col_lower=np.array(data.minimum),
        col_upper=data.capacity,
        name="core_assignment_qp",
    )
    return model, sp.csr_array(sp.eye_array(n))


def _chord_model(data: CoreAssignmentData) -> tuple[LinearModel, sp.csr_array]:
    """The integer problem as an epigraph MILP, exact at integer points.

    Each device gets an integer ``x_i`` and a cost variable ``t_i`` bounded below by
    every chord of its convex cost between consecutive integers,
    ``t_i >= f_i(k) + m_ik (x_i - k)`` for ``k in [min_i, capacity_i)`` with
    ``m_ik = f_i(k+1) - f_i(k)``. Refused above :data:`MAX_MILP_UNITS` chords.
    """
    n, total = data.n, data.total
    units = (data.capacity - data.minimum).astype(np.int64)
    if units.sum() > MAX_MILP_UNITS:
        raise UnsupportedProblemError(
            f"The integer MILP form of core assignment would need {int(units.sum()):,} chord rows "
            f"(limit {MAX_MILP_UNITS:,}); use backend='exact'."
        )
    dev = np.repeat(np.arange(n), units)
    k = data.minimum[dev] + (np.arange(dev.size) - np.repeat(np.cumsum(units) - units, units))
    slope = _marginal(data, k, dev)
    f_k = data.weight[dev] * (k - data.demand[dev]) ** 2 + data.unit_cost[dev] * k
    chords = dev.size
    # Columns: x_0..x_{n-1}, then t_0..t_{n-1}. Rows: one per chord, then the total.
    rows = np.concatenate([np.arange(chords), np.arange(chords), np.full(n, chords)])
    cols = np.concatenate([n + dev, dev, np.arange(n)])
    vals = np.concatenate([np.ones(chords), -slope, np.ones(n)])
    # t_i is at least the least cost over integers in range (exact for fixed devices).
    x_best = np.clip(np.round(data.demand - data.unit_cost / (2 * data.weight)), data.minimum, data.capacity)
    t_floor = data.weight * (x_best - data.demand) ** 2 + data.unit_cost * x_best
    model = LinearModel(
        c=np.concatenate([np.zeros(n), np.ones(n)]),
        A=sp.csr_array((vals, (rows, cols)), shape=(chords + 1, 2 * n)),
        row_lower=np.concatenate([f_k - slope * k, [total]]),
        row_upper=np.concatenate([np.full(chords, np.inf), [total]]),
        col_lower=np.concatenate([data.minimum, t_floor]),
        col_upper=np.concatenate([data.capacity, np.full(n, np.inf)]),
        integrality=np.concatenate([np.ones(n, dtype=bool), np.zeros(n, dtype=bool)]),
        name="core_assignment_milp",
    )
    return model, sp.csr_array(sp.eye_array(n, 2 * n))


def _model_backend(solver: Callable[..., Solution]) -> Callable[[CoreAssignmentData, SolveOptions], Solution]:
    """A backend that solves :func:`build_model` with a generic :class:`LinearModel` solver.

    The solver gets what is left of the time limit and ``mip_gap`` (``DEFAULT_MIP_GAP``
    for the integer form when None); ``x`` is mapped back to cores per device.
    """

    def solve(data: CoreAssignmentData, options: SolveOptions) -> Solution:
        model, to_x = build_model(data)
        sol = solve_within(solver, model, options, DEFAULT_MIP_GAP if data.integer else None)
        x, objective = None, math.nan
        if sol.x is not None:
            x = to_x @ sol.x
            if data.integer:
                x = np.round(x)
            objective = data.objective(x)
        return Solution(sol.status, x, objective, sol.bound, sol.solver_status, sol.timings)

    return solve


#: What every backend of core assignment can do besides its variable kinds.
_OPTIONS = (Capability.TIME_LIMIT, Capability.MIP_GAP, Capability.BOUND)
BACKENDS = BackendRegistry(
    PROBLEM,
    [
        Backend("exact", _solve_exact, frozenset({Capability.CONTINUOUS, Capability.INTEGER, *_OPTIONS})),
        *(
            Backend(name, _model_backend(model_solver(name)), frozenset({*kinds, *_OPTIONS}),
                    MODEL_SOLVER_REQUIRES[name])
            for name, kinds in (("highs", (Capability.CONTINUOUS, Capability.INTEGER)),
                                ("cvxpy", (Capability.CONTINUOUS, Capability.INTEGER)),
                                ("pulp", (Capability.INTEGER,)))
        ),
    ],
)


# ----------------------------------------------------------------------------- public API


def assign_cores(
    devices: TableLike,
    total: float,
    *,
    integer: bool = True,
    backend: CoreBackend = "auto",
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> CoreAssignmentResult:
    """Split ``total`` cores across devices at least quadratic deviation cost.

    Solves ``minimize sum w_i (x_i - y_i)^2 + unit_cost_i x_i`` subject to
    ``sum x_i = total`` and ``min_i <= x_i <= capacity_i`` (integer ``x`` when
    ``integer=True``).

    Parameters
    ----------
    devices : DataFrame or mapping of column -> sequence
        ``capacity`` (>= 0) and ``demand`` (the target ``y``) are required;
        ``weight`` (> 0, default: the capacity), ``unit_cost`` (default 1) and
        ``min`` (default 0) are optional. The index labels the devices.
    total : float
        Cores to hand out.
    integer : bool, default True
        Whole cores per device.
    backend : {"auto", "exact", "highs", "cvxpy", "pulp"}
        ``"exact"`` is vectorized NumPy and exact for both cases; ``"highs"`` and
        ``"cvxpy"`` solve the QP (continuous) or the exact MILP form (integer)
        with HiGHS; ``"pulp"`` solves the MILP form only. ``"auto"`` runs ``"exact"``.
    time_limit : float, optional
        Wall-clock budget in seconds for the whole call, validation included
        (default None: no limit). Every backend honours it: the exact search checks
        it between its steps, the model backends pass what is left to the solver.
        When it runs out the status is ``time_limit``, with the solver's incumbent
        when it has a valid one (status ``feasible``) and no assignment otherwise.
    mip_gap : float, optional
        Relative optimality gap at which the integer MILP form may stop (in
        ``[0, 1]``; default None: 1e-9 for the model backends). The exact method
        always returns an optimum, so it meets any gap.

    Returns
    -------
    CoreAssignmentResult
        ``x`` in the order of the rows of ``devices``; ``to_frame()`` adds an
        ``assigned`` column. Infeasible input gives status ``infeasible`` with
        the shortfall in the message.

    Raises
    ------
    InputError
        Bad input, naming the column, the row and the value (for the options:
        ``integer``, ``backend``, ``time_limit`` or ``mip_gap``).

    Examples
    --------
    >>> res = assign_cores({"capacity": [4, 2], "demand": [3, 2]}, total=5)
    >>> res.x.tolist(), res.objective
    ([3.0, 2.0], 5.0)
    >>> assign_cores({"capacity": [4, 2], "demand": [3, 2]}, total=5, time_limit=1e-9).status
    <Status.TIME_LIMIT: 'time_limit'>
    """
    integer, time_limit, mip_gap = validate_options(integer, backend, time_limit, mip_gap)
    options = SolveOptions.start(time_limit, mip_gap)
    timings: dict[str, float] = {}
    with stopwatch(timings, "validate"):
        frame, data = validate_devices(devices, total, integer=integer)
        needs = {Capability.INTEGER if data.integer else Capability.CONTINUOUS}
        chosen = BACKENDS.resolve(backend, needs=needs, instance=data, options=options)
    result = CoreAssignmentResult(status=Status.ERROR, backend=chosen.name, problem=PROBLEM, devices=frame)
    reason = _infeasibility(data)
    if reason is not None:
        result.status, result.message = Status.INFEASIBLE, reason
    else:
        with stopwatch(timings, "solve"):
            sol: Solution = chosen.solve(data, options)
        timings.update({f"solver_{k}": v for k, v in sol.timings.items()})
        result.status = sol.status
        result.bound = float(sol.bound)
        result.multiplier = float(sol.attr.get("multiplier", math.nan))
        if sol.x is not None and Status(sol.status).has_solution:
            result.x = np.asarray(sol.x, dtype=np.float64)
            result.objective = sol.objective
        result.message = _describe(result, data) + f" Solver status: {sol.solver_status}."
    result.timings = timings
    result.runtime_s = time.perf_counter() - options.started
    return result


def _describe(result: CoreAssignmentResult, data: CoreAssignmentData) -> str:
    kind = "integer" if data.integer else "continuous"
    if result.x is None:
        return f"No {kind} assignment of {data.total:g} cores over {data.n} devices."
    return f"Assigned {result.x.sum():g} of {data.total:g} cores over {data.n} devices ({kind})."
