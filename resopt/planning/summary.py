"""The weekly plan's summary: what the plan costs, by cloud and mode, and what it saves.

Costs are expected USD over the horizon. Reservations contribute the new reserved units
(already reserved units are paid for and not counted again) and the expected on-demand,
spot and shortfall recourse of each pool's forecast demand; the placement contributes the
spend (compute + egress) of next week's workloads, reserved headroom at no marginal cost.
"All on demand" is the same demand and the same placement bought entirely on demand.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..result import Status

if TYPE_CHECKING:
    from .weekly import WeeklyPlan

__all__ = ["summarize", "cost_by_cloud_mode", "placement_on_demand_cost", "MODES"]

MODES = ("reserved", "on_demand", "spot", "shortfall")

#: Order of statuses from best to worst, for the plan's overall status.
_RANK = [Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT, Status.UNBOUNDED, Status.INFEASIBLE, Status.ERROR]


def _number(value: Any) -> float | None:
    """A JSON-safe float: None for NaN and infinities, rounded to cents' precision noise."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return round(v, 6) if math.isfinite(v) else None


def cost_by_cloud_mode(plan: WeeklyPlan) -> pd.DataFrame:
    """Expected cost per cloud and mode (``cloud``, ``mode``, ``cost``), both steps together."""
    res = plan.reservations.reservations
    pools = plan.inputs.pools.assign(pool=lambda f: f["pool"].astype(str).str.strip())[["pool", "cloud"]]
    frame = res.merge(pools, on="pool", how="left")
    parts = []
    for mode in MODES:
        column = f"{mode}_cost"
        if column in frame.columns:
            parts.append(pd.DataFrame({"cloud": frame["cloud"].astype(str).str.strip(), "mode": mode,
                                       "cost": frame[column].astype(float)}))
    if plan.placement is not None and plan.placement.success and len(plan.placement.assignments):
        parts.append(plan.placement.by_cloud_mode())
    if not parts:
        return pd.DataFrame(columns=["cloud", "mode", "cost"])
    table = pd.concat(parts, ignore_index=True).groupby(["cloud", "mode"], as_index=False, sort=True)["cost"].sum()
    return table[table["cost"].abs() > 1e-9].reset_index(drop=True)


def placement_on_demand_cost(plan: WeeklyPlan) -> float:
    """The placement's spend had every placed replica run on demand on the same offering."""
    placement = plan.placement
    if placement is None or not placement.success or not len(placement.assignments):
        return 0.0
    from .inputs import apply_discounts

    offerings = apply_discounts(plan.inputs.offerings, plan.policy.discounts, ("price_per_hour",),
                                sorted(set(plan.inputs.offerings["cloud"].astype(str).str.strip())))
    key = ["cloud", "region", "instance_type"]
    offer = offerings.assign(**{k: offerings[k].astype(str).str.strip() for k in key})
    offer["throughput"] = pd.to_numeric(offer.get("throughput", 1.0), errors="coerce")
    offer["throughput"] = offer["throughput"].fillna(1.0)
    workloads = plan.inputs.workloads.assign(workload=lambda f: f["workload"].astype(str).str.strip())
    a = placement.assignments.merge(offer[key + ["price_per_hour", "throughput"]].drop_duplicates(key),
                                    on=key, how="left")
    a = a.merge(workloads[["workload", "hours"]], on="workload", how="left")
    compute = a["instances"] * a["price_per_hour"].astype(float) * a["hours"].astype(float) / a["throughput"]
    return float((compute + a["egress_cost"]).sum())


def _overall_status(steps: dict[str, dict[str, Any]]) -> Status:
    statuses = [Status(info["status"]) for info in steps.values()]
    return max(statuses, key=_RANK.index) if statuses else Status.OPTIMAL


