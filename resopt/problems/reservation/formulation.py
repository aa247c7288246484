"""The reservation LP/MILP, formulated once as a :class:`~resopt.model.LinearModel`.

Scenario-hours with the same demand level behave identically, so each pool's
demand is compressed into its distinct levels ``u_j`` weighted by how often
they occur, ``n_j``::

    minimize   sum_p  r_p * T * R_p  +  sum_{p,j,k} (n_j / S_p) * price_{p,k} * y_{p,j,k}
    subject to R_p + sum_k y_{p,j,k} >= u_j - existing_p        for every level j of pool p
               0 <= y_{p,j,k} <= limit_{p,k}
               lower_p <= R_p <= upper_p,   R_p integer when whole units are asked for

Levels that ``R_p >= lower_p`` already covers need no row. The same model goes
to HiGHS, cvxpy and PuLP; ties between equally cheap levels are broken by a
second solve in which reserved units are made slightly dearer (kept only when
it costs no more than the first).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ...model import LinearModel, Solution
from ...result import Status
from .inputs import ReservationData

__all__ = ["build_model", "PoolSolve", "ModelSolver", "ExactSolver"]


@dataclass
class PoolSolve:
    """What one backend call returns: new units per pool (NaN where not solved) and the solve's account
    (``pool_cost``: each pool's share of the objective, where the backend reports it)."""

    reserve: np.ndarray
    status: Status = Status.OPTIMAL
    objective: float = math.nan
    bound: float = math.nan
    solver_status: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    pool_cost: np.ndarray | None = None


def _levels(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.sort(block, axis=None)
    first = np.flatnonzero(np.diff(values, prepend=-np.inf))
    return values[first], np.diff(first, append=values.size)


def build_model(data: ReservationData, lower: np.ndarray, upper: np.ndarray,
                active: np.ndarray) -> LinearModel:
    """The LP/MILP over the ``active`` pools; column ``i`` is ``R`` of the ``i``-th active pool."""
    pools = np.flatnonzero(active)
    n_r = pools.size
    cost = [data.reserved[pools] * data.num_hours]
    col_lo, col_hi = [lower[pools]], [upper[pools]]
    rows, cols, need = [], [], []
    n_rows, n_cols = 0, n_r
    for i, p in enumerate(pools):
        tiers, block = data.tiers[p], data.blocks[p]
        level, count = _levels(block)
        keep = level - data.existing[p] > lower[p]
        level, count = level[keep], count[keep]
        m, k = level.size, tiers.price.size
        r_idx = n_rows + np.arange(m)
        y_idx = n_cols + np.arange(m * k).reshape(m, k)
        rows += [r_idx, np.repeat(r_idx, k)]
        cols += [np.full(m, i), y_idx.ravel()]
        need.append(level - data.existing[p])
        cost.append((count[:, None] / block.shape[0] * tiers.price).ravel())
        col_lo.append(np.zeros(m * k))
        col_hi.append(np.tile(tiers.limit, m))
        n_rows, n_cols = n_rows + m, n_cols + m * k
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    A = sp.csr_array((np.ones(row.size), (row, col)), shape=(n_rows, n_cols))
    integrality = np.zeros(n_cols, dtype=bool)
    integrality[:n_r] = data.integer
    return LinearModel(
        c=np.concatenate(cost), A=A,
        row_lower=np.concatenate(need) if need else np.zeros(0), row_upper=np.inf,
        col_lower=np.concatenate(col_lo), col_upper=np.concatenate(col_hi),
        integrality=integrality, name="reservation_sizing",
    )


def _owner(model: LinearModel, n_r: int) -> np.ndarray:
    """Which active pool (0..n_r-1) each column belongs to: its R column, or the R of its rows."""
    owner = np.empty(model.num_cols, dtype=np.int64)
    owner[:n_r] = np.arange(n_r)
    A = model.A.tocoo()
    is_y = A.col >= n_r
    row_pool = np.empty(model.num_rows, dtype=np.int64)
    row_pool[A.row[~is_y]] = A.col[~is_y]
    owner[A.col[is_y]] = row_pool[A.row[is_y]]
    return owner


def _tilted(model: LinearModel, n_r: int) -> LinearModel:
    """The same model with every reserved unit made slightly dearer, so that among
    equally cheap plans the solver returns the fewest units. The tilt (1e-6
    relative) is above HiGHS's dual tolerance and far below price steps in practice;
    its answer is only kept when it costs no more than the untilted optimum."""
    c = model.c.copy()
    c[:n_r] += 1e-6 * np.maximum(1.0, np.abs(c[:n_r]))
    return LinearModel(c=c, A=model.A, row_lower=model.row_lower, row_upper=model.row_upper,
                       col_lower=model.col_lower, col_upper=model.col_upper, integrality=model.integrality,
                       offset=model.offset, name=model.name + "_tilted")


class ModelSolver:
    """A backend that solves :func:`build_model` with a generic :class:`LinearModel` solver.

    Two solves: the model itself (its objective and bound are the solver's own),
    then the tilted model of :func:`_tilted` to take the smallest of equally cheap
    levels; the second answer replaces the first only if it is no dearer.
    """

    def __init__(self, solver: Callable[..., Solution]) -> None:
        self.solver = solver

    def __call__(self, data: ReservationData, lower: np.ndarray, upper: np.ndarray, active: np.ndarray, *,
                 time_limit: float | None, previous: np.ndarray | None = None) -> PoolSolve:
        reserve = np.full(data.num_pools, np.nan)
        if not active.any():
            return PoolSolve(reserve, objective=0.0, bound=0.0, solver_status="no pool to solve",
                             pool_cost=np.full(data.num_pools, np.nan))
        model = build_model(data, lower, upper, active)
        n_r = int(active.sum())
        gap = 1e-9 if data.integer else None
        first = self.solver(model, time_limit=time_limit, mip_gap=gap)
        out = PoolSolve(reserve, first.status, first.objective, first.bound, first.solver_status,
                        {f"solve_{k}": v for k, v in first.timings.items()}, np.full(data.num_pools, np.nan))
        x = first.x
        if first.status is Status.OPTIMAL:
            tie = self.solver(_tilted(model, n_r), time_limit=time_limit, mip_gap=gap)
            for key, value in tie.timings.items():
                out.timings[f"tie_break_{key}"] = value
            if (tie.status.has_solution and tie.x is not None
                    and model.objective_value(tie.x) <= first.objective + 1e-9 * max(1.0, abs(first.objective))):
                x = tie.x
        if x is not None and out.status.has_solution:
            out.objective = model.objective_value(x)
            out.pool_cost[active] = np.bincount(_owner(model, n_r), weights=model.c * x, minlength=n_r)
            r = x[:n_r]
            reserve[active] = np.clip(np.round(r) if data.integer else r, lower[active], upper[active])
        return out


class ExactSolver:
    """The vectorized exact method; see :mod:`.exact`. ``previous`` re-uses an earlier,
    wider search: by convexity, clipping its answer into a narrower range is exact."""

    def __call__(self, data: ReservationData, lower: np.ndarray, upper: np.ndarray, active: np.ndarray, *,
                 time_limit: float | None, previous: np.ndarray | None = None) -> PoolSolve:
        from .exact import SortedDemand, argmin, smallest_minimizer

        reserve = np.full(data.num_pools, np.nan)
        if previous is not None:
            reserve[active] = np.clip(previous[active], lower[active], upper[active])
            return PoolSolve(reserve, solver_status="exact search (clipped)")
        for p in np.flatnonzero(active):
            demand = SortedDemand.of(data.blocks[p], data.sorted_demand(p))
            a = smallest_minimizer(demand, data.reserved[p], data.num_hours, data.tiers[p])
            reserve[p] = argmin(demand, a, data.reserved[p], data.existing[p], data.num_hours, data.tiers[p],
                                lower[p], upper[p], data.integer)
        return PoolSolve(reserve, solver_status="exact search")
