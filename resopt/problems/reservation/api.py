"""size_reservations: the public entry points and the solve shared by every backend."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from ..._validate import check_scalar
from ...backends import MODEL_SOLVER_REQUIRES, Backend, BackendRegistry, model_solver
from ...result import Status, stopwatch
from .exact import TIE, Fill, ceil_whole, fill, inverted_cdf_index, recourse_direct
from .formulation import ExactSolver, ModelSolver, PoolSolve
from .inputs import RECOURSE, ReservationData, read_arrays, read_inputs
from .result import RESERVATION_COLUMNS, Decisions, ReservationResult, empty_parts, hourly_frame

__all__ = ["size_reservations", "size_reservations_array", "BACKENDS", "PROBLEM"]

PROBLEM = "reservation sizing"


BACKENDS = BackendRegistry(
    PROBLEM,
    [
        Backend("exact", ExactSolver(), frozenset({"continuous", "integer"})),
        *(
            Backend(name, ModelSolver(model_solver(name)), frozenset({"continuous", "integer", "time_limit"}),
                    MODEL_SOLVER_REQUIRES[name])
            for name in ("highs", "cvxpy", "pulp")
        ),
    ],
)


def size_reservations(
    demand: Any,
    prices: Any,
    *,
    service_level: float | None = None,
    safety_margin: float = 0.0,
    integer: bool = True,
    backend: str = "auto",
    time_limit: float | None = None,
) -> ReservationResult:
    """How many units to reserve per pool, against on-demand, spot and shortfall.

    Per pool, with ``T`` hours in the horizon, chooses new reserved units ``R`` to

    ``minimize reserved * T * R + mean over scenarios of sum over hours of
    (on_demand * o + spot * q + shortfall_penalty * u)``

    where each hour's demand above ``R + existing`` is filled cheapest first from
    on-demand (up to ``on_demand_limit``), spot (up to ``spot_limit``) and, when a
    ``shortfall_penalty`` is given, left unmet at that penalty. With a
    ``service_level`` alpha, ``R + existing`` must also cover ``(1 + safety_margin)``
    times the alpha-quantile of the pool's demand over all scenario-hours
    (``numpy.quantile(..., method="inverted_cdf")``); without one, the safety
    margin scales the cost-optimal capacity (``R + existing``) instead. Among
    equally cheap levels the smallest is taken. Existing units are already paid for.

    Parameters
    ----------
    demand : DataFrame or mapping of column -> sequence
        ``pool``, ``hour`` (integer or timestamp), ``demand`` (units, >= 0) and
        optionally ``scenario`` (default: one scenario). Every (pool, scenario)
        must cover the same hours; pools may have different scenario sets.
    prices : DataFrame or mapping of column -> sequence
        One row per pool: ``pool``, ``reserved`` and ``on_demand`` (USD per
        unit-hour; reserved units are paid for every hour); optional ``spot``
        (empty: no spot market), ``spot_limit`` and ``on_demand_limit`` (units per
        hour; empty: unlimited), ``existing`` (units already reserved, default 0),
        ``shortfall_penalty`` (USD per unmet unit-hour; empty: demand must be met)
        and ``reserve_limit`` (most new units that can be reserved; empty:
        unlimited). Pools without demand are ignored.
    service_level : float in (0, 1], optional
        Share of scenario-hours reserved capacity must cover.
    safety_margin : float, default 0
        Relative head-room on the service-level quantile (or on the cost-optimal
        capacity when there is no service level).
    integer : bool, default True
        Reserve whole units (floors are rounded up).
    backend : {"auto", "exact", "highs", "cvxpy", "pulp"}
        ``"exact"`` (vectorized NumPy, exact; what ``"auto"`` runs) or the LP/MILP
        with HiGHS, directly or through cvxpy or PuLP.
    time_limit : float, optional
        Seconds per solver call (LP backends only).

    Returns
    -------
    ReservationResult
        ``reservations`` (one row per pool), ``hourly`` and ``curve(pool)``. A pool
        whose demand cannot be met within its ``reserve_limit`` (no shortfall
        penalty), or whose service level needs more than that limit, makes the
        status ``infeasible``; the message names it.

    Raises
    ------
    InputError
        Bad input, naming the table, the column, the row and the value.

    Warns
    -----
    UserWarning
        When a pool's reserved price is above its on-demand price.

    Examples
    --------
    >>> demand = {"pool": ["h100"] * 4, "hour": [0, 1, 2, 3], "demand": [2, 4, 4, 8]}
    >>> prices = {"pool": ["h100"], "reserved": [1.0], "on_demand": [2.5]}
    >>> res = size_reservations(demand, prices)
    >>> res.reservations[["pool", "reserve", "binding", "expected_cost"]]
       pool  reserve binding  expected_cost
    0  h100        4    cost           26.0
    >>> size_reservations(demand, prices, service_level=1.0).reservations["reserve"].item()
    8
    """
    start = time.perf_counter()
    timings: dict[str, float] = {}
    with stopwatch(timings, "validate"):
        data = read_inputs(demand, prices, service_level=service_level, safety_margin=safety_margin,
                           integer=integer)
        chosen = _resolve(data, backend, time_limit)
    return _solve(data, chosen, time_limit, timings, start)


def size_reservations_array(
    demand: np.ndarray,
    prices: Any,
    *,
    hours: Any = None,
    service_level: float | None = None,
    safety_margin: float = 0.0,
    integer: bool = True,
    backend: str = "auto",
    time_limit: float | None = None,
) -> ReservationResult:
    """:func:`size_reservations` for demand already held as a ``(pools, scenarios, hours)`` array.

    Pool ``i`` of ``demand`` is the ``i``-th row of ``prices``; ``hours`` labels
    the last axis (default ``0..hours-1``). Skips the long-table checks, so it
    is the fast path for large scenario sets; results are identical.

    Examples
    --------
    >>> import numpy as np
    >>> demand = np.array([[[2.0, 4.0, 4.0, 8.0]]])
    >>> prices = {"pool": ["h100"], "reserved": [1.0], "on_demand": [2.5]}
    >>> size_reservations_array(demand, prices).reservations["reserve"].item()
    4
    """
    start = time.perf_counter()
    timings: dict[str, float] = {}
    with stopwatch(timings, "validate"):
        data = read_arrays(demand, prices, hours=hours, service_level=service_level,
                           safety_margin=safety_margin, integer=integer)
        chosen = _resolve(data, backend, time_limit)
    return _solve(data, chosen, time_limit, timings, start)


def _resolve(data: ReservationData, backend: str, time_limit: Any) -> Backend:
    check_scalar(time_limit, "time_limit", minimum=0, strict_minimum=True, allow_none=True)
    return BACKENDS.resolve(backend, needs={"integer" if data.integer else "continuous"})


# ----------------------------------------------------------------------------- the solve


def _whole(x: np.ndarray, integer: bool) -> np.ndarray:
    return ceil_whole(x) if integer else np.asarray(x, dtype=np.float64)


def _floors(data: ReservationData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``lowest`` (least new units that can meet demand), and the service-level floors
    with and without the safety margin (``-inf`` without a service level)."""
    E = data.existing
    ordered = [data.sorted_demand(p) for p in range(data.num_pools)]
    peak = np.array([values[-1] for values in ordered])
    capacity = np.array([t.capacity for t in data.tiers])
    lowest = _whole(peak - capacity - E, data.integer)
    plain = floor = np.full(data.num_pools, -np.inf)
    if data.service_level is not None:
        q = np.array([values[inverted_cdf_index(values.size, data.service_level)] for values in ordered])
        plain = _whole(q - E, data.integer)
        floor = _whole((1 + data.safety_margin) * q - E, data.integer)
    return lowest, plain, floor


