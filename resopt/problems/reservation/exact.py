"""The mathematics of one pool: expected cost as a function of the reserved level.

For one pool with demand ``d[s, t]`` (``S`` scenarios, ``T`` hours), reserved
price ``r`` and existing units ``E``, reserving ``R`` new units gives capacity
``C = R + E`` and the expected cost

    f(R) = r * T * R + (1 / S) * sum_{s,t} g(max(d[s, t] - C, 0))

where ``g`` fills the excess from the recourse :class:`~.inputs.Tiers`, cheapest
first. ``g`` is convex piecewise linear (the prices rise from tier to tier), so
``f`` is too. Its right slope is

    f'(C+) = r * T - (1 / S) * sum_k w_k * #{d > C + start_k},   w_k = price_k - price_{k-1}

a non-decreasing step function that changes only at ``C = d_i - start_k``. The
smallest minimizer is therefore the smallest such breakpoint where the slope
turns non-negative; :func:`smallest_minimizer` finds it by one bisection per
tier over the sorted demand, exactly. With whole units the answer is the
floor or the ceiling of it, whichever is cheaper (the smaller on a tie).

Beyond the recourse capacity (no shortfall penalty, limited on-demand and spot)
``f`` is infinite; the search uses the extension that keeps the last tier's
price there, which agrees with ``f`` wherever ``f`` is finite, and the caller
clips the answer to the feasible range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...backends import SolveOptions
from ...model import Solution
from ...result import Status
from .inputs import PoolSubproblem, Tiers

__all__ = ["SortedDemand", "inverted_cdf_index", "smallest_minimizer", "argmin", "ceil_whole", "Fill", "fill",
           "recourse_direct", "solve_exact"]

#: Relative tolerance for ties in cost and for rounding floors up to whole units.
TIE = 1e-9


def ceil_whole(x: np.ndarray | float) -> np.ndarray:
    """Round up to whole units, forgiving float noise (``1.1 * 10`` is 11, not 12)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.ceil(x - TIE * np.maximum(1.0, np.abs(x)))


@dataclass(frozen=True)
class SortedDemand:
    """A pool's demand values sorted ascending, with suffix sums for O(log N) cost queries."""

    values: np.ndarray
    suffix: np.ndarray
    scenarios: int

    @classmethod
    def of(cls, block: np.ndarray, values: np.ndarray | None = None) -> SortedDemand:
        """Sort a ``(scenarios, hours)`` block (``values``: its values already sorted)."""
        values = np.sort(block, axis=None) if values is None else values
        suffix = np.zeros(values.size + 1)
        np.cumsum(values[::-1], out=suffix[-2::-1])  # suffix[i] = sum(values[i:])
        return cls(values, suffix, int(block.shape[0]))

    def above(self, y: np.ndarray | float) -> np.ndarray:
        """How many demand values exceed ``y``."""
        return self.values.size - np.searchsorted(self.values, y, side="right")

    def excess(self, y: np.ndarray | float) -> np.ndarray:
        """``sum(max(d - y, 0))`` over all demand values (0 for ``y = inf``)."""
        y = np.asarray(y, dtype=np.float64)
        j = np.searchsorted(self.values, y, side="right")
        count = self.values.size - j
        with np.errstate(invalid="ignore"):
            return np.where(count > 0, self.suffix[j] - y * count, 0.0)

    def recourse(self, capacity: np.ndarray | float, tiers: Tiers) -> np.ndarray:
        """Expected recourse cost (mean over scenarios, summed over hours) at each capacity.

        Capacities beyond which demand cannot be met cost ``inf``.
        """
        cap = np.asarray(capacity, dtype=np.float64)[..., None]
        lo = cap + tiers.start
        hi = lo + tiers.limit
        total = (tiers.price * (self.excess(lo) - self.excess(hi))).sum(axis=-1)
        unmet = self.above(cap[..., 0] + tiers.capacity * (1 + TIE) + TIE) > 0
        return np.where(unmet, np.inf, total / self.scenarios)


def inverted_cdf_index(n: int, q: float) -> int:
    """Position in ``n`` sorted values of ``numpy.quantile(..., q, method="inverted_cdf")``.

    The smallest ``i`` with ``(i + 1) / n >= q``, computed as NumPy does
    (``n * q - 1``, rounded up unless whole, at least 0), so the value is identical.

    >>> values = np.array([4.0, 1.0, 3.0, 2.0, 5.0])
    >>> bool(np.sort(values)[inverted_cdf_index(5, 0.7)] == np.quantile(values, 0.7, method="inverted_cdf"))
    True
    """
    index = n * q - 1
    below = math.floor(index)
    return max(below if index == below else below + 1, 0)


def smallest_minimizer(demand: SortedDemand, reserved: float, hours: int, tiers: Tiers) -> float:
    """Smallest capacity ``C`` minimizing ``r * T * C + recourse(C)`` (``-inf``: any ``C``).

    The right slope is non-negative exactly when
    ``phi(C) = sum_k w_k * #{d > C + start_k} <= r * T * S``; ``phi`` is a
    non-increasing step function whose jumps are at ``d_i - start_k``. For each
    tier ``k`` a bisection over the sorted ``d_i`` finds the first breakpoint of
    that family where the condition holds; the smallest of them is the answer.
    """
    v = demand.values
    n = v.size
    weight = np.diff(tiers.price, prepend=0.0)
    target = reserved * hours * demand.scenarios
    slack = TIE * max(target, 1e-300)
    if n * tiers.price[-1] <= target + slack:
        return -math.inf  # reserving never beats the dearest recourse in use
    start = tiers.start
    best = math.inf
    for k in range(start.size):
        shift = start - start[k]
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            phi = float(weight @ (n - np.searchsorted(v, v[mid] + shift, side="right")))
            if phi <= target + slack:
                hi = mid
            else:
                lo = mid + 1
        if lo < n:
            best = min(best, float(v[lo] - start[k]))
    return best


