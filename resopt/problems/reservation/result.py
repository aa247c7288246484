"""ReservationResult: per-pool decisions, hourly fill and the cost curve."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...errors import InputError
from ...result import Result
from .exact import TIE, SortedDemand, fill
from .inputs import RECOURSE, ReservationData

__all__ = ["ReservationResult", "Decisions", "plan_tables", "RESERVATION_COLUMNS", "HOURLY_COLUMNS",
           "CURVE_COLUMNS"]

RESERVATION_COLUMNS = [
    "pool", "reserve", "total_reserved", "cost_optimal_reserve", "binding", "expected_cost",
    "reserved_cost", "on_demand_cost", "spot_cost", "shortfall_cost", "reserved_utilization",
    "coverage", "savings_vs_on_demand",
]
HOURLY_COLUMNS = ["pool", "hour", "demand", "reserved", "reserved_used", "on_demand", "spot", "shortfall"]
CURVE_COLUMNS = [
    "pool", "reserve", "total_reserved", "expected_cost", "reserved_cost", "recourse_cost",
    "marginal_cost", "optimum", "cost_optimum", "service_floor", "knee",
]


@dataclass
class Decisions:
    """Per-pool arrays behind a result (NaN where a pool is infeasible).

    ``reserve``: new units; ``cost_optimal``: the cheapest level on its own;
    ``floor``: the least level the service level or safety margin allows
    (``-inf`` without one); ``least_feasible``: the least level that can meet
    demand (may be negative: existing units and recourse suffice); ``upper``:
    the reserve limit.
    """

    reserve: np.ndarray
    cost_optimal: np.ndarray
    floor: np.ndarray
    least_feasible: np.ndarray
    upper: np.ndarray


@dataclass(repr=False, eq=False)
class ReservationResult(Result):
    """Result of :func:`~resopt.size_reservations`.

    Attributes
    ----------
    reservations : pandas.DataFrame
        One row per pool: ``pool``, ``reserve`` (new units), ``total_reserved``
        (new plus existing), ``cost_optimal_reserve`` (the cheapest level with no
        service level or margin), ``binding`` (``cost``, ``service_level`` or
        ``safety_margin``: what set ``reserve``), ``expected_cost`` (new reservations
        plus expected recourse over the horizon) and its parts ``reserved_cost``,
        ``on_demand_cost``, ``spot_cost``, ``shortfall_cost``; ``reserved_utilization``
        (expected share of reserved unit-hours in use), ``coverage`` (share of
        scenario-hours served by reserved capacity alone) and ``savings_vs_on_demand``
        (serving all expected demand on demand, minus ``expected_cost``).
        Infeasible pools have NaN numbers and a missing ``binding``.
    hourly : pandas.DataFrame
        Per pool and hour, means over scenarios: ``demand``, ``reserved``
        (capacity), ``reserved_used``, ``on_demand``, ``spot``, ``shortfall``
        (units); ``reserved_used + on_demand + spot + shortfall == demand``.
    """

    reservations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RESERVATION_COLUMNS))
    hourly: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HOURLY_COLUMNS))
    _data: ReservationData | None = field(default=None, repr=False)
    _decisions: Decisions | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The ``reservations`` table."""
        return self.reservations

    def curve(self, pool: str, *, levels: Any = None) -> pd.DataFrame:
        """Expected cost of reserving each level of new units in ``pool``.

        Parameters
        ----------
        pool : str
            A pool of the result.
        levels : array-like, optional
            New-unit levels to evaluate; by default a range around the optimum,
            the cost optimum and the service-level floor.

        Returns
        -------
        pandas.DataFrame
            ``pool``, ``reserve``, ``total_reserved``, ``expected_cost`` (``inf``
            where demand cannot be met), ``reserved_cost``, ``recourse_cost``,
            ``marginal_cost`` (cost change per unit from the previous level) and
            flags: ``optimum`` (the answer), ``cost_optimum`` (the cheapest level
            on its own), ``service_floor`` (the least level the service level, or
            without one the safety margin, allows) and ``knee`` (where the
            marginal cost rises most sharply: beyond it, extra units pay off far
            less).

        Examples
        --------
        >>> import resopt
        >>> demand = {"pool": ["h100"] * 4, "hour": [0, 1, 2, 3], "demand": [2, 4, 4, 8]}
        >>> prices = {"pool": ["h100"], "reserved": [1.0], "on_demand": [2.5]}
        >>> curve = resopt.size_reservations(demand, prices).curve("h100", levels=range(3, 7))
        >>> curve[["reserve", "expected_cost", "marginal_cost", "optimum"]]
           reserve  expected_cost  marginal_cost  optimum
        0      3.0           29.5            NaN    False
        1      4.0           26.0           -3.5     True
        2      5.0           27.5            1.5    False
        3      6.0           29.0            1.5    False
        """
        return _curve(self._data, self._decisions, self._pool_position(pool), levels)

    def plot(self, pool: str, kind: str = "curve", *, ax: Any = None) -> Any:
        """Draw one pool's decision and return the matplotlib Axes.

        Parameters
        ----------
        pool : str
            A pool of the result.
        kind : {"curve", "distribution"}
            ``"curve"``: expected cost against new reserved units with the chosen
            level, the cost optimum, the service-level floor and the knee marked
            (:func:`resopt.plotting.savings_curve` of :meth:`curve`).
            ``"distribution"``: the pool's hourly demand over every scenario-hour
            with the reserved capacity (new plus existing) across it, and the
            capacity at the cost optimum and at the service-level floor
            (:func:`resopt.plotting.demand_distribution`).
        ax : matplotlib Axes, optional

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import resopt
        >>> demand = {"pool": ["h100"] * 4, "hour": [0, 1, 2, 3], "demand": [2, 4, 4, 8]}
        >>> prices = {"pool": ["h100"], "reserved": [1.0], "on_demand": [2.5]}
        >>> ax = resopt.size_reservations(demand, prices).plot("h100", kind="distribution")
        >>> ax.get_legend().get_texts()[0].get_text()
        'reserved 4 (covers 75.0% of hours)'
        """
        from ... import plotting

        if kind == "curve":
            return plotting.savings_curve(self.curve(pool), ax=ax)
        if kind != "distribution":
            raise InputError(f"Unknown plot kind {kind!r}. Kinds: 'curve', 'distribution'.")
        p = self._pool_position(pool)
        data, d = self._data, self._decisions
        existing = float(data.existing[p])
        if not np.isfinite(d.reserve[p]):
            raise InputError(f"Pool {data.pools[p]!r} has no reservation to draw: it is infeasible.")
        marks = {"cost optimum": d.cost_optimal[p] + existing}
        if np.isfinite(d.floor[p]):
            marks["service-level floor"] = max(d.floor[p], d.least_feasible[p], 0.0) + existing
        return plotting.demand_distribution(data.blocks[p], d.reserve[p] + existing, marks=marks, ax=ax,
                                            title=f"{data.pools[p]}: hourly demand against the reserved level")

    def _pool_position(self, pool: str) -> int:
        if self._data is None or self._decisions is None:
            raise InputError("This result has no solution to draw from.")
        try:
            return self._data.pools.index(str(pool))
        except ValueError:
            raise InputError(f"Unknown pool {pool!r}. Pools: {self._data.pools}.") from None

    def _summary_lines(self) -> list[tuple[str, str]]:
        lines = super()._summary_lines()
        frame = self.reservations
        if len(frame):
            counts = frame["binding"].value_counts()
            bind = ", ".join(f"{k}: {v}" for k, v in counts.items())
            lines.insert(-1, ("pools", f"{len(frame)} ({bind})" if bind else str(len(frame))))
            lines.insert(-1, ("reserve", f"{np.nansum(frame['reserve']):.10g} new units"))
        return lines


