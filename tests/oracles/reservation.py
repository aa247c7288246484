"""Reference optima for the reservation instances, by brute force over the reserved level.

A deliberately plain re-statement of the model (it shares no code with
``resopt.problems.reservation``): for every whole number of new units ``R`` in a
range that must contain the optimum, serve each scenario-hour from reserved
capacity, then from the recourse options in price order, and average. The
smallest cheapest level wins. The tests use it on small random instances, and
``tests/reservation_golden.py`` checks the golden cases of ``models/reservation/``
with it when it writes them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TOL = 1e-9


def _opt(row: dict, key: str, default: float) -> float:
    value = row.get(key, default)
    return default if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def pool_cost(demand: np.ndarray, reserve: float, row: dict) -> float:
    """Expected cost of ``reserve`` new units for one pool; ``demand`` is (scenarios, hours)."""
    scenarios, hours = demand.shape
    capacity = reserve + _opt(row, "existing", 0.0)
    options = [(float(row["on_demand"]), _opt(row, "on_demand_limit", math.inf))]
    if not math.isnan(_opt(row, "spot", math.nan)):
        options.append((float(row["spot"]), _opt(row, "spot_limit", math.inf)))
    if not math.isnan(_opt(row, "shortfall_penalty", math.nan)):
        options.append((float(row["shortfall_penalty"]), math.inf))
    options.sort(key=lambda o: o[0])
    left = np.maximum(demand.astype(float) - capacity, 0.0)
    recourse = 0.0
    for price, limit in options:
        take = np.minimum(left, limit)
        recourse += price * take.sum()
        left = left - take
    if left.max() > 1e-9:
        return math.inf
    return float(row["reserved"]) * hours * reserve + recourse / scenarios


def quantile(demand: np.ndarray, alpha: float) -> float:
    """Smallest demand value with at least a share ``alpha`` of scenario-hours at or below it."""
    values = np.sort(demand.ravel())
    for v in values:
        if np.count_nonzero(values <= v) >= alpha * values.size - 1e-12:
            return float(v)
    return float(values[-1])


def _smallest_argmin(levels: list[int], costs: list[float]) -> int:
    best = min(costs)
    for level, cost in zip(levels, costs):
        if cost <= best + TOL * max(1.0, abs(best)):
            return level
    raise AssertionError("no finite cost")


def brute_force_pool(demand: np.ndarray, row: dict, *, service_level: float | None = None,
                     safety_margin: float = 0.0) -> dict:
    """Optimal whole new units for one pool: ``reserve``, ``cost_optimal_reserve``, ``binding``,
    ``expected_cost``; ``None`` for ``reserve`` when no level is allowed."""
    existing = _opt(row, "existing", 0.0)
    limit = _opt(row, "reserve_limit", math.inf)
    # Every floor is at most (1 + margin) * peak demand in capacity; past both, cost only rises.
    top = int(math.ceil((1 + safety_margin) * demand.max() - existing)) + 2
    wide = list(range(-int(math.floor(existing)), max(top, 1) + 1))
    wide_costs = [pool_cost(demand, r, row) for r in wide]
    c_wide = _smallest_argmin(wide, wide_costs)
    allowed = [r for r in wide if 0 <= r <= limit]
    if not allowed or all(math.isinf(pool_cost(demand, r, row)) for r in allowed):
        return {"reserve": None}
    cost_optimal = _smallest_argmin(allowed, [pool_cost(demand, r, row) for r in allowed])
    floor, plain = -math.inf, -math.inf
    if service_level is not None:
        q = quantile(demand, service_level)
        plain = q - existing
        floor = (1 + safety_margin) * q - existing
    elif safety_margin > 0:
        floor = (1 + safety_margin) * (c_wide + existing) - existing
    chosen = [r for r in allowed if r >= floor - 1e-9 * max(1.0, abs(floor))]
    costs = [pool_cost(demand, r, row) for r in chosen]
    if not chosen or all(math.isinf(c) for c in costs):
        return {"reserve": None}
    reserve = _smallest_argmin(chosen, costs)
    plain_level = math.ceil(plain - 1e-9 * max(1.0, abs(plain))) if math.isfinite(plain) else -math.inf
    if reserve <= cost_optimal:
        binding = "cost"
    elif plain_level > cost_optimal:
        binding = "service_level"
    else:
        binding = "safety_margin"
    return {"reserve": reserve, "cost_optimal_reserve": cost_optimal, "binding": binding,
            "expected_cost": pool_cost(demand, reserve, row)}


def blocks(demand: pd.DataFrame) -> dict[str, np.ndarray]:
    """One (scenarios, hours) array per pool from the long table."""
    frame = demand if "scenario" in demand.columns else demand.assign(scenario=0)
    out = {}
    for pool, part in frame.groupby("pool", sort=False):
        out[str(pool)] = part.pivot(index="scenario", columns="hour", values="demand").to_numpy(float)
    return out


def brute_force(demand: pd.DataFrame, prices: pd.DataFrame, **options) -> dict[str, dict]:
    """:func:`brute_force_pool` for every pool of the long demand table."""
    rows = {str(r["pool"]): r for r in prices.to_dict("records")}
    return {pool: brute_force_pool(block, rows[pool], **options) for pool, block in blocks(demand).items()}
