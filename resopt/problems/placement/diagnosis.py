"""Why a placement is infeasible, said in the terms of the input.

:func:`precheck` runs before any solver and proves infeasibility from simple
counting: a replica that must be placed but has no compatible offering, a spread
workload with fewer compatible regions than replicas, or demand for an
accelerator (within the clouds/regions it may use) above all the capacity it may
use. :func:`explain_cuts` runs after a solver found the model infeasible and
re-solves without the budget and without the cloud-share cap to say which cuts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from ...result import Status
from .formulation import Pairs, instances_needed
from .result import Diagnosis
from .schema import PlacementInput, allows_any, listed_values

__all__ = ["precheck", "explain_cuts"]

_MAX_LISTED = 20


def _fmt(x: float) -> str:
    return f"{x:,.10g}"


def _join(values) -> str:
    vals = sorted({str(v) for v in values})
    return ", ".join(vals) if vals else "none"


def _why_no_offering(inp: PlacementInput, w: int) -> str:
    """One sentence on why workload ``w`` has no compatible offering."""
    accel, clouds, regions = inp.accel_req[w], inp.cloud_req[w], inp.region_req[w]
    ok = np.ones(inp.num_offerings, dtype=bool) if allows_any(accel) else np.isin(inp.off_accel, listed_values(accel))
    what = "any accelerator" if allows_any(accel) else accel
    for req, have, noun, where in ((clouds, inp.off_cloud, "cloud(s)", f"{what} is offered only in"),
                                   (regions, inp.off_region, "region(s)", "the compatible offerings are in")):
        if allows_any(req):
            continue
        inside = ok & np.isin(have, listed_values(req))
        if not inside.any():
            return f"asks for {what} in {noun} {req}, but {where} {_join(have[ok])}"
        ok = inside
    used = instances_needed(inp.gpus[w], inp.accel_count[ok]) * inp.accel_count[ok]
    caps = inp.capacity[ok].copy()
    caps[np.isnan(inp.spot_price[ok]), 2] = 0.0
    if not inp.spot_ok[w]:
        spot_fits = (caps[:, 2] >= used).any()
        caps[:, 2] = 0.0
        if spot_fits and not (caps >= used[:, None]).any():
            return (f"has spot_ok false, and only spot capacity of {what} can hold a replica of "
                    f"{int(inp.gpus[w])} GPUs")
    if not (caps >= used[:, None]).any():
        return (f"needs {int(inp.gpus[w])} GPUs per replica, but no compatible offering of {what} has that "
                f"much capacity (largest: {_fmt(float(caps.max(initial=0.0)))} GPUs)")
    locs = {inp.locations[i] for i in inp.off_loc[ok]}
    return (f"needs {int(inp.replicas[w])} replicas in distinct regions (spread), but its compatible "
            f"offerings are in only {len(locs)} region(s): {_join(f'{c}/{r}' for c, r in locs)}")


def _segments(pairs: Pairs, num_workloads: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(pairs.w, minlength=num_workloads)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return counts, starts


def _shortfall(inp: PlacementInput, pairs: Pairs) -> pd.DataFrame:
    """Demand of must-place replicas per (accelerator, scope) against all capacity it may use."""
    must = np.isinf(inp.penalty)
    counts, starts = _segments(pairs, inp.num_workloads)
    has = counts > 0
    min_used = np.zeros(inp.num_workloads)
    if pairs.size:
        red = np.minimum.reduceat(pairs.used, starts[has]) if has.any() else np.empty(0)
        min_used[has] = red
    need = np.where(must & has, inp.replicas * min_used, 0.0)
    cap = inp.capacity.copy()
    cap[np.isnan(inp.spot_price), 2] = 0.0
    rows = []

    def check(members: np.ndarray, offers: np.ndarray, spot: bool, accel: str, scope: str) -> None:
        needed = float(need[members].sum())
        if needed <= 0:
            return
        avail = float(cap[offers, :2].sum() + (cap[offers, 2].sum() if spot else 0.0))
        if needed > avail + 1e-9:
            rows.append((accel, scope, needed, avail, needed - avail))

    # per restriction profile (and spot permission)
    key = inp.profile * 2 + inp.spot_ok.astype(np.int64)
    for k in np.unique(key[must & has]):
        members = np.flatnonzero((key == k) & must & has)
        w0 = members[0]
        scope = ", ".join(x for x in (inp.cloud_req[w0], inp.region_req[w0]) if not allows_any(x)) or "any"
        check(members, np.flatnonzero(inp.allowed[inp.profile[w0]]), bool(inp.spot_ok[w0]),
              inp.accel_req[w0] if not allows_any(inp.accel_req[w0]) else "*", scope)
    # per accelerator over every workload that can only use it
    single = np.array([not allows_any(a) and len(listed_values(a)) == 1 for a in inp.accel_req])
    for acc in np.unique(inp.accel_req[single & must & has]):
        members = np.flatnonzero((inp.accel_req == acc) & must & has)
        offers = np.flatnonzero(inp.off_accel == acc)
        if len(rows) and any(r[0] == acc and r[1] == "any" for r in rows):
            continue
        check(members, offers, bool(inp.spot_ok[members].any()), str(acc), "any")
    frame = pd.DataFrame(rows, columns=["accelerator", "scope", "gpus_needed", "gpus_available", "short_by"])
    return frame.drop_duplicates(subset=["accelerator", "gpus_needed", "gpus_available"]).reset_index(drop=True)


def precheck(inp: PlacementInput, pairs: Pairs) -> Diagnosis:
    """Prove infeasibility by counting, before any solver runs (empty diagnosis: nothing found)."""
    must = np.isinf(inp.penalty)
    counts, _ = _segments(pairs, inp.num_workloads)
    regions_avail = counts.astype(np.int64)
    spread_pairs = inp.spread[pairs.w]
    if spread_pairs.any():
        nloc = len(inp.locations)
        key = np.unique(pairs.w[spread_pairs] * nloc + pairs.loc[spread_pairs])
        regions_avail = np.where(inp.spread, np.bincount(key // nloc, minlength=inp.num_workloads),
                                 regions_avail)
    short_w = must & ((counts == 0) | (inp.spread & (regions_avail < inp.replicas)))
    diag = Diagnosis()
    bad = np.flatnonzero(short_w)
    if bad.size:
        reasons = [(inp.workload_ids[w], _why_no_offering(inp, int(w))) for w in bad[:_MAX_LISTED]]
        diag.no_offering = pd.DataFrame(reasons, columns=["workload", "reason"])
        for wid, why in reasons:
            diag.reasons.append(f"Workload {wid!r} has no compatible offering: it {why}.")
        if bad.size > _MAX_LISTED:
            diag.reasons.append(f"... and {bad.size - _MAX_LISTED} more workloads without a compatible offering.")
    short = _shortfall(inp, pairs)
    if len(short):
        diag.shortfall = short
        for r in short.itertuples():
            where = "" if r.scope == "any" else f" within {r.scope}"
            diag.reasons.append(
                f"{r.accelerator} is short of capacity{where}: replicas that must be placed need at least "
                f"{_fmt(r.gpus_needed)} GPUs, the offerings they may use have {_fmt(r.gpus_available)}: "
                f"short by {_fmt(r.short_by)} GPUs."
            )
    return diag


def explain_cuts(inp: PlacementInput, resolve: Callable[[PlacementInput], tuple[Status, float]]) -> Diagnosis:
    """After an infeasible solve: which of the budget and the cloud-share cap cut the plan.

    ``resolve`` solves a modified input and returns ``(status, spend of its plan)``.
    """
    diag = Diagnosis()
    variants = []
    if inp.budget is not None:
        variants.append(("budget", replace(inp, budget=None)))
    if inp.max_cloud_share is not None:
        variants.append(("max_cloud_share", replace(inp, max_cloud_share=None)))
    if len(variants) == 2:
        variants.append(("both", replace(inp, budget=None, max_cloud_share=None)))
    for name, variant in variants:
        status, spend = resolve(variant)
        if not status.has_solution:
            continue
        if name == "budget":
            diag.cuts.append("budget")
            diag.reasons.append(
                f"The budget cuts: without it a plan exists (spend {_fmt(round(spend, 2))} USD), "
                f"but no plan fits within {_fmt(inp.budget)} USD" +
                (" under the cloud-share cap." if inp.max_cloud_share is not None else "."))
        elif name == "max_cloud_share":
            diag.cuts.append("max_cloud_share")
            diag.reasons.append(
                f"The cloud-share cap cuts: without it a plan exists (spend {_fmt(round(spend, 2))} USD), but "
                f"no plan keeps every cloud within {inp.max_cloud_share:.0%} of the spend"
                + (" and within the budget." if inp.budget is not None else ".")
                + f" Clouds: {_join(inp.clouds)}.")
        elif not diag.cuts:
            diag.cuts.extend(["budget", "max_cloud_share"])
            diag.reasons.append("The budget and the cloud-share cap together cut: dropping both gives a plan "
                                f"(spend {_fmt(round(spend, 2))} USD), dropping either alone does not.")
        if name != "both" and len(diag.cuts) == 2:
            break
    if not diag.reasons:
        diag.reasons.append(
            "The replicas that must be placed compete for the same capacity: every offering and mode fits "
            "some of them, but no combination fits all (see the capacity_gpus, spot_capacity_gpus and "
            "reserved_gpus of the compatible offerings).")
    return diag