def _name_infeasible(data: ReservationData, mask: np.ndarray, need: np.ndarray, why: str) -> list[str]:
    return [
        f"pool {data.pools[p]!r} {why} {need[p]:g} new units, above its reserve_limit of {data.reserve_limit[p]:g}"
        for p in np.flatnonzero(mask)
    ]


def _solve(data: ReservationData, chosen: Backend, time_limit: float | None, timings: dict[str, float],
           start: float) -> ReservationResult:
    E, H = data.existing, data.reserve_limit
    with stopwatch(timings, "floors"):
        lowest, plain, floor = _floors(data)
    lower0 = np.maximum(lowest, 0.0)
    reasons = _name_infeasible(data, lower0 > H, lower0,
                               "cannot meet its peak demand (no shortfall penalty, limited recourse) with fewer than")
    reasons += _name_infeasible(data, (floor > H) & (lower0 <= H), floor, "needs for its service level")
    active = (lower0 <= H) & ~(floor > H)
    with stopwatch(timings, "solve"):
        # Step 1: the cheapest capacity with existing units as if they could be given back
        # (R >= -existing, no reserve limit). By convexity the cost-optimal reserve is this,
        # clipped to [lowest feasible, reserve_limit].
        wide = chosen.solve(data, np.maximum(lowest, _whole(-E, data.integer)), np.full(data.num_pools, np.inf),
                            active, time_limit=time_limit)
        cost_optimal = np.clip(wide.reserve, lower0, H)
        if data.service_level is None and data.safety_margin > 0:
            floor = np.where(active, _whole((1 + data.safety_margin) * (wide.reserve + E) - E, data.integer), -np.inf)
            reasons += _name_infeasible(data, active & (floor > H), floor, "needs for its safety margin")
            active &= ~(floor > H)
        # Step 2: the answer, with the floors. Pools whose step-1 answer already lies in the
        # narrower range keep it (it is optimal there too); the others are solved again.
        lower = np.maximum(lower0, floor)
        with np.errstate(invalid="ignore"):
            moved = active & ~((wide.reserve >= lower) & (wide.reserve <= H))
        final = chosen.solve(data, lower, H, moved, time_limit=time_limit, previous=wide.reserve)
    data.forget_sorted()  # the floors and the search are done with them
    reserve = np.where(moved, final.reserve, np.where(active, wide.reserve, np.nan))
    decisions = Decisions(reserve, cost_optimal, floor, lowest, H)
    result = ReservationResult(status=Status.OPTIMAL, backend=chosen.name, problem=PROBLEM, _data=data,
                               _decisions=decisions)
    with stopwatch(timings, "evaluate"):
        rows, hourly, fills = _tables(data, decisions, plain, np.isfinite(reserve))
    result.reservations, result.hourly = rows, hourly
    with stopwatch(timings, "certify"):
        _account(result, data, decisions, (wide, final, moved), fills, reasons, lower)
    for step in (wide, final):
        for key, value in step.timings.items():
            timings[f"solver_{key}"] = timings.get(f"solver_{key}", 0.0) + value
    result.timings = timings
    result.runtime_s = time.perf_counter() - start
    return result