def _grid(d: Decisions, p: int, integer: bool) -> np.ndarray:
    marks = [v for v in (d.reserve[p], d.cost_optimal[p], d.floor[p]) if np.isfinite(v)]
    least = max(0.0, d.least_feasible[p]) if np.isfinite(d.least_feasible[p]) else 0.0
    marks = marks or [least]
    width = max(5.0, 0.25 * max(marks))
    lo, hi = max(least, min(marks) - width), max(marks) + width
    if np.isfinite(d.upper[p]):
        hi = max(min(hi, d.upper[p]), max(marks))
    if integer:
        step = max(1.0, math.ceil((hi - lo) / 400))
        grid = np.arange(math.ceil(lo), math.floor(hi) + 1, step)
    else:
        grid = np.linspace(lo, hi, 201)
    return np.unique(np.concatenate([grid, marks]))


def _curve(data: ReservationData, d: Decisions, p: int, levels: Any) -> pd.DataFrame:
    grid = _grid(d, p, data.integer) if levels is None else np.unique(np.asarray(levels, dtype=np.float64))
    demand = SortedDemand.of(data.blocks[p])
    reserved = data.reserved[p] * data.num_hours * grid
    recourse = demand.recourse(grid + data.existing[p], data.tiers[p])
    cost = reserved + recourse
    with np.errstate(invalid="ignore"):
        marginal = np.concatenate([[np.nan], np.diff(cost) / np.diff(grid)])
        bend = np.concatenate([np.diff(marginal), [np.nan]])
    knee = np.zeros(grid.size, dtype=bool)
    usable = np.isfinite(bend)
    if usable.any() and np.nanmax(np.where(usable, bend, np.nan)) > 0:
        knee[int(np.nanargmax(np.where(usable, bend, -np.inf)))] = True
    floor = max(d.floor[p], d.least_feasible[p], 0.0) if np.isfinite(d.floor[p]) else np.nan
    return pd.DataFrame({
        "pool": data.pools[p],
        "reserve": grid,
        "total_reserved": grid + data.existing[p],
        "expected_cost": cost,
        "reserved_cost": reserved,
        "recourse_cost": recourse,
        "marginal_cost": marginal,
        "optimum": np.isclose(grid, d.reserve[p], rtol=0, atol=1e-9),
        "cost_optimum": np.isclose(grid, d.cost_optimal[p], rtol=0, atol=1e-9),
        "service_floor": np.isclose(grid, floor, rtol=0, atol=1e-9),
        "knee": knee,
    }, columns=CURVE_COLUMNS)