def summarize(plan: WeeklyPlan, steps: dict[str, dict[str, Any]], price_warnings: list[str], *,
              run_id: str, created: datetime) -> dict[str, Any]:
    """Build the plan's summary (plain data, ready for JSON)."""
    from .. import __version__

    res = plan.reservations
    table = res.reservations
    forecast = plan.forecast
    pools_info = plan.inputs.pools.assign(pool=lambda f: f["pool"].astype(str).str.strip()).set_index("pool")
    room = plan.headroom.set_index("pool")
    methods = _per_pool(getattr(forecast, "method", {}))
    filled = _per_pool(getattr(forecast, "filled_hours", {}))
    warnings: list[str] = list(price_warnings)
    pools = []
    for _, row in table.iterrows():
        name = row["pool"]
        info = pools_info.loc[name]
        binding = row.get("binding")
        entry = {
            "pool": name,
            "cloud": str(info["cloud"]).strip(),
            "region": str(info["region"]).strip(),
            "accelerator": str(info["accelerator"]).strip(),
            "reserve": _number(row["reserve"]),
            "total_reserved": _number(row["total_reserved"]),
            "cost_optimal_reserve": _number(row["cost_optimal_reserve"]),
            "binding": None if pd.isna(binding) else str(binding),
            "expected_cost": _number(row["expected_cost"]),
            "savings_vs_on_demand": _number(row["savings_vs_on_demand"]),
            "coverage": _number(row["coverage"]),
            "reserved_utilization": _number(row["reserved_utilization"]),
            "headroom_gpus": int(room.at[name, "headroom_gpus"]) if name in room.index else 0,
            "forecast_method": methods.get(name),
            "filled_hours": int(filled.get(name, 0) or 0),
        }
        pools.append(entry)
        if entry["binding"] in ("service_level", "safety_margin"):
            warnings.append(
                f"Pool {name}: the {entry['binding'].replace('_', ' ')} set the reservation "
                f"({entry['reserve']:g} new units), above the cost optimum of {entry['cost_optimal_reserve']:g}.")
        if entry["filled_hours"]:
            warnings.append(f"Pool {name}: {entry['filled_hours']} missing hours of usage history were filled in.")
    if not res.success:
        warnings.append(f"Reservations: {res.status}: {res.message}")
    placement = plan.placement
    placement_info: dict[str, Any] | None = None
    if placement is not None:
        placement_info = {
            "status": str(placement.status),
            "replicas_placed": int(len(placement.assignments)),
            "replicas_unplaced": int(len(placement.unplaced)),
            "objective": _number(placement.objective),
            "bound": _number(placement.bound),
            "gap": _number(placement.gap),
            "backend": placement.backend,
            "diagnosis": list(placement.diagnosis.reasons) if placement.diagnosis else [],
        }
        if placement.status == Status.FEASIBLE:
            warnings.append(f"Placement is feasible but not proven optimal: within {placement.gap:.2%} "
                            f"of its lower bound.")
        elif not placement.success:
            reason = "; ".join(placement.diagnosis.reasons) if placement.diagnosis else placement.message
            warnings.append(f"Placement: {placement.status}: {reason}")
        if len(placement.unplaced):
            warnings.append(f"{len(placement.unplaced)} replica(s) left unplaced at their penalty.")
    costs = cost_by_cloud_mode(plan) if res.success else pd.DataFrame(columns=["cloud", "mode", "cost"])
    expected = float(costs["cost"].sum())
    on_demand = float(np.nansum(table["expected_cost"] + table["savings_vs_on_demand"])) if res.success else 0.0
    on_demand += placement_on_demand_cost(plan)
    savings = on_demand - expected
    first = getattr(forecast, "quantiles", None)
    start = str(first["timestamp"].min()) if first is not None and len(first) else None
    return {
        "run_id": run_id,
        "created_at": created.isoformat(timespec="seconds"),
        "resopt_version": __version__,
        "status": str(_overall_status(steps)),
        "input_dir": plan.inputs.source,
        "input_hashes": dict(plan.inputs.hashes),
        "policy": plan.policy.to_dict(),
        "horizon": {"start": start, "hours": plan.policy.horizon_hours},
        "totals": {
            "expected_cost": _number(expected),
            "all_on_demand_cost": _number(on_demand),
            "savings": _number(savings),
            "savings_pct": _number(100.0 * savings / on_demand) if on_demand > 0 else 0.0,
            "reservations_cost": _number(table["expected_cost"].sum()) if res.success else None,
            "placement_spend": _number(expected - table["expected_cost"].sum()) if res.success else None,
            "new_reserved_units": _number(table["reserve"].sum()),
        },
        "by_cloud_mode": [{"cloud": r.cloud, "mode": r.mode, "cost": _number(r.cost)}
                          for r in costs.itertuples(index=False)],
        "pools": pools,
        "placement": placement_info,
        "steps": {k: {kk: (_number(vv) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                  for k, v in steps.items()},
        "warnings": warnings,
        "previous": None,
    }


def _per_pool(value: Any) -> dict[str, Any]:
    """A per-pool mapping from a Series, a DataFrame with a ``pool`` column, or a dict."""
    if isinstance(value, pd.DataFrame):
        if "pool" in value.columns and value.shape[1] >= 2:
            return dict(zip(value["pool"].astype(str), value.drop(columns="pool").iloc[:, 0]))
        return {}
    if isinstance(value, pd.Series):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {}
