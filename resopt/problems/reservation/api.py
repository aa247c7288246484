"""size_reservations: the public entry points and the solve shared by every backend."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..._validate import TableLike
from ...backends import MODEL_SOLVER_REQUIRES, Backend, BackendRegistry, Capability, SolveOptions, model_solver
from ...model import Solution
from ...result import Status, stopwatch
from .exact import TIE, ceil_whole, inverted_cdf_index, recourse_direct, solve_exact
from .formulation import ModelSolver
from .inputs import PoolSubproblem, ReservationData, read_arrays, read_inputs, validate_options
from .result import Decisions, ReservationResult, plan_tables

__all__ = ["size_reservations", "size_reservations_array", "BACKENDS", "PROBLEM", "ReservationBackend"]

PROBLEM = "reservation sizing"
#: The ``backend`` argument of :func:`size_reservations`.
ReservationBackend = Literal["auto", "exact", "highs", "cvxpy", "pulp"]

#: What every backend of reservation sizing can do ("auto" takes the first: exact).
_FEATURES = frozenset({Capability.CONTINUOUS, Capability.INTEGER, Capability.TIME_LIMIT, Capability.MIP_GAP,
                       Capability.BOUND})
BACKENDS = BackendRegistry(
    PROBLEM,
    [
        Backend("exact", solve_exact, _FEATURES),
        *(Backend(name, ModelSolver(model_solver(name)), _FEATURES, MODEL_SOLVER_REQUIRES[name])
          for name in ("highs", "cvxpy", "pulp")),
    ],
)


def size_reservations(
    demand: TableLike,
    prices: TableLike,
    *,
    service_level: float | None = None,
    safety_margin: float = 0.0,
    integer: bool = True,
    backend: ReservationBackend = "auto",
    time_limit: float | None = None,
    mip_gap: float | None = None,
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
        Wall-clock budget in seconds for the whole call, validation included
        (default None: no limit). Every backend honours it: the exact search checks
        it before each pool, the LP/MILP backends pass what is left to the solver
        and start no solve once it is spent. When it runs out the status is
        ``time_limit`` and no plan is returned (pools already settled keep their rows),
        unless the solver holds a valid plan (status ``feasible``).
    mip_gap : float, optional
        Relative optimality gap at which the MILP (whole units) may stop, in
        ``[0, 1]`` (default None: 1e-9 for the LP/MILP backends). The exact method
        returns each pool's optimum, so it meets any gap.

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
        Bad input, naming the table, the column, the row and the value (for the
        options: ``integer``, ``backend``, ``time_limit``, ``mip_gap``, ...).

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
    >>> size_reservations(demand, prices, time_limit=1e-9).status
    <Status.TIME_LIMIT: 'time_limit'>
    """
    integer, time_limit, mip_gap = validate_options(integer, backend, time_limit, mip_gap, backends=BACKENDS)
    options = SolveOptions.start(time_limit, mip_gap)
    timings: dict[str, float] = {}
    with stopwatch(timings, "validate"):
        data = read_inputs(demand, prices, service_level=service_level, safety_margin=safety_margin,
                           integer=integer)
        chosen = _resolve(data, backend, options)
    return _solve(data, chosen, options, timings)


