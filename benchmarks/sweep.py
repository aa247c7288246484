"""Benchmark what-if sweeps: 64 weekly plans, sequential against a 2-worker local Dask cluster.

The grid (64 combinations on the bundled example, its policy otherwise, one forecast):
``service_level`` x ``price_multiplier.accelerator.H100`` x ``max_cloud_share`` x
``demand_growth`` = 4 x 4 x 2 x 2.

Prints, per repeat and as medians:

- the sequential sweep's wall time and the same sweep on a warm ``LocalCluster(n_workers=2,
  processes=True, threads_per_worker=1)``, their ratio (the speed-up; goal >= 1.7x on 2 cores)
  and the sum of the plans' own times on each side;
- Dask's overhead per point, two ways: (2 x dask wall - sequential wall) / 64, the core-seconds
  per point not spent planning (scheduling, moving the forecast, idle workers at the start and
  the end, two plans competing for memory bandwidth), and the wall time of 64 empty tasks that
  take the scattered inputs, / 64 (the scheduler's own cost per task);
- the cluster's start-up and the first sweep on it (workers import resopt), once.

Every repeat checks that both sides give the same table (timings aside). The machine is shared
with other jobs: the load average before and after is printed; compare ratios measured in the
same run, not absolute times across runs.

Usage: ``python3 benchmarks/sweep.py [--repeats 3] [--quick]`` (``--quick``: 8 combinations,
50 scenarios, one repeat, as a smoke test).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import pandas as pd

import resopt
from resopt.examples import weekly_example
from resopt.planning.inputs import read_plan_inputs
from resopt.planning.sweep import dask_client

GRID = {
    "service_level": [0.35, 0.5, 0.7, 0.9],
    "price_multiplier.accelerator.H100": [0.8, 0.9, 1.0, 1.1],
    "max_cloud_share": [0.6, 0.85],
    "demand_growth": [1.0, 1.2],
}
QUICK = {"service_level": [0.35, 0.9], "price_multiplier.accelerator.H100": [0.8, 1.0], "demand_growth": [1.0, 1.2],
         "scenarios": [50]}


def _noop(inputs, index):
    """An empty point task: receives the scattered inputs, returns a tiny row."""
    return {"point": index, "pools": len(inputs.pools)}


def empty_task_seconds(client, inputs, count: int) -> float:
    """Wall time of ``count`` empty tasks on the scattered inputs (scatter included), per task."""
    t0 = time.perf_counter()
    shared = client.scatter(inputs, broadcast=True, hash=False)
    futures = [client.submit(_noop, shared, i, pure=False) for i in range(count)]
    client.gather(futures)
    return (time.perf_counter() - t0) / count


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    grid = QUICK if args.quick else GRID
    repeats = 1 if args.quick else args.repeats
    inputs = read_plan_inputs(weekly_example())
    points = 1
    for values in grid.values():
        points *= len(values)
    print(f"grid: {points} combinations ({' x '.join(str(len(v)) for v in grid.values())}) on the bundled example; "
          f"{os.cpu_count()} CPUs; load average before {load()}", flush=True)

    t0 = time.perf_counter()
    with dask_client(workers=2) as client:
        started = time.perf_counter() - t0
        t0 = time.perf_counter()
        resopt.sweep(inputs, {"service_level": [0.5, 0.9], "scenarios": 20}, client=client, progress=False)
        first = time.perf_counter() - t0
        print(f"cluster start {started:.1f} s; first (2-point) sweep on it, workers importing resopt: {first:.1f} s",
              flush=True)
        rows = []
        for r in range(repeats):
            t0 = time.perf_counter()
            seq = resopt.sweep(inputs, grid, progress=False)
            t_seq = time.perf_counter() - t0
            t0 = time.perf_counter()
            dask = resopt.sweep(inputs, grid, client=client, progress=False)
            t_dask = time.perf_counter() - t0
            pd.testing.assert_frame_equal(seq.table.drop(columns="runtime_s"), dask.table.drop(columns="runtime_s"))
            empty = empty_task_seconds(client, inputs, points)
            row = {"repeat": r, "sequential_s": t_seq, "dask_s": t_dask, "speedup": t_seq / t_dask,
                   "plans_seq_s": seq.table["runtime_s"].sum(), "plans_dask_s": dask.table["runtime_s"].sum(),
                   "overhead_per_point_s": (2 * t_dask - t_seq) / points, "empty_task_s": empty,
                   "load": load()}
            rows.append(row)
            print("  " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
                  flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.round(3).to_string(index=False))
    med = {k: statistics.median(table[k]) for k in ("sequential_s", "dask_s", "speedup", "plans_seq_s",
                                                     "plans_dask_s", "overhead_per_point_s", "empty_task_s")}
    print()
    print(f"median of {repeats}: sequential {med['sequential_s']:.1f} s ({med['sequential_s'] / points:.2f} s per plan), "
          f"2 workers {med['dask_s']:.1f} s: speed-up {med['speedup']:.2f}x (goal >= 1.7x)")
    print(f"plans' own time: {med['plans_seq_s']:.1f} s sequential, {med['plans_dask_s']:.1f} s on the workers")
    print(f"Dask overhead per point: {med['overhead_per_point_s']:.3f} core-s (2 x dask - sequential) / {points}; "
          f"empty task {1000 * med['empty_task_s']:.1f} ms")
    print(f"load average after {load()}")


if __name__ == "__main__":
    main()