def _binding(reserve: float, cost_optimal: float, service_floor: float) -> str:
    """What set a pool's level: ``cost`` (its own optimum), else ``service_level`` when the plain
    service-level floor is above the cost optimum, else ``safety_margin``."""
    tie = TIE * max(1.0, abs(reserve))
    if reserve > cost_optimal + tie:
        return "service_level" if service_floor > cost_optimal + tie else "safety_margin"
    return "cost"


def _pool_rows(data: ReservationData, d: Decisions, p: int,
               service_floor: float) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """One solved pool's numbers for the ``reservations`` table and its ``hourly`` arrays,
    evaluated directly from the demand at its level (:func:`~.exact.fill`)."""
    T = data.num_hours
    block, tiers = data.blocks[p], data.tiers[p]
    mean = block.mean(axis=0)
    R = d.reserve[p]
    capacity = R + data.existing[p]
    served = fill(block, capacity, tiers)
    tier_cost = dict(zip(tiers.names, served.cost(tiers)))
    tier_use = dict(zip(tiers.names, served.amounts))
    reserved_cost = data.reserved[p] * T * R
    expected = reserved_cost + sum(tier_cost.values())
    used = mean - served.excess
    row = {f"{name}_cost": tier_cost.get(name, 0.0) for name in RECOURSE}
    row.update({
        "expected_cost": expected,
        "reserved_cost": reserved_cost,
        "reserved_utilization": used.sum() / (capacity * T) if capacity > 0 else np.nan,
        "coverage": served.covered,
        "savings_vs_on_demand": data.on_demand[p] * mean.sum() - expected,
        "binding": _binding(R, d.cost_optimal[p], service_floor),
    })
    hourly = {"demand": mean, "reserved": np.full(T, capacity), "reserved_used": used}
    hourly.update({name: tier_use.get(name, np.zeros(T)) for name in RECOURSE})
    return row, hourly


def plan_tables(data: ReservationData, d: Decisions, service_floor: np.ndarray,
                solved: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, float]]:
    """The ``reservations`` and ``hourly`` tables of a plan, evaluated directly from the demand,
    and the expected cost of each ``solved`` pool (by position).

    ``service_floor`` is the service-level floor without the safety margin (``-inf``
    without a service level): it tells ``service_level`` from ``safety_margin`` in
    ``binding``. Pools not ``solved`` get NaN numbers, a missing ``binding`` and
    their mean demand in ``hourly``.
    """
    P, T = data.num_pools, data.num_hours
    cols = {name: np.full(P, np.nan) for name in RESERVATION_COLUMNS[5:]}
    binding = np.full(P, None, dtype=object)
    parts = empty_parts()
    costs: dict[int, float] = {}
    for p in range(P):
        if not solved[p]:
            for name in parts:
                parts[name].append(data.blocks[p].mean(axis=0) if name == "demand" else np.full(T, np.nan))
            continue
        row, hourly = _pool_rows(data, d, p, service_floor[p])
        binding[p] = row.pop("binding")
        for name, value in row.items():
            cols[name][p] = value
        costs[p] = row["expected_cost"]
        for name in parts:
            parts[name].append(hourly[name])
    reserve, cost_optimal = d.reserve, d.cost_optimal
    if data.integer and solved.all():
        reserve, cost_optimal = reserve.astype(np.int64), cost_optimal.astype(np.int64)
    rows = pd.DataFrame({
        "pool": np.array(data.pools, dtype=object),
        "reserve": reserve,
        "total_reserved": d.reserve + data.existing,
        "cost_optimal_reserve": cost_optimal,
        "binding": binding,
        **cols,
    }, columns=RESERVATION_COLUMNS)
    return rows, hourly_frame(data, parts), costs


def hourly_frame(data: ReservationData, parts: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    """Stack per-pool hourly arrays (each of length ``hours``) into the long ``hourly`` table."""
    T = data.num_hours
    frame = {
        "pool": np.repeat(np.array(data.pools, dtype=object), T),
        "hour": np.tile(np.asarray(data.hours), data.num_pools),
    }
    for name in HOURLY_COLUMNS[2:]:
        frame[name] = np.concatenate(parts[name]) if parts[name] else np.zeros(0)
    return pd.DataFrame(frame, columns=HOURLY_COLUMNS)


def empty_parts() -> dict[str, list[np.ndarray]]:
    """Accumulators for :func:`hourly_frame`."""
    return {name: [] for name in HOURLY_COLUMNS[2:]}

