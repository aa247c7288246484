"""Benchmarks of resopt.place_workloads: medians of repeated runs and ratios.

Cases (all on synthetic instances shaped like a public GPU catalog, see
``resopt.problems.placement.synthetic``):

- ``milp``: 2,000 replicas x 3,000 offerings, HiGHS MILP to a 0.1% gap (goal <= 60 s).
- ``heuristic``: 100,000 replicas x 200 offerings, vectorized heuristic (goal: within 2% of its
  certified bound in <= 60 s).
- ``build``: the same MILP built for HiGHS (arrays, one passModel) and in PuLP (goal >= 20x).
- ``million`` (only with ``--million``): 1,000,000 replicas x 200 offerings, heuristic in POP parts
  (goal <= 10 min and 4 GB peak memory).

Usage::

    python3 benchmarks/placement.py                       # milp, heuristic, build; 3 runs each
    python3 benchmarks/placement.py --cases build --repeat 5
    python3 benchmarks/placement.py --million --cases million

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


def bench_heuristic(args) -> None:
    times, gaps = [], []
    for run in range(args.repeat):
        w, o = synthetic_instance(args.heur_replicas, args.heur_offerings, seed=run, replicas_per_workload=args.shape)
        r = place_workloads(w, o, backend="heuristic", time_limit=args.time_limit)
        times.append(r.runtime_s)
        gaps.append(r.gap)
    _row("heuristic", f"{args.heur_replicas}x{args.heur_offerings} ({len(w)} workloads)", times,
         f"gap to bound median {_median(gaps):.3%} (max {max(gaps):.3%}, goal 2%)  time/goal(60 s) "
         f"{_median(times) / 60:.2f}")


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
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as pool:
            r = place_workloads(w, o, backend="heuristic", partitions=args.partitions, time_limit=args.time_limit,
                                executor=pool)
    else:
        r = place_workloads(w, o, backend="heuristic", partitions=args.partitions, time_limit=args.time_limit)
    seconds = time.perf_counter() - t
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2
    _row("million", f"{args.big_replicas}x{args.heur_offerings} ({len(w)} workloads)", [seconds],
         f"{args.partitions} parts, {args.workers} worker(s); status {r.status}; gap to whole-problem bound "
         f"{r.gap:.3%}; peak RSS {own:.2f} GB (largest worker {child:.2f} GB) (goal 10 min, 4 GB)")


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