def argmin(demand: SortedDemand, a: float, reserved: float, existing: float, hours: int, tiers: Tiers,
           lower: float, upper: float, integer: bool) -> float:
    """The smallest minimizer of the pool's cost over new units ``R`` in ``[lower, upper]``.

    ``a`` is :func:`smallest_minimizer` (a capacity); ``lower`` must be feasible.
    By convexity the answer is ``a - existing`` clipped to the range, or, for
    whole units, the cheaper of its floor and ceiling (the smaller on a tie).
    """
    if a == -math.inf:
        return lower
    x = a - existing
    if not integer:
        return float(min(max(x, lower), upper))
    r0 = float(min(max(math.floor(x), lower), upper))
    r1 = float(min(max(math.ceil(x), lower), upper))
    if r0 == r1:
        return r0
    levels = np.array([r0, r1])
    f0, f1 = reserved * hours * levels + demand.recourse(levels + existing, tiers)
    return r1 if f1 < f0 - TIE * max(1.0, abs(f0)) else r0


@dataclass(frozen=True)
class Fill:
    """How demand is served at one capacity, averaged over scenarios, per hour.

    ``amounts[k]`` is the expected use of recourse tier ``k``; ``excess`` the expected
    demand above reserved capacity; ``covered`` the share of scenario-hours fully
    served by reserved capacity; ``unmet`` the largest demand the recourse cannot serve.
    """

    amounts: np.ndarray
    excess: np.ndarray
    covered: float
    unmet: float

    def cost(self, tiers: Tiers) -> np.ndarray:
        """Expected recourse cost per tier over the horizon (``inf`` everywhere if demand is unmet)."""
        if self.unmet > 0:
            return np.full(tiers.price.size, np.inf)
        return tiers.price * self.amounts.sum(axis=1)


def fill(block: np.ndarray, capacity: float, tiers: Tiers) -> Fill:
    """Serve ``block`` (scenarios x hours) from ``capacity`` reserved units, then the recourse.

    Computed directly from the demand, independently of :class:`SortedDemand`,
    so it can certify the search.
    """
    x = block - capacity
    covered = float(np.count_nonzero(x <= 0)) / x.size
    np.maximum(x, 0.0, out=x)
    amounts = np.empty((tiers.price.size, block.shape[1]))
    for k, (start, limit) in enumerate(zip(tiers.start, tiers.limit)):
        part = np.minimum(x, limit) if start == 0 else np.clip(x - start, 0.0, limit)
        amounts[k] = part.mean(axis=0)
    top = float(x.max()) - tiers.capacity
    unmet = top if top > TIE * max(1.0, tiers.capacity if math.isfinite(tiers.capacity) else 0.0) else 0.0
    return Fill(amounts, x.mean(axis=0), covered, unmet)


def recourse_direct(block: np.ndarray, capacities: np.ndarray, tiers: Tiers) -> np.ndarray:
    """Expected recourse cost at a few capacities, straight from the demand (``inf`` where unmet).

    Only scenario-hours above the smallest capacity can need recourse, so they
    are gathered once and shared by all capacities.
    """
    capacities = np.asarray(capacities, dtype=np.float64)
    tail = block[block > capacities.min()]
    out = np.empty(capacities.size)
    for i, capacity in enumerate(capacities):
        x = tail - capacity
        np.maximum(x, 0.0, out=x)
        top = float(x.max(initial=0.0)) - tiers.capacity
        if top > TIE * max(1.0, tiers.capacity if math.isfinite(tiers.capacity) else 0.0):
            out[i] = np.inf
            continue
        out[i] = sum(price * (np.minimum(x, limit) if start == 0 else np.clip(x - start, 0.0, limit)).sum()
                     for price, start, limit in zip(tiers.price, tiers.start, tiers.limit)) / block.shape[0]
    return out


def solve_exact(problem: PoolSubproblem, options: SolveOptions) -> Solution:
    """The ``"exact"`` backend: :func:`smallest_minimizer` and :func:`argmin` pool by pool.

    ``x`` holds new units per pool (NaN outside ``problem.active``). With
    ``problem.previous`` the answer is that one clipped into the range (exact by
    convexity, no search). The time limit of ``options`` is checked before each pool;
    once spent, the status is ``time_limit`` and the pools not yet searched stay NaN.
    Any ``mip_gap`` is met: each pool's level is its exact minimizer.
    """
    data, lower, upper, active = problem.data, problem.lower, problem.upper, problem.active
    reserve = np.full(data.num_pools, np.nan)
    if problem.previous is not None:
        reserve[active] = np.clip(problem.previous[active], lower[active], upper[active])
        return Solution(Status.OPTIMAL, reserve, solver_status="exact search (clipped)")
    for p in np.flatnonzero(active):
        if options.expired():
            return Solution(Status.TIME_LIMIT, reserve, solver_status=(
                f"exact search: Time limit reached ({options.time_limit:g} s for the whole call) "
                f"with {int(np.isfinite(reserve).sum())} of {int(active.sum())} pools searched"))
        demand = SortedDemand.of(data.blocks[p], data.sorted_demand(p))
        a = smallest_minimizer(demand, data.reserved[p], data.num_hours, data.tiers[p])
        reserve[p] = argmin(demand, a, data.reserved[p], data.existing[p], data.num_hours, data.tiers[p],
                            lower[p], upper[p], data.integer)
    return Solution(Status.OPTIMAL, reserve, solver_status="exact search")
