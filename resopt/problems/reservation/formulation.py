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

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from ...backends import SolveOptions, solve_within
from ...model import LinearModel, Solution
from ...result import Status
from .inputs import PoolSubproblem, ReservationData

__all__ = ["build_model", "ModelSolver", "DEFAULT_MIP_GAP"]

#: The relative MIP gap asked of the solvers when ``mip_gap`` is None (the MILP is exact).
DEFAULT_MIP_GAP = 1e-9


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
    levels; the second answer replaces the first only if it is no dearer. Each solve
    gets what is left of the time limit and ``mip_gap`` (``DEFAULT_MIP_GAP`` for whole
    units when None); none starts once the budget is spent. The solution's ``x`` holds
    new units per pool (NaN outside ``active``), ``attr["pool_cost"]`` each pool's share
    of the objective.
    """

    def __init__(self, solver: Callable[..., Solution]) -> None:
        self.solver = solver

    def __call__(self, problem: PoolSubproblem, options: SolveOptions) -> Solution:
        data, lower, upper, active = problem.data, problem.lower, problem.upper, problem.active
        reserve = np.full(data.num_pools, np.nan)
        pool_cost = np.full(data.num_pools, np.nan)
        if not active.any():
            return Solution(Status.OPTIMAL, reserve, 0.0, 0.0, "no pool to solve", attr={"pool_cost": pool_cost})
        model = build_model(data, lower, upper, active)
        n_r = int(active.sum())
        gap = options.gap_or(DEFAULT_MIP_GAP if data.integer else None)
        first = solve_within(self.solver, model, options, gap)
        out = Solution(first.status, reserve, first.objective, first.bound, first.solver_status,
                       {f"solve_{k}": v for k, v in first.timings.items()}, {"pool_cost": pool_cost})
        x = self._fewest_units(model, n_r, first, options, gap, out.timings)
        if x is not None and out.status.has_solution:
            out.objective = model.objective_value(x)
            pool_cost[active] = np.bincount(_owner(model, n_r), weights=model.c * x, minlength=n_r)
            r = x[:n_r]
            reserve[active] = np.clip(np.round(r) if data.integer else r, lower[active], upper[active])
        return out

    def _fewest_units(self, model: LinearModel, n_r: int, first: Solution, options: SolveOptions,
                      gap: float | None, timings: dict[str, float]) -> np.ndarray | None:
        """The tie-break: the tilted model's answer when it costs no more than ``first``'s, else
        ``first.x``. Runs only after an optimal first solve and while budget is left; its
        timings go into ``timings``."""
        if first.status is not Status.OPTIMAL:
            return first.x
        tie = solve_within(self.solver, _tilted(model, n_r), options, gap)  # no solve once the budget is spent
        for key, value in tie.timings.items():
            timings[f"tie_break_{key}"] = value
        no_dearer = first.objective + 1e-9 * max(1.0, abs(first.objective))
        if tie.status.has_solution and tie.x is not None and model.objective_value(tie.x) <= no_dearer:
            return tie.x
        return first.x
