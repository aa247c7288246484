"""Benchmarks of resopt.place_workloads: medians of repeated runs and ratios.

Cases (all on synthetic instances shaped like a public GPU catalog, see
``resopt.problems.placement.synthetic``):

- ``milp``: 2,000 replicas x 3,000 offerings, HiGHS MILP to a 0.1% gap (goal <= 60 s).
- ``heuristic``: 100,000 replicas x 200 offerings, vectorized heuristic (goal: within 0.5% of its
  certified bound in <= 20 s). The reference is an independent LP relaxation: built here from the
  input tables with pandas and NumPy (nothing from ``resopt``'s formulation) and solved by
  ``scipy.optimize.linprog`` (HiGHS dual simplex); the heuristic's plan must lie above it and
  its bound below it.
- ``build``: the same MILP built for HiGHS (arrays, one passModel) and in PuLP (goal >= 20x).
- ``million`` (only with ``--million``): 1,000,000 replicas x 200 offerings, heuristic in POP parts
  (goal <= 10 min and 4 GB peak memory; with ``--dask`` on a 2-worker local Dask cluster:
  <= 1% certified gap in <= 90 s).

Usage::

    python3 benchmarks/placement.py                       # milp, heuristic, build; 3 runs each
    python3 benchmarks/placement.py --cases build --repeat 5
    python3 benchmarks/placement.py --million --cases million
    python3 benchmarks/placement.py --million --cases million --dask --workers 2 --time-limit 85

``--time-limit`` is the budget of the whole ``place_workloads`` call (parts included).

The machine is shared: the script prints the load average next to the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.optimize import linprog  # noqa: E402

from resopt import place_workloads  # noqa: E402
from resopt.backends.highs import build_highs  # noqa: E402
from resopt.backends.pulp import build_pulp  # noqa: E402
from resopt.problems.placement.formulation import build_model, build_pairs  # noqa: E402
from resopt.problems.placement.schema import validate_inputs  # noqa: E402
from resopt.problems.placement.synthetic import synthetic_instance  # noqa: E402


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _row(name: str, size: str, seconds: list[float], extra: str) -> None:
    print(f"{name:<10} {size:<28} median {_median(seconds):8.2f} s  runs {len(seconds)}  {extra}", flush=True)


def bench_milp(args) -> None:
    times, gaps, statuses, sizes = [], [], [], []
    for run in range(args.repeat):
        w, o = synthetic_instance(args.milp_replicas, args.milp_offerings, seed=run, replicas_per_workload=args.shape)
        r = place_workloads(w, o, backend="highs", mip_gap=1e-3, time_limit=args.time_limit)
        times.append(r.runtime_s)
        gaps.append(r.gap)
        statuses.append(str(r.status))
        sizes.append(len(w))
    _row("milp", f"{args.milp_replicas}x{args.milp_offerings} ({max(sizes)} workloads)", times,
         f"gap median {_median(gaps):.2e}  statuses {statuses}  time/goal(60 s) {_median(times) / 60:.2f}")


def _tokens(cell) -> set[str] | None:
    """Allowed values of a ``|``-joined cell; None means any."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return None
    toks = {t.strip() for t in str(cell).split("|") if t.strip()}
    return None if not toks or toks == {"*"} else toks


def _allowed(cells: pd.Series, values: pd.Series) -> np.ndarray:
    """Workloads x offerings: does each workload's cell allow each offering's value."""
    out = np.zeros((len(cells), len(values)), dtype=bool)
    parsed = [_tokens(c) for c in cells]
    for v in pd.unique(values):
        ok = np.array([t is None or v in t for t in parsed])
        out |= ok[:, None] & (values.to_numpy() == v)[None, :]
    return out