def size_reservations_array(
    demand: np.ndarray,
    prices: TableLike,
    *,
    hours: Any = None,
    service_level: float | None = None,
    safety_margin: float = 0.0,
    integer: bool = True,
    backend: ReservationBackend = "auto",
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> ReservationResult:
    """:func:`size_reservations` for demand already held as a ``(pools, scenarios, hours)`` array.

    Pool ``i`` of ``demand`` is the ``i``-th row of ``prices``; ``hours`` labels
    the last axis (default ``0..hours-1``). Skips the long-table checks, so it
    is the fast path for large scenario sets; results are identical. The other
    arguments, ``time_limit`` (a wall-clock budget in seconds for the whole call)
    and ``mip_gap`` included, are those of :func:`size_reservations`.

    Examples
    --------
    >>> import numpy as np
    >>> demand = np.array([[[2.0, 4.0, 4.0, 8.0]]])
    >>> prices = {"pool": ["h100"], "reserved": [1.0], "on_demand": [2.5]}
    >>> size_reservations_array(demand, prices).reservations["reserve"].item()
    4
    """
    integer, time_limit, mip_gap = validate_options(integer, backend, time_limit, mip_gap, backends=BACKENDS)
    options = SolveOptions.start(time_limit, mip_gap)
    timings: dict[str, float] = {}
    with stopwatch(timings, "validate"):
        data = read_arrays(demand, prices, hours=hours, service_level=service_level,
                           safety_margin=safety_margin, integer=integer)
        chosen = _resolve(data, backend, options)
    return _solve(data, chosen, options, timings)


def _resolve(data: ReservationData, backend: str, options: SolveOptions) -> Backend:
    needs = {Capability.INTEGER if data.integer else Capability.CONTINUOUS}
    return BACKENDS.resolve(backend, needs=needs, instance=data, options=options)


# ----------------------------------------------------------------------------- the solve


def _round_up(x: np.ndarray, integer: bool) -> np.ndarray:
    """``x`` rounded up to whole units when ``integer`` (forgiving float noise), else as floats."""
    return ceil_whole(x) if integer else np.asarray(x, dtype=np.float64)


def _least_levels(data: ReservationData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pool: the least new units that can meet demand (``least_feasible``; negative when
    existing units and the recourse suffice), and the service-level floor without and with
    the safety margin (``-inf`` without a service level)."""
    E = data.existing
    ordered = [data.sorted_demand(p) for p in range(data.num_pools)]
    peak = np.array([values[-1] for values in ordered])
    capacity = np.array([t.capacity for t in data.tiers])
    least_feasible = _round_up(peak - capacity - E, data.integer)
    service_floor = floor = np.full(data.num_pools, -np.inf)
    if data.service_level is not None:
        q = np.array([values[inverted_cdf_index(values.size, data.service_level)] for values in ordered])
        service_floor = _round_up(q - E, data.integer)
        floor = _round_up((1 + data.safety_margin) * q - E, data.integer)
    return least_feasible, service_floor, floor


def _name_infeasible(data: ReservationData, mask: np.ndarray, need: np.ndarray, why: str) -> list[str]:
    return [
        f"pool {data.pools[p]!r} {why} {need[p]:g} new units, above its reserve_limit of {data.reserve_limit[p]:g}"
        for p in np.flatnonzero(mask)
    ]


@dataclass(frozen=True, eq=False)
class _Steps:
    """The two backend calls of one solve and what they settled, per pool.

    ``relaxed``: step 1, no floors and no reserve limit, existing units as if they
    could be given back (its answer clipped into range is the cost-optimal level);
    ``constrained``: step 2, the pools in ``re_solved`` (active pools whose step-1
    answer lies outside ``[lower, reserve_limit]``). ``active``: the pools with a
    feasible range; ``floor``: the least level the service level or safety margin
    allows (``-inf`` without one).
    """

    relaxed: Solution
    constrained: Solution
    re_solved: np.ndarray
    active: np.ndarray
    lower: np.ndarray
    floor: np.ndarray

    def reserve(self) -> np.ndarray:
        """New units per pool: from the step that settled it, NaN for pools not active."""
        return np.where(self.re_solved, self.constrained.x, np.where(self.active, self.relaxed.x, np.nan))

    def solver_status(self) -> str:
        """The solver's words from the step that settled the last pools."""
        return (self.constrained if self.re_solved.any() else self.relaxed).solver_status


def _solve_in_two_steps(data: ReservationData, chosen: Backend, options: SolveOptions, least_feasible: np.ndarray,
                        floor: np.ndarray, reasons: list[str]) -> _Steps:
    """Solve the pools with ``chosen``: their cost-optimal levels, then those outside their range again.

    ``floor`` is the service-level floor (with the margin); without a service level, a
    safety margin sets the floor from the step-1 capacity here. Pools that cannot meet
    their floor within their reserve limit are left out and named in ``reasons``.
    """
    E, H = data.existing, data.reserve_limit
    lower0 = np.maximum(least_feasible, 0.0)
    reasons += _name_infeasible(data, lower0 > H, lower0,
                                "cannot meet its peak demand (no shortfall penalty, limited recourse) with fewer than")
    reasons += _name_infeasible(data, (floor > H) & (lower0 <= H), floor, "needs for its service level")
    active = (lower0 <= H) & ~(floor > H)
    # Step 1: the cheapest capacity with existing units as if they could be given back
    # (R >= -existing, no reserve limit). By convexity the cost-optimal reserve is this,
    # clipped to [least feasible, reserve_limit].
    relaxed = chosen.solve(PoolSubproblem(data, np.maximum(least_feasible, _round_up(-E, data.integer)),
                                          np.full(data.num_pools, np.inf), active), options)
    if data.service_level is None and data.safety_margin > 0:
        floor = np.where(active, _round_up((1 + data.safety_margin) * (relaxed.x + E) - E, data.integer), -np.inf)
        reasons += _name_infeasible(data, active & (floor > H), floor, "needs for its safety margin")
        active &= ~(floor > H)
    # Step 2: the answer, with the floors. Pools whose step-1 answer already lies in the
    # narrower range keep it (it is optimal there too); the others are solved again.
    lower = np.maximum(lower0, floor)
    with np.errstate(invalid="ignore"):
        re_solved = active & ~((relaxed.x >= lower) & (relaxed.x <= H))
    constrained = chosen.solve(PoolSubproblem(data, lower, H, re_solved, previous=relaxed.x), options)
    return _Steps(relaxed, constrained, re_solved, active, lower, floor)


def _solve(data: ReservationData, chosen: Backend, options: SolveOptions,
           timings: dict[str, float]) -> ReservationResult:
    """The floors, both steps with ``chosen``, then the plan's tables, certificate and status."""
    with stopwatch(timings, "floors"):
        least_feasible, service_floor, floor = _least_levels(data)
    reasons: list[str] = []
    with stopwatch(timings, "solve"):
        steps = _solve_in_two_steps(data, chosen, options, least_feasible, floor, reasons)
    data.forget_sorted()  # the floors and the search are done with them
    reserve = steps.reserve()
    cost_optimal = np.clip(steps.relaxed.x, np.maximum(least_feasible, 0.0), data.reserve_limit)
    decisions = Decisions(reserve, cost_optimal, steps.floor, least_feasible, data.reserve_limit)
    result = ReservationResult(status=Status.OPTIMAL, backend=chosen.name, problem=PROBLEM, _data=data,
                               _decisions=decisions)
    with stopwatch(timings, "evaluate"):
        rows, hourly, costs = plan_tables(data, decisions, service_floor, np.isfinite(reserve))
    result.reservations, result.hourly = rows, hourly
    with stopwatch(timings, "certify"):
        _record_outcome(result, data, decisions, steps, costs, reasons)
    for step in (steps.relaxed, steps.constrained):
        for key, value in step.timings.items():
            timings[f"solver_{key}"] = timings.get(f"solver_{key}", 0.0) + value
    result.timings = timings
    result.runtime_s = time.perf_counter() - options.started
    return result


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


def _combine(steps: _Steps) -> tuple[Status, float, float]:
    """Status, objective and bound of a model backend over both steps.

    Each pool's cost comes from the step that settled it. Each step's bound is
    ``objective - slack``; a bound on a subset of that step's pools is the
    subset's cost less the same slack, so the slacks of the steps used add up.
    """
    objective, slack = 0.0, 0.0
    worst = Status.OPTIMAL
    settled = np.isfinite(steps.reserve())
    for step, mask in ((steps.relaxed, settled & ~steps.re_solved), (steps.constrained, steps.re_solved)):
        if not mask.any():
            continue
        if step.status is not Status.OPTIMAL:
            worst = step.status
        objective += float(step.attr["pool_cost"][mask].sum())
        slack += max(0.0, step.objective - step.bound) if math.isfinite(step.bound) else math.inf
    return worst, objective, objective - slack if math.isfinite(slack) else math.nan


def _record_outcome(result: ReservationResult, data: ReservationData, d: Decisions, steps: _Steps,
                    costs: dict[int, float], reasons: list[str]) -> None:
    """Set the status, objective, bound and message of ``result``: infeasible (``reasons``),
    no plan from a step, certified by :func:`_certify` (exact) or as the solver proved it."""
    solver_status = steps.solver_status()
    frame = result.reservations
    if reasons:
        result.status = Status.INFEASIBLE
        result.message = f"No plan meets every pool's constraints: {'; '.join(reasons)}. Solver status: {solver_status}."
        return
    for step in (steps.relaxed, steps.constrained):
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
        failed = _certify(data, d, costs, steps.lower)
        result.objective = total
        if failed:
            result.status = Status.FEASIBLE
            result.message = f"{summary} Not certified optimal: {'; '.join(failed)}. Solver status: exact search."
            return
        result.status, result.bound = Status.OPTIMAL, total
        result.message = (f"{summary} Certified: every pool's level is no worse than its neighbours and the "
                          "cost is convex. Solver status: exact search.")
        return
    result.status, result.objective, result.bound = _combine(steps)
    note = ""
    if result.status is not Status.OPTIMAL:
        # The solver's own objective is not trustworthy short of optimality; the plan's cost is.
        result.objective = total
        note = " Not proven optimal: the objective is the expected cost of the returned levels."
    result.message = f"{summary}{note} Solver status: {solver_status}."