def _tables(data: ReservationData, d: Decisions, plain: np.ndarray,
            solved: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, float]]:
    """The reservations and hourly tables, evaluated directly from the demand at each answer."""
    P, T = data.num_pools, data.num_hours
    cols = {name: np.full(P, np.nan) for name in RESERVATION_COLUMNS[5:]}
    binding = np.full(P, None, dtype=object)
    parts = empty_parts()
    costs: dict[int, float] = {}
    for p in range(P):
        block, tiers = data.blocks[p], data.tiers[p]
        mean = block.mean(axis=0)
        if not solved[p]:
            for name in parts:
                parts[name].append(mean if name == "demand" else np.full(T, np.nan))
            continue
        R = d.reserve[p]
        capacity = R + data.existing[p]
        served: Fill = fill(block, capacity, tiers)
        tier_cost = dict(zip(tiers.names, served.cost(tiers)))
        tier_use = dict(zip(tiers.names, served.amounts))
        reserved_cost = data.reserved[p] * T * R
        for name in RECOURSE:
            cols[f"{name}_cost"][p] = tier_cost.get(name, 0.0)
        expected = reserved_cost + sum(tier_cost.values())
        used = mean - served.excess
        cols["expected_cost"][p] = costs[p] = expected
        cols["reserved_cost"][p] = reserved_cost
        cols["reserved_utilization"][p] = used.sum() / (capacity * T) if capacity > 0 else np.nan
        cols["coverage"][p] = served.covered
        cols["savings_vs_on_demand"][p] = data.on_demand[p] * mean.sum() - expected
        if R > d.cost_optimal[p] + TIE * max(1.0, abs(R)):
            binding[p] = "service_level" if plain[p] > d.cost_optimal[p] + TIE * max(1.0, abs(R)) else "safety_margin"
        else:
            binding[p] = "cost"
        for name, values in (("demand", mean), ("reserved", np.full(T, capacity)), ("reserved_used", used)):
            parts[name].append(values)
        for name in RECOURSE:
            parts[name].append(tier_use.get(name, np.zeros(T)))
    reserve = d.reserve
    if data.integer and solved.all():
        reserve = reserve.astype(np.int64)
        cost_optimal = d.cost_optimal.astype(np.int64)
    else:
        cost_optimal = d.cost_optimal
    rows = pd.DataFrame({
        "pool": np.array(data.pools, dtype=object),
        "reserve": reserve,
        "total_reserved": d.reserve + data.existing,
        "cost_optimal_reserve": cost_optimal,
        "binding": binding,
        **cols,
    }, columns=RESERVATION_COLUMNS)
    return rows, hourly_frame(data, parts), costs