def independent_lp(workloads: pd.DataFrame, offerings: pd.DataFrame) -> tuple[float, str, float]:
    """The LP relaxation of the placement MILP, built from the tables alone; ``(value, status, seconds)``.

    Variables: replicas of each workload on each compatible (offering, mode), plus the unplaced
    replicas of workloads with a penalty. Rows: every replica once, GPUs per (offering, mode)
    within a finite capacity, spread workloads at most one replica per region. Pairs that a
    cheaper unlimited pair of the same workload (and region, when spread) beats are left out:
    the LP optimum does not change. Default egress rates (0 / 0.02 / 0.09 USD/GB), no carbon price.
    """
    t = time.perf_counter()
    wl, off = workloads.reset_index(drop=True), offerings.reset_index(drop=True)
    ok = _allowed(wl["accelerator"], off["accelerator"])
    if "clouds" in wl:
        ok &= _allowed(wl["clouds"], off["cloud"])
    if "regions" in wl:
        ok &= _allowed(wl["regions"], off["region"])
    w, o = np.nonzero(ok)
    count = off["accelerator_count"].to_numpy(float)[o]
    inst = np.ceil(wl["gpus"].to_numpy(float)[w] / count - 1e-9)
    used = inst * count
    hours = wl["hours"].to_numpy(float)[w] / off["throughput"].to_numpy(float)[o]
    same_cloud = wl["data_cloud"].to_numpy()[w] == off["cloud"].to_numpy()[o]
    rate = np.where(same_cloud, np.where(wl["data_region"].to_numpy()[w] == off["region"].to_numpy()[o], 0.0, 0.02),
                    0.09)
    egress = wl["data_gb"].to_numpy(float)[w] * rate
    spot_price = off["spot_price_per_hour"].to_numpy(float)[o]
    modes = {  # mode: (capacity in GPUs, USD per instance-hour, allowed)
        "reserved": (off["reserved_gpus"].to_numpy(float)[o], np.zeros(w.size), np.ones(w.size, bool)),
        "on_demand": (np.nan_to_num(off["capacity_gpus"].to_numpy(float)[o], nan=np.inf),
                      off["price_per_hour"].to_numpy(float)[o], np.ones(w.size, bool)),
        "spot": (np.nan_to_num(off["spot_capacity_gpus"].to_numpy(float)[o], nan=np.inf), np.nan_to_num(spot_price),
                 wl["spot_ok"].to_numpy(bool)[w] & ~np.isnan(spot_price)),
    }
    frames = []
    for m, (cap, price, allowed) in enumerate(modes.values()):
        keep = allowed & (cap >= used - 1e-9)
        frames.append(pd.DataFrame({"w": w[keep], "res": o[keep] * 3 + m, "used": used[keep],
                                    "cost": (inst * price * hours + egress)[keep], "unlimited": np.isinf(cap[keep])}))
    pairs = pd.concat(frames, ignore_index=True)
    spread = wl["spread"].to_numpy(bool)
    region = pd.factorize(off["cloud"].astype(str) + "/" + off["region"].astype(str))[0]
    pw = pairs["w"].to_numpy()
    pairs["group"] = np.where(spread[pw], pw * (region.max() + 1) + region[pairs["res"].to_numpy() // 3], -1 - pw)
    best_unlimited = pairs["cost"].where(pairs["unlimited"]).groupby(pairs["group"]).transform("min").fillna(np.inf)
    first_unlimited = pairs.index.isin(pairs[pairs["unlimited"]].sort_values("cost").drop_duplicates("group").index)
    pairs = pairs[(pairs["cost"] < best_unlimited - 1e-9) | first_unlimited].reset_index(drop=True)
    n, W = len(pairs), len(wl)
    penalty = wl["unplaced_penalty"].to_numpy(float) if "unplaced_penalty" in wl else np.full(W, np.nan)
    pen_w = np.flatnonzero(~np.isnan(penalty))
    c = np.concatenate([pairs["cost"].to_numpy(), penalty[pen_w]])
    A_eq = sp.csr_array((np.ones(n + pen_w.size), (np.concatenate([pairs["w"], pen_w]), np.arange(n + pen_w.size))),
                        shape=(W, n + pen_w.size))
    cap_all = np.stack([off["reserved_gpus"].to_numpy(float),
                        np.nan_to_num(off["capacity_gpus"].to_numpy(float), nan=np.inf),
                        np.where(np.isnan(off["spot_price_per_hour"].to_numpy(float)), 0.0,
                                 np.nan_to_num(off["spot_capacity_gpus"].to_numpy(float), nan=np.inf))], axis=1).ravel()
    limited = ~pairs["unlimited"].to_numpy()
    res_ids, res_row = np.unique(pairs["res"].to_numpy()[limited], return_inverse=True)
    grp = pairs["group"].to_numpy()
    sp_cols = np.flatnonzero(grp >= 0)
    grp_ids, grp_row = np.unique(grp[sp_cols], return_inverse=True)
    rows = np.concatenate([res_row, res_ids.size + grp_row])
    cols = np.concatenate([np.flatnonzero(limited), sp_cols])
    vals = np.concatenate([pairs["used"].to_numpy()[limited], np.ones(sp_cols.size)])
    A_ub = sp.csr_array((vals, (rows, cols)), shape=(res_ids.size + grp_ids.size, n + pen_w.size))
    b_ub = np.concatenate([cap_all[res_ids], np.ones(grp_ids.size)])
    reps = wl["replicas"].to_numpy(float) if "replicas" in wl else np.ones(W)
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=reps, bounds=(0, None), method="highs-ds")
    return (float(res.fun) if res.status == 0 else float("nan")), res.message, time.perf_counter() - t


def bench_heuristic(args) -> None:
    times, cpu, gaps, above, below, lp_times = [], [], [], [], [], []
    for run in range(args.repeat):
        w, o = synthetic_instance(args.heur_replicas, args.heur_offerings, seed=run, replicas_per_workload=args.shape)
        c = time.process_time()
        r = place_workloads(w, o, backend="heuristic", time_limit=args.time_limit)
        cpu.append(time.process_time() - c)
        times.append(r.runtime_s)
        gaps.append(r.gap)
        line = (f"  seed {run}: {r.runtime_s:.2f} s ({cpu[-1]:.2f} s CPU), plan {r.objective:.6e}, "
                f"bound {r.bound:.6e}, gap {r.gap:.3%}")
        if not args.no_lp:
            lp, status, seconds = independent_lp(w, o)
            lp_times.append(seconds)
            above.append(r.objective / lp - 1)
            below.append(1 - r.bound / lp)
            line += (f"; independent LP {lp:.6e} ({seconds:.1f} s, {status}): plan {above[-1]:+.3%} above it, "
                     f"bound {below[-1]:.4%} below it")
        print(line, flush=True)
    lp_text = (f"  plan above the independent LP median {_median(above):.3%}, bound below it median "
               f"{_median(below):.4%} (max {max(below):.4%}); LP solve median {_median(lp_times):.1f} s "
               f"= {_median(lp_times) / _median(times):.1f}x the heuristic") if above else ""
    _row("heuristic", f"{args.heur_replicas}x{args.heur_offerings} ({len(w)} workloads)", times,
         f"gap to bound median {_median(gaps):.3%} (max {max(gaps):.3%}, goal 0.5%)  time/goal(20 s) "
         f"{_median(times) / 20:.2f}; CPU time median {_median(cpu):.2f} s (the time on an idle core)" + lp_text)


def bench_build(args) -> None:
    """Model building only: the pairs (data preparation) are made once and shared by both sides."""
    w, o = synthetic_instance(args.milp_replicas, args.milp_offerings, seed=0, replicas_per_workload=args.shape)
    inp = validate_inputs(w, o)
    t_pairs, t_h, t_p = [], [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        pairs = build_pairs(inp)
        t_pairs.append(time.perf_counter() - t)
        t = time.perf_counter()
        model, _ = build_model(inp, pairs)
        build_highs(model)
        t_h.append(time.perf_counter() - t)
        t = time.perf_counter()
        model, _ = build_model(inp, pairs)
        build_pulp(model)
        t_p.append(time.perf_counter() - t)
    ratio = _median(t_p) / _median(t_h)
    with_pairs = (_median(t_p) + _median(t_pairs)) / (_median(t_h) + _median(t_pairs))
    _row("build", f"{model.num_cols} cols x {model.num_rows} rows", t_h,
         f"HiGHS (sparse model + passModel); PuLP same model {_median(t_p):.2f} s; PuLP/HiGHS {ratio:.1f}x "
         f"(goal 20x); pair generation {_median(t_pairs):.2f} s, ratio with it on both sides {with_pairs:.1f}x")


def bench_million(args) -> None:
    w, o = synthetic_instance(args.big_replicas, args.heur_offerings, seed=0, replicas_per_workload=args.shape)
    t = time.perf_counter()
    if args.dask:
        from resopt.planning.sweep import dask_client  # the local cluster `resopt sweep --workers N` starts

        with dask_client(workers=args.workers) as client:
            t = time.perf_counter()
            r = place_workloads(w, o, backend="heuristic", partitions=args.partitions, time_limit=args.time_limit,
                                executor=client)
            seconds = time.perf_counter() - t
    elif args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as pool:
            r = place_workloads(w, o, backend="heuristic", partitions=args.partitions, time_limit=args.time_limit,
                                executor=pool)
    else:
        r = place_workloads(w, o, backend="heuristic", partitions=args.partitions, time_limit=args.time_limit)
    if not args.dask:
        seconds = time.perf_counter() - t
    phases = ", ".join(f"{k} {v:.1f}" for k, v in r.timings.items() if v >= 0.05)
    print(f"million: phases (s, parts' phases summed over parts): {phases}", file=sys.stderr, flush=True)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2
    _row("million", f"{args.big_replicas}x{args.heur_offerings} ({len(w)} workloads)", [seconds],
         f"{args.partitions} parts, {args.workers} {'Dask ' if args.dask else ''}worker(s); status {r.status}; "
         f"gap to whole-problem bound {r.gap:.3%}; peak RSS {own:.2f} GB (largest worker {child:.2f} GB) "
         f"(goal 10 min, 4 GB; with --dask 1% in 90 s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["milp", "heuristic", "build"],
                        choices=["milp", "heuristic", "build", "million"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--milp-replicas", type=int, default=2000)
    parser.add_argument("--milp-offerings", type=int, default=3000)
    parser.add_argument("--heur-replicas", type=int, default=100_000)
    parser.add_argument("--heur-offerings", type=int, default=200)
    parser.add_argument("--big-replicas", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="processes for the POP parts (million case)")
    parser.add_argument("--shape", choices=["mixed", "one"], default="mixed",
                        help="replicas per workload: 1 to 8 (mixed, default) or one")
    parser.add_argument("--million", action="store_true", help="allow the 1,000,000-replica case")
    parser.add_argument("--dask", action="store_true",
                        help="million case: run the parts on a local Dask cluster of --workers processes")
    parser.add_argument("--no-lp", action="store_true", help="heuristic case: skip the independent LP reference")
    args = parser.parse_args(argv)
    print(f"# placement benchmarks; cpus {os.cpu_count()}; load average {os.getloadavg()}", flush=True)
    for case in args.cases:
        if case == "million" and not args.million:
            print("million    skipped: pass --million", flush=True)
            continue
        {"milp": bench_milp, "heuristic": bench_heuristic, "build": bench_build, "million": bench_million}[case](args)
    print(f"# load average at the end {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
