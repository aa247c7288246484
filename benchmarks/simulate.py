"""Benchmark resopt.simulate: tasks per second for every policy, and a ratio against a
straightforward simulator run in the same process.

Usage::

    python3 benchmarks/simulate.py                      # 1e4, 1e5, 1e6 tasks on 64 machines
    python3 benchmarks/simulate.py --sizes 1000000 --reps 5 --speeds mixed

The workload: Poisson arrivals and exponential durations (mean 10), the
arrival rate set so that the offered load is ``--load`` of the total machine
speed (0.9 by default: queues form, and srtf preempts). Each timing is the
whole ``resopt.simulate`` call (validation, simulation, result tables and
metrics), repeated ``--reps`` times; the table shows the median wall time and
tasks per second, and the median CPU time of the process (less disturbed by
other work on a shared machine).

The baseline is the simulator one would write first: event to event, but with
linear scans instead of heaps (next completion, least-loaded machine, best
waiting task) and, for srtf, a full re-sort of the running and waiting tasks
at every event. It runs on ``--baseline-size`` tasks only; the ratio compares
it with resopt on the same tasks, and its completion times are checked
against resopt's.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np
import pandas as pd

import resopt
from resopt.sim import POLICIES

DISPATCH = ("round_robin", "least_connections", "weighted")


def workload(n: int, speeds: np.ndarray, load: float, seed: int = 0) -> pd.DataFrame:
    """Poisson arrivals, exponential durations (mean 10), offered load ``load``."""
    rng = np.random.default_rng(seed)
    rate = load * speeds.sum() / 10.0
    return pd.DataFrame(
        {
            "task": np.arange(n),
            "arrival": np.cumsum(rng.exponential(1.0 / rate, n)),
            "duration": rng.exponential(10.0, n) + 0.01,
        }
    )


def machine_speeds(kind: str, m: int, seed: int = 1) -> np.ndarray:
    if kind == "identical":
        return np.ones(m)
    return np.random.default_rng(seed).integers(1, 5, m).astype(float)  # four GPU generations


def baseline(arrival: list[float], duration: list[float], speeds: list[float], policy: str) -> list[float]:
    """Completion times, tasks given in arrival order; linear scans, no heaps."""
    n, m = len(arrival), len(speeds)
    total = sum(speeds)
    on = [-1] * m
    end = [math.inf] * m
    since = [0.0] * m
    remaining = list(duration)
    completion = [0.0] * n
    queues: list[list[int]] = [[] for _ in range(m)]
    unfinished = [0] * m
    bound = [0] * n
    score = [0.0] * m
    waiting: list[int] = []
    i, done = 0, 0
    while done < n:
        t = min(min(end), arrival[i] if i < n else math.inf)
        for j in range(m):
            if on[j] >= 0 and end[j] == t:
                k = on[j]
                completion[k] = t
                unfinished[bound[k]] -= 1
                on[j], end[j] = -1, math.inf
                done += 1
        while i < n and arrival[i] == t:
            if policy == "round_robin":
                j = i % m
            elif policy == "least_connections":
                j = min(range(m), key=lambda j: (unfinished[j], j))
            elif policy == "weighted":
                for jj in range(m):
                    score[jj] += speeds[jj]
                j = max(range(m), key=lambda jj: (score[jj], -jj))
                score[j] -= total
            if policy in DISPATCH:
                queues[j].append(i)
                bound[i] = j
                unfinished[j] += 1
            else:
                waiting.append(i)
            i += 1
        if policy == "srtf":
            for j in range(m):  # bring the running tasks' remaining work up to date
                if on[j] >= 0:
                    remaining[on[j]] -= (t - since[j]) * speeds[j]
                    since[j] = t
            present = waiting + [k for k in on if k >= 0]
            chosen = set(sorted(present, key=lambda k: (remaining[k], k))[:m])
            for j in range(m):
                if on[j] >= 0 and on[j] not in chosen:
                    waiting.append(on[j])
                    on[j], end[j] = -1, math.inf
            waiting = [k for k in waiting if k not in chosen]
            running = set(on)
            for k in sorted(chosen - running, key=lambda k: (remaining[k], k)):
                j = on.index(-1)
                on[j], since[j], end[j] = k, t, t + remaining[k] / speeds[j]
            continue
        for j in range(m):
            if on[j] < 0:
                if policy in DISPATCH:
                    if not queues[j]:
                        continue
                    k = queues[j].pop(0)
                else:
                    if not waiting:
                        continue
                    key = (lambda k: k) if policy == "fcfs" else (lambda k: (duration[k], k))
                    k = min(waiting, key=key)
                    waiting.remove(k)
                on[j], end[j] = k, t + duration[k] / speeds[j]
    return completion


def timed(fn, reps: int) -> tuple[float, float, object]:
    walls, cpus = [], []
    out = None
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--machines", type=int, default=64)
    parser.add_argument("--speeds", choices=["identical", "mixed"], default="identical",
                        help="identical speed-1 machines, or speeds drawn from 1..4")
    parser.add_argument("--load", type=float, default=0.9, help="offered load (fraction of total speed)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--policies", nargs="+", default=list(POLICIES), choices=list(POLICIES))
    parser.add_argument("--baseline-size", type=int, default=20_000)
    args = parser.parse_args()

    speeds = machine_speeds(args.speeds, args.machines)
    print(f"resopt.simulate: {args.machines} machines ({args.speeds} speeds), load {args.load}, "
          f"median of {args.reps} runs; {os.cpu_count()} cores, load average before "
          f"{os.getloadavg()[0]:.2f} (a shared machine: other work inflates wall times)")
    print()
    print(f"| policy | tasks | median wall s | tasks/s | median CPU s | pieces |")
    print(f"|---|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        tasks = workload(n, speeds, args.load)
        for policy in args.policies:
            wall, cpu, result = timed(lambda: resopt.simulate(tasks, speeds, policy=policy), args.reps)
            print(f"| {policy} | {n:,} | {wall:.3f} | {n / wall:,.0f} | {cpu:.3f} | {len(result.segments):,} |",
                  flush=True)
    print()
    nb = args.baseline_size
    tasks = workload(nb, speeds, args.load)
    arrival, duration = tasks["arrival"].tolist(), tasks["duration"].tolist()  # already in arrival order
    print(f"Baseline (linear scans, srtf re-sorts at every event) on {nb:,} tasks, same process:")
    print()
    print("| policy | baseline s | baseline tasks/s | resopt s | resopt tasks/s | speed-up | max abs diff in completion |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for policy in args.policies:
        b_wall, _, b_done = timed(lambda: baseline(arrival, duration, speeds.tolist(), policy), 1)
        r_wall, _, result = timed(lambda: resopt.simulate(tasks, speeds, policy=policy), args.reps)
        diff = float(np.max(np.abs(np.asarray(b_done) - result.schedule["completion"].to_numpy())))
        print(f"| {policy} | {b_wall:.3f} | {nb / b_wall:,.0f} | {r_wall:.3f} | {nb / r_wall:,.0f} | "
              f"{b_wall / r_wall:.1f}x | {diff:.1e} |", flush=True)
    print()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
