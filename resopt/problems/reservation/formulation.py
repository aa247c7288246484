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
second, lexicographic solve that minimizes the reserved units subject to the
optimal cost.
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
    """What one backend call returns: new units per pool (NaN where not solved) and the solve's account."""

    reserve: np.ndarray
    status: Status = Status.OPTIMAL
    objective: float = math.nan
    bound: float = math.nan
    solver_status: str = ""
    timings: dict[str, float] = field(default_factory=dict)


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


def _smallest_reserve(model: LinearModel, n_r: int, optimum: float) -> LinearModel:
    """The same model asked for the fewest reserved units among (near-)optimal plans."""
    c = np.zeros(model.num_cols)
    c[:n_r] = 1.0
    slack = 1e-12 * max(1.0, abs(optimum))
    return LinearModel(
        c=c, A=sp.vstack([model.A, sp.csr_array(model.c[None, :])], format="csr"),
        row_lower=np.append(model.row_lower, -np.inf),
        row_upper=np.append(model.row_upper, optimum - model.offset + slack),
        col_lower=model.col_lower, col_upper=model.col_upper, integrality=model.integrality,
        name=model.name + "_fewest_units",
    )


class ModelSolver:
    """A backend that solves :func:`build_model` with a generic :class:`LinearModel` solver."""

    def __init__(self, solver: Callable[..., Solution]) -> None:
        self.solver = solver

    def __call__(self, data: ReservationData, lower: np.ndarray, upper: np.ndarray, active: np.ndarray, *,
                 time_limit: float | None, previous: np.ndarray | None = None) -> PoolSolve:
        reserve = np.full(data.num_pools, np.nan)
        if not active.any():
            return PoolSolve(reserve, objective=0.0, bound=0.0, solver_status="no pool to solve")
        model = build_model(data, lower, upper, active)
        gap = 1e-9 if data.integer else None
        first = self.solver(model, time_limit=time_limit, mip_gap=gap)
        out = PoolSolve(reserve, first.status, first.objective, first.bound, first.solver_status,
                        {f"solve_{k}": v for k, v in first.timings.items()})
        x = first.x
        if first.status is Status.OPTIMAL:
            n_r = int(active.sum())
            tie = self.solver(_smallest_reserve(model, n_r, first.objective), time_limit=time_limit, mip_gap=gap)
            for key, value in tie.timings.items():
                out.timings[f"tie_break_{key}"] = value
            if tie.status.has_solution and tie.x is not None:
                x = tie.x
                out.objective = model.objective_value(x)
        if x is not None and out.status.has_solution:
            r = x[: int(active.sum())]
            reserve[active] = np.round(r) if data.integer else np.clip(r, lower[active], upper[active])
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
            demand = SortedDemand.of(data.blocks[p])
            a = smallest_minimizer(demand, data.reserved[p], data.num_hours, data.tiers[p])
            reserve[p] = argmin(demand, a, data.reserved[p], data.existing[p], data.num_hours, data.tiers[p],
                                lower[p], upper[p], data.integer)
        return PoolSolve(reserve, solver_status="exact search")
