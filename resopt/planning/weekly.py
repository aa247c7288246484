"""The weekly capacity plan: forecast, reserve, place, summarize, record.

Each step is one of the public problem functions, called through its public API; this
module adds the input directory and policy, the headroom rule, the summary, the outputs
and the history. :func:`plan_week` is what ``resopt plan`` runs.
"""

from __future__ import annotations

import math
import os
import re
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..result import Status
from .inputs import (
    PlanInputs,
    Policy,
    apply_discounts,
    check_pools,
    check_workload_accelerators,
    read_plan_inputs,
)

__all__ = ["plan_week", "WeeklyPlan", "headroom", "add_headroom"]

#: Price columns each discount applies to.
POOL_PRICES = ("reserved", "on_demand")
OFFERING_PRICES = ("price_per_hour",)
PLACEMENT_FILES = {"workloads": "workloads.csv", "offerings": "offerings.csv", "egress": "egress.csv"}
RESERVATION_PRICE_COLUMNS = ("pool", "reserved", "on_demand", "spot", "spot_limit", "on_demand_limit",
                             "existing", "shortfall_penalty", "reserve_limit")


@dataclass(repr=False)
class WeeklyPlan:
    """The weekly plan: each step's result, the summary and the report.

    Attributes
    ----------
    forecast : ForecastResult
        Hourly demand scenarios per pool (:func:`resopt.forecast_demand`).
    reservations : ReservationResult
        Reservations per pool (:func:`resopt.size_reservations`).
    placement : PlacementResult or None
        Next week's workloads (:func:`resopt.place_workloads`); None without workloads.
    headroom : DataFrame
        Per pool: reserved GPUs the forecast leaves idle and the offering they were added to.
    summary : dict
        Costs by cloud and mode, savings, per-pool coverage and utilization, each step's
        status, gap and runtime, warnings, the policy, input hashes and the version.
    policy : Policy
        The policy in force, defaults filled in.
    inputs : PlanInputs
        The tables planned on (prices before discounts).
    diff : PlanDiff or None
        What changed since the previous run in the history (``db``), when there is one.
    """

    forecast: Any
    reservations: Any
    placement: Any
    headroom: pd.DataFrame
    summary: dict[str, Any]
    policy: Policy
    inputs: PlanInputs
    diff: Any = field(default=None)

    @property
    def run_id(self) -> str:
        return str(self.summary["run_id"])

    @property
    def status(self) -> Status:
        """The plan's status: the worst of its steps' (``optimal`` only if every step is)."""
        return Status(self.summary["status"])

    @property
    def success(self) -> bool:
        return self.status.has_solution

    def report_html(self) -> str:
        """The self-contained HTML report of this plan (no external resource)."""
        from ..report import render_report

        return render_report(self)

    def plot_costs(self, *, ax: Any = None) -> Any:
        """Expected cost by cloud, stacked by mode: the report's figure; returns the Axes.

        See :func:`resopt.plotting.cost_by_cloud_mode` (drawn from ``summary["by_cloud_mode"]``).
        """
        from ..plotting import cost_by_cloud_mode

        return cost_by_cloud_mode(self.summary["by_cloud_mode"], ax=ax)

    def plot_pool(self, pool: str, kind: str = "forecast", *, ax: Any = None) -> Any:
        """One pool's figure; returns the Axes.

        Parameters
        ----------
        pool : str
            A pool of the plan.
        kind : {"forecast", "curve", "distribution"}
            ``"forecast"``: usage history, forecast median and 90% band with the
            reserved capacity drawn across (:func:`resopt.plotting.forecast_fan`);
            ``"curve"`` and ``"distribution"``: :meth:`ReservationResult.plot`.
        ax : matplotlib Axes, optional
        """
        if kind in ("curve", "distribution"):
            return self.reservations.plot(pool, kind=kind, ax=ax)
        if kind != "forecast":
            raise InputError(f"Unknown plot kind {kind!r}. Kinds: 'forecast', 'curve', 'distribution'.")
        from ..plotting import forecast_fan

        quantiles = self.forecast.quantiles
        if str(pool) not in set(quantiles["pool"].astype(str)):
            raise InputError(f"Unknown pool {pool!r}. Pools: {sorted(set(quantiles['pool'].astype(str)))}.")
        history = self.forecast.history
        reserved = self.reservations.reservations.set_index("pool")["total_reserved"].get(str(pool))
        return forecast_fan(history[history["pool"].astype(str) == str(pool)],
                            quantiles[quantiles["pool"].astype(str) == str(pool)], ax=ax, title=str(pool),
                            units="units (GPUs)", reserved=reserved)

    def __repr__(self) -> str:
        s = self.summary
        totals = s["totals"]
        lines = [
            f"WeeklyPlan({s['run_id']}, {s['status']})",
            f"  horizon: {s['horizon']['hours']} h from {s['horizon']['start']}",
            f"  expected cost: {totals['expected_cost']:,.2f} USD "
            f"(all on demand {totals['all_on_demand_cost']:,.2f}; saves {totals['savings']:,.2f}, "
            f"{totals['savings_pct']:.1f}%)",
            f"  pools: {len(s['pools'])}, new reserved units: {sum(p['reserve'] or 0 for p in s['pools']):g}",
        ]
        for step, info in s["steps"].items():
            lines.append(f"  {step}: {info['status']} ({info['runtime_s']:.2f} s)")
        lines += [f"  warning: {w}" for w in s["warnings"]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        body = html.escape(repr(self)).replace("\n", "<br>")
        return f"<div style='font-family:monospace'>{body}<br><i>plan.report_html() for the full report</i></div>"


def _in_file(exc: InputError, tables: Mapping[str, str]) -> InputError:
    """Re-raise a problem function's InputError with its table named as the input file."""
    text = str(exc)
    for table, name in tables.items():
        # "of workloads" -> "of workloads.csv"; never a name that already is the file.
        text = re.sub(rf"(?<=\bof ){re.escape(table)}\b(?!\.csv)", name, text)
        text = re.sub(rf"^{re.escape(table)} is missing", f"{name} is missing", text)
    if not any(name in text for name in tables.values()):
        text = f"{', '.join(tables.values())}: {text}"
    return InputError(text)


def plan_week(
    inputs: PlanInputs | str | os.PathLike[str],
    *,
    policy: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    db: str | os.PathLike[str] | None = None,
    force: bool = False,
    progress: Callable[[str, float], None] | None = None,
    forecast: Any = None,
) -> WeeklyPlan:
    """Plan next week: forecast demand, size reservations, place workloads, summarize.

    Parameters
    ----------
    inputs : PlanInputs or path
        An input directory (``usage.csv``, ``pools.csv``, optional ``offerings.csv``,
        ``workloads.csv``, ``egress.csv``, ``policy.yaml``) or the tables in memory.
    policy : mapping, optional
        Policy keys that override the inputs' ``policy.yaml`` (see :class:`Policy`).
    out : path, optional
        Write ``forecast.csv``, ``reservations.csv``, ``placement.csv``, ``summary.json``
        and ``report.html`` here, atomically (a plan without a solution writes nothing).
    db : path, optional
        Record the run in this SQLite history (only with a solution).
    force : bool
        Replace an existing non-empty ``out``.
    progress : callable, optional
        Called as ``progress(step, seconds)`` after each step.
    forecast : ForecastResult, optional
        A forecast to reuse instead of computing one (what-if sweeps share forecasts).

    Returns
    -------
    WeeklyPlan

    Raises
    ------
    InputError
        Bad input; the message names the file, the column, the row and the value.

    Examples
    --------
    >>> import resopt
    >>> from resopt.examples import weekly_example
    >>> plan = resopt.plan_week(weekly_example(), policy={"scenarios": 50})
    >>> str(plan.status), len(plan.summary["pools"])
    ('optimal', 12)
    """
    from .outputs import prepare_output_dir, write_outputs

    started = time.perf_counter()
    created = datetime.now(timezone.utc)
    if not isinstance(inputs, PlanInputs):
        inputs = read_plan_inputs(inputs)
    pol = Policy.from_mapping(inputs.policy, "policy.yaml").updated(policy, "the policy overrides")
    out_path = prepare_output_dir(out, force=force) if out is not None else None
    report = progress or (lambda step, seconds: None)
    steps: dict[str, dict[str, Any]] = {}

    usage_pools = _usage_pools(inputs.usage)
    pools = check_pools(inputs.pools, usage_pools)
    clouds = sorted(set(pools["cloud"].astype(str).str.strip())
                    | (set(inputs.offerings["cloud"].astype(str).str.strip())
                       if inputs.offerings is not None and "cloud" in inputs.offerings.columns else set()))
    priced_pools = apply_discounts(pools, pol.discounts, POOL_PRICES, clouds)
    offerings = (apply_discounts(inputs.offerings, pol.discounts, OFFERING_PRICES, clouds)
                 if inputs.offerings is not None else None)
    _check_before_solving(inputs, pol, priced_pools, offerings)

    # 1. Forecast.
    t0 = time.perf_counter()
    if forecast is None:
        forecast = forecast_step(inputs, pol)
    steps["forecast"] = {"status": "optimal", "runtime_s": time.perf_counter() - t0}
    report("forecast", steps["forecast"]["runtime_s"])

    # 2. Reservations.
    t0 = time.perf_counter()
    from ..problems.reservation import size_reservations

    prices = priced_pools[[c for c in RESERVATION_PRICE_COLUMNS if c in priced_pools.columns]]
    scenarios = forecast.scenarios[["pool", "scenario", "hour", "demand"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reservations = size_reservations(scenarios, prices, service_level=pol.service_level,
                                             safety_margin=pol.safety_margin)
        except InputError as exc:
            raise _in_file(exc, {"prices": "pools.csv"}) from None
    price_warnings = [str(w.message) for w in caught]
    steps["reservations"] = _step(reservations)
    report("reservations", steps["reservations"]["runtime_s"])

    # 3. Headroom and placement.
    room = headroom(forecast.scenarios, reservations.reservations, pools, offerings, pol.headroom_quantile)
    placement = None
    if inputs.workloads is not None and reservations.success:
        from ..problems.placement import place_workloads

        t0 = time.perf_counter()
        try:
            placement = place_workloads(inputs.workloads, add_headroom(offerings, room), egress=inputs.egress,
                                        budget=pol.budget, max_cloud_share=pol.max_cloud_share,
                                        carbon_price=pol.carbon_price, time_limit=pol.time_limit,
                                        mip_gap=pol.mip_gap, seed=pol.seed)
        except InputError as exc:
            raise _in_file(exc, PLACEMENT_FILES) from None
        steps["placement"] = _step(placement)
        report("placement", steps["placement"]["runtime_s"])

    from .summary import summarize

    plan = WeeklyPlan(forecast, reservations, placement, room, {}, pol, inputs)
    plan.summary = summarize(plan, steps, price_warnings, run_id=_run_id(created), created=created)
    if db is not None:
        _diff_against_last(plan, db)
    plan.summary["runtime_s"] = time.perf_counter() - started
    if plan.success and (out_path is not None or db is not None):
        t0 = time.perf_counter()
        write_outputs(plan, out_path, db)
        report("outputs", time.perf_counter() - t0)
    return plan


def _diff_against_last(plan: WeeklyPlan, db: str | os.PathLike[str]) -> None:
    """Set ``plan.diff`` and the summary's ``previous`` from the last recorded run, if any."""
    from .history import HistoryStore, diff_snapshots, snapshot_of

    store = HistoryStore(db)
    last = store.last()
    if last is None:
        return
    plan.diff = diff_snapshots(store.snapshot(last), snapshot_of(plan))
    plan.summary["previous"] = {"run_id": last, "expected_cost": plan.diff.total_a,
                                "change": plan.diff.total_b - plan.diff.total_a}


def _check_before_solving(inputs: PlanInputs, pol: Policy, priced_pools: pd.DataFrame,
                          offerings: pd.DataFrame | None) -> None:
    """Validate every table before the first step runs, so bad input fails in the first second."""
    from ..problems.placement.schema import validate_inputs
    from ..problems.reservation.inputs import read_prices

    try:
        read_prices(priced_pools[[c for c in RESERVATION_PRICE_COLUMNS if c in priced_pools.columns]])
    except InputError as exc:
        raise _in_file(exc, {"prices": "pools.csv"}) from None
    if inputs.workloads is None:
        return
    known = set(inputs.pools["accelerator"].astype(str).str.strip())
    if offerings is not None and "accelerator" in offerings.columns:
        known |= set(offerings["accelerator"].astype(str).str.strip())
    check_workload_accelerators(inputs.workloads, sorted(known))
    try:
        validate_inputs(inputs.workloads, offerings, inputs.egress, budget=pol.budget,
                        max_cloud_share=pol.max_cloud_share, carbon_price=pol.carbon_price)
    except InputError as exc:
        raise _in_file(exc, PLACEMENT_FILES) from None


#: The policy keys the forecast depends on (a what-if sweep forecasts once per distinct setting).
FORECAST_KEYS = ("horizon_hours", "scenarios", "seed", "forecast_method")


def forecast_step(inputs: PlanInputs, policy: Policy) -> Any:
    """Step 1 of :func:`plan_week`: forecast each pool's demand under ``policy``.

    Depends on ``inputs.usage`` and the :data:`FORECAST_KEYS` of ``policy`` only.
    """
    from .forecast import forecast_demand

    try:
        return forecast_demand(inputs.usage, horizon_hours=policy.horizon_hours, scenarios=policy.scenarios,
                               seed=policy.seed, method=policy.forecast_method)
    except InputError as exc:
        raise _in_file(exc, {"usage": "usage.csv"}) from None


def _run_id(created: datetime) -> str:
    return f"{created.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"


def _step(result: Any) -> dict[str, Any]:
    gap = result.gap
    return {
        "status": str(result.status),
        "objective": result.objective if math.isfinite(result.objective) else None,
        "gap": gap if math.isfinite(gap) else None,
        "backend": result.backend,
        "runtime_s": result.runtime_s,
        "message": result.message,
    }


def _usage_pools(usage: pd.DataFrame) -> list[str]:
    if "pool" not in usage.columns:
        return []
    names = pd.Series(usage["pool"].dropna().unique())  # strip the few distinct names, not every row
    return sorted(set(names.astype(str).str.strip()))


def headroom(
    scenarios: pd.DataFrame,
    reservations: pd.DataFrame,
    pools: pd.DataFrame,
    offerings: pd.DataFrame | None,
    quantile: float,
) -> pd.DataFrame:
    """Reserved GPUs the forecast leaves idle, per pool, and the offering that gets them.

    ``headroom = floor(mean over hours of max(0, total_reserved - q_t))`` where ``q_t`` is the
    ``quantile`` of the forecast scenarios' demand in hour ``t``. They go to the offering of
    the pool's ``instance_type`` in its cloud and region, or else to that cloud, region and
    accelerator's offering with the lowest on-demand price per GPU. Placement is not
    time-indexed, so the mean over hours stands for the week; with a high quantile the rule
    is conservative (the workloads rarely collide with the pool's own demand).

    Examples
    --------
    >>> scen = pd.DataFrame({"pool": ["p"] * 4, "scenario": [0, 0, 1, 1], "hour": [0, 1, 0, 1],
    ...                      "demand": [1.0, 3.0, 2.0, 4.0]})
    >>> res = pd.DataFrame({"pool": ["p"], "total_reserved": [6.0]})
    >>> pools = pd.DataFrame({"pool": ["p"], "cloud": ["aws"], "region": ["r"], "accelerator": ["H100"]})
    >>> headroom(scen, res, pools, None, 0.9)[["pool", "headroom_gpus"]].to_dict("records")
    [{'pool': 'p', 'headroom_gpus': 3}]
    """
    pool_codes, pool_names = pd.factorize(scenarios["pool"], sort=True)
    pool_names = pd.Index(pool_names).astype(str)
    hour_codes, _ = pd.factorize(scenarios["hour"], sort=True)
    scen_codes, scen_names = pd.factorize(scenarios["scenario"], sort=True)
    shape = (len(pool_names), int(hour_codes.max()) + 1 if len(hour_codes) else 0, len(scen_names))
    demand = np.full(shape, np.nan)
    demand[pool_codes, hour_codes, scen_codes] = scenarios["demand"].to_numpy(dtype=np.float64)
    # np.nanquantile loops in Python; it is needed only when pools have different scenario sets.
    quantile_of = np.nanquantile if np.isnan(demand).any() else np.quantile
    q = quantile_of(demand, quantile, axis=2, method="inverted_cdf") if demand.size else demand[..., 0]
    reserved = reservations.set_index("pool")["total_reserved"].astype(float)
    total = reserved.reindex(pool_names).to_numpy()[:, None]
    # A pool without a reservation level (infeasible) idles nothing.
    idle = np.clip(np.nan_to_num(total - q, nan=0.0), 0.0, None)
    mean_idle = pd.Series(idle.mean(axis=1) if q.size else [], index=pool_names, dtype=np.float64)
    rows = []
    holding_offering = _HoldingOffering(offerings)
    for _, pool in pools.iterrows():
        name = str(pool["pool"]).strip()
        value = mean_idle.get(name, 0.0)
        gpus = int(math.floor(value + 1e-9)) if math.isfinite(value) else 0
        target = holding_offering(pool)
        rows.append({"pool": name, "cloud": str(pool["cloud"]).strip(), "region": str(pool["region"]).strip(),
                     "accelerator": str(pool["accelerator"]).strip(),
                     "total_reserved": float(reserved.get(name, math.nan)),
                     "headroom_gpus": gpus, "offering": target})
    return pd.DataFrame(rows, columns=["pool", "cloud", "region", "accelerator", "total_reserved",
                                       "headroom_gpus", "offering"])


class _HoldingOffering:
    """Which offering holds each pool's reserved capacity, looked up in one pass over the catalog.

    A pool's capacity sits on the offering of its ``instance_type`` in its cloud and region
    (the first such row), or else on that cloud, region and accelerator's offering with the
    lowest on-demand price per GPU (the first of equal prices; the first row when no price
    is readable). No match, or a catalog without those columns, gives None.
    """

    KEYS = ("cloud", "region", "accelerator", "instance_type")

    def __init__(self, offerings: pd.DataFrame | None) -> None:
        self.by_type: dict[tuple[str, str, str], Any] = {}
        self.by_accelerator: dict[tuple[str, str, str], tuple[float, Any]] = {}  # (price per GPU, label)
        if offerings is None or not len(offerings) or not all(c in offerings.columns for c in self.KEYS):
            return
        text = [offerings[c].astype("string").str.strip().tolist() for c in self.KEYS]
        per_gpu = (pd.to_numeric(offerings["price_per_hour"], errors="coerce")
                   / pd.to_numeric(offerings["accelerator_count"], errors="coerce")).to_numpy(dtype=np.float64)
        for label, cloud, region, accelerator, kind, price in zip(offerings.index, *text, per_gpu):
            if cloud is pd.NA or region is pd.NA:
                continue
            if kind is not pd.NA:
                self.by_type.setdefault((cloud, region, kind), label)
            if accelerator is pd.NA:
                continue
            key = (cloud, region, accelerator)
            best, _ = self.by_accelerator.setdefault(key, (math.nan, label))  # the first row, until a price
            if not math.isnan(price) and (math.isnan(best) or price < best):
                self.by_accelerator[key] = (price, label)

    def __call__(self, pool: pd.Series) -> Any:
        """Index label of the offering holding ``pool``'s reserved capacity (None: no match)."""
        place = (str(pool["cloud"]).strip(), str(pool["region"]).strip())
        wanted = pool.get("instance_type")
        if isinstance(wanted, str) and wanted.strip() and (*place, wanted.strip()) in self.by_type:
            return self.by_type[(*place, wanted.strip())]
        found = self.by_accelerator.get((*place, str(pool["accelerator"]).strip()))
        return None if found is None else found[1]


def add_headroom(offerings: pd.DataFrame, room: pd.DataFrame) -> pd.DataFrame:
    """``offerings`` with each pool's headroom added to its offering's ``reserved_gpus``."""
    out = offerings.copy()
    base = pd.to_numeric(out["reserved_gpus"], errors="coerce") if "reserved_gpus" in out.columns else None
    extra = room.dropna(subset=["offering"]).groupby("offering")["headroom_gpus"].sum()
    if not len(extra):
        return out
    if base is None:
        out["reserved_gpus"] = 0.0
    elif base.isna().any() and out["reserved_gpus"].notna().all():
        return out  # unreadable values: leave them for place_workloads to name
    else:
        out["reserved_gpus"] = base.fillna(0.0)
    out.loc[extra.index, "reserved_gpus"] = out.loc[extra.index, "reserved_gpus"].astype(float) + extra.to_numpy()
    return out