def _certify(data: ReservationData, d: Decisions, costs: dict[int, float], lower: np.ndarray) -> list[str]:
    """Pools whose answer is beaten by a neighbouring level (one unit, or less near a bound).

    The cost is convex in the reserved level, so an answer no worse than its
    neighbours on both sides (within the allowed range) is optimal. The
    neighbours are evaluated directly from the demand, not by the search.
    """
    failed = []
    for p, cost in costs.items():
        R = d.reserve[p]
        steps = np.array([s for s in (-min(1.0, R - lower[p]), min(1.0, d.upper[p] - R)) if s != 0])
        if not steps.size:
            continue
        others = data.reserved[p] * data.num_hours * (R + steps) + recourse_direct(
            data.blocks[p], R + steps + data.existing[p], data.tiers[p])
        for step, other in zip(steps, others):
            if other < cost - TIE * max(1.0, abs(cost)):
                failed.append(f"{data.pools[p]!r} (reserve {R + step:g} costs {other:.10g} < {cost:.10g})")
    return failed


def _combine(wide: PoolSolve, final: PoolSolve, moved: np.ndarray, active: np.ndarray) -> tuple[Status, float, float]:
    """Status, objective and bound of a model backend over both steps.

    Each pool's cost comes from the step that settled it. Each step's bound is
    ``objective - slack``; a bound on a subset of that step's pools is the
    subset's cost less the same slack, so the slacks of the steps used add up.
    """
    objective, slack = 0.0, 0.0
    worst = Status.OPTIMAL
    for step, mask in ((wide, active & ~moved), (final, moved)):
        if not mask.any():
            continue
        if step.status is not Status.OPTIMAL:
            worst = step.status
        objective += float(step.pool_cost[mask].sum())
        slack += max(0.0, step.objective - step.bound) if math.isfinite(step.bound) else math.inf
    return worst, objective, objective - slack if math.isfinite(slack) else math.nan


def _account(result: ReservationResult, data: ReservationData, d: Decisions,
             steps: tuple[PoolSolve, PoolSolve, np.ndarray], costs: dict[int, float], reasons: list[str],
             lower: np.ndarray) -> None:
    """Status, objective, bound and message of ``result``."""
    wide, final, moved = steps
    solver_status = final.solver_status if moved.any() else wide.solver_status
    frame = result.reservations
    if reasons:
        result.status = Status.INFEASIBLE
        result.message = f"No plan meets every pool's constraints: {'; '.join(reasons)}. Solver status: {solver_status}."
        return
    for step in (wide, final):
        if not step.status.has_solution:
            result.status = step.status
            result.message = f"The {result.backend} backend returned no plan. Solver status: {step.solver_status}."
            return
    if np.isnan(d.reserve).any():
        result.status = Status.ERROR
        result.message = f"The {result.backend} backend returned no plan. Solver status: {solver_status}."
        return
    total = float(sum(costs.values()))
    counts = ", ".join(f"{k}: {v}" for k, v in frame["binding"].value_counts().items())
    summary = (f"Reserve {np.nansum(frame['reserve']):g} new units over {data.num_pools} pools ({counts}); "
               f"expected cost {total:,.2f} over {data.num_hours} hours.")
    if result.backend == "exact":
        failed = _certify(data, d, costs, lower)
        result.objective = total
        if failed:
            result.status = Status.FEASIBLE
            result.message = f"{summary} Not certified optimal: {'; '.join(failed)}. Solver status: exact search."
            return
        result.status, result.bound = Status.OPTIMAL, total
        result.message = (f"{summary} Certified: every pool's level is no worse than its neighbours and the "
                          "cost is convex. Solver status: exact search.")
        return
    result.status, result.objective, result.bound = _combine(wide, final, moved, np.isfinite(d.reserve))
    note = ""
    if result.status is not Status.OPTIMAL:
        # The solver's own objective is not trustworthy short of optimality; the plan's cost is.
        result.objective = total
        note = " Not proven optimal: the objective is the expected cost of the returned levels."
    result.message = f"{summary}{note} Solver status: {solver_status}."
