"""Placement oracle: a plan checker and a brute force over every replica's options.

Both recompute everything from the input tables with their own, deliberately plain,
loop-based code; they share nothing with :mod:`resopt.problems.placement`.
"""

from __future__ import annotations

import itertools
import math

import pytest

#: The columns of ``PlacementResult.assignments``, in order.
COLUMNS = ["workload", "replica", "cloud", "region", "instance_type", "mode", "instances", "gpus",
           "compute_cost", "egress_cost", "emissions_kg", "cost"]


def _opt(row, col, default=None):
    v = row.get(col, default) if hasattr(row, "get") else default
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return default
    return v


def _allowed(text, value):
    text = _opt({"t": text}, "t", "")
    toks = [t.strip() for t in str(text).split("|") if t.strip()]
    return not toks or toks == ["*"] or value in toks


def _egress_rate(wl, off, egress):
    dc, dr = _opt(wl, "data_cloud", ""), _opt(wl, "data_region", "")
    if not dc or not _opt(wl, "data_gb", 0):
        return 0.0
    if dc == off["cloud"] and (not dr or dr == off["region"]):
        return 0.0
    if egress is not None:
        best = None
        for _, e in egress.iterrows():
            sr, tr = _opt(e, "src_region", ""), _opt(e, "dst_region", "")
            if e["src_cloud"] == dc and e["dst_cloud"] == off["cloud"] and (not sr or sr == dr) \
                    and (not tr or tr == off["region"]):
                spec = bool(sr) + bool(tr)
                if best is None or spec > best[0]:
                    best = (spec, e["usd_per_gb"])
        if best is not None:
            return float(best[1])
    return 0.02 if dc == off["cloud"] else 0.09


def option_cost(wl, off, mode, carbon_price=0.0, egress=None):
    """(instances, gpus, compute, egress, emissions_kg, cost) of one replica, or None if not allowed."""
    if not (_allowed(wl["accelerator"], off["accelerator"]) and _allowed(_opt(wl, "clouds", ""), off["cloud"])
            and _allowed(_opt(wl, "regions", ""), off["region"])):
        return None
    if mode == "spot" and (not bool(_opt(wl, "spot_ok", False)) or _opt(off, "spot_price_per_hour") is None):
        return None
    inst = math.ceil(wl["gpus"] / off["accelerator_count"] - 1e-9)
    gpus = inst * off["accelerator_count"]
    price = {"reserved": 0.0, "on_demand": off["price_per_hour"],
             "spot": _opt(off, "spot_price_per_hour", 0.0)}[mode]
    run = wl["hours"] / _opt(off, "throughput", 1.0)
    compute = inst * price * run
    egress_cost = float(_opt(wl, "data_gb", 0.0)) * _egress_rate(wl, off, egress)
    em = gpus * _opt(off, "gpu_watts", 0.0) * run * _opt(off, "carbon_g_per_kwh", 0.0) / 1e6
    return inst, gpus, compute, egress_cost, em, compute + egress_cost + carbon_price * em / 1000


def capacity(off, mode):
    if mode == "reserved":
        return float(_opt(off, "reserved_gpus", 0.0))
    if mode == "spot":
        if _opt(off, "spot_price_per_hour") is None:
            return 0.0
        return float(_opt(off, "spot_capacity_gpus", math.inf))
    return float(_opt(off, "capacity_gpus", math.inf))


def check_plan(result, workloads, offerings, *, budget=None, share=None, carbon_price=0.0, egress=None,
               rel=1e-7):
    """Recompute every constraint and every cost of ``result`` from the input tables."""
    a, u = result.assignments, result.unplaced
    assert list(a.columns) == COLUMNS
    assert result.to_frame() is a
    wl_by_id = {r["workload"]: r for _, r in workloads.iterrows()}
    off_by_key = {(r["cloud"], r["region"], r["instance_type"]): r for _, r in offerings.iterrows()}
    used: dict = {}
    total_spend = 0.0
    spend_by_cloud: dict = {}
    for row in a.to_dict("records"):
        wl, off = wl_by_id[row["workload"]], off_by_key[(row["cloud"], row["region"], row["instance_type"])]
        assert row["mode"] in ("reserved", "on_demand", "spot")
        opt = option_cost(wl, off, row["mode"], carbon_price, egress)
        assert opt is not None, f"incompatible placement {row}"
        inst, gpus, compute, eg, em, cost = opt
        assert row["instances"] == inst and row["gpus"] == pytest.approx(gpus)
        assert row["compute_cost"] == pytest.approx(compute, rel=rel, abs=1e-9)
        assert row["egress_cost"] == pytest.approx(eg, rel=rel, abs=1e-9)
        assert row["emissions_kg"] == pytest.approx(em, rel=rel, abs=1e-9)
        assert row["cost"] == pytest.approx(cost, rel=rel, abs=1e-9)
        key = (row["cloud"], row["region"], row["instance_type"], row["mode"])
        used[key] = used.get(key, 0.0) + gpus
        total_spend += compute + eg
        spend_by_cloud[row["cloud"]] = spend_by_cloud.get(row["cloud"], 0.0) + compute + eg
    for (c, r, t, m), g in used.items():
        assert g <= capacity(off_by_key[(c, r, t)], m) + 1e-6, f"capacity of {(c, r, t, m)} exceeded"
    for wid, wl in wl_by_id.items():
        n = int(_opt(wl, "replicas", 1))
        mine = a[a["workload"] == wid]
        lost = u[u["workload"] == wid]
        assert len(mine) + len(lost) == n
        assert sorted(mine["replica"].tolist() + lost["replica"].tolist()) == list(range(n))
        if len(lost):
            assert _opt(wl, "unplaced_penalty") is not None, f"{wid} must be placed"
            assert (lost["penalty"] == float(wl["unplaced_penalty"])).all()
        if bool(_opt(wl, "spread", False)):
            regions = list(zip(mine["cloud"], mine["region"]))
            assert len(set(regions)) == len(regions), f"{wid} is not spread"
    if budget is not None:
        assert total_spend <= budget * (1 + 1e-9) + 1e-6
    if share is not None and total_spend > 0:
        for c, s in spend_by_cloud.items():
            assert s <= share * total_spend * (1 + 1e-7) + 1e-6, f"{c} above the share cap"
    expected = float(a["cost"].sum()) + float(u["penalty"].sum())
    assert result.objective == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert not (result.bound > result.objective + 1e-6 * max(1, abs(result.objective)))


def brute_force(workloads, offerings, *, budget=None, share=None, carbon_price=0.0):
    """The optimum by enumerating every option of every replica (tiny instances only)."""
    replicas = []
    for _, wl in workloads.iterrows():
        opts = []
        for _, off in offerings.iterrows():
            for mode in ("reserved", "on_demand", "spot"):
                oc = option_cost(wl, off, mode, carbon_price)
                if oc is not None and oc[1] <= capacity(off, mode):
                    opts.append(((off["cloud"], off["region"], off["instance_type"], mode), oc))
        pen = _opt(wl, "unplaced_penalty")
        if pen is not None:
            opts.append((None, pen))
        for _ in range(int(_opt(wl, "replicas", 1))):
            replicas.append((wl, opts))
    caps = {(r["cloud"], r["region"], r["instance_type"], m): capacity(r, m)
            for _, r in offerings.iterrows() for m in ("reserved", "on_demand", "spot")}
    best = math.inf
    for combo in itertools.product(*[opts for _, opts in replicas]):
        used, total, spend, by_cloud, regions = {}, 0.0, 0.0, {}, set()
        ok = True
        for (wl, _), (key, oc) in zip(replicas, combo):
            if key is None:
                total += oc
                continue
            used[key] = used.get(key, 0.0) + oc[1]
            if used[key] > caps[key] + 1e-9:
                ok = False
                break
            if bool(_opt(wl, "spread", False)):
                tag = (wl["workload"], key[0], key[1])
                if tag in regions:
                    ok = False
                    break
                regions.add(tag)
            total += oc[5]
            spend += oc[2] + oc[3]
            by_cloud[key[0]] = by_cloud.get(key[0], 0.0) + oc[2] + oc[3]
        if not ok or (budget is not None and spend > budget + 1e-9):
            continue
        if share is not None and spend > 0 and max(by_cloud.values()) > share * spend + 1e-9:
            continue
        best = min(best, total)
    return best
