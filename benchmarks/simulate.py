"""Benchmark resopt.simulate against a plain heapq simulator, in the same process.

Usage::

    python3 benchmarks/simulate.py                      # 1e4, 1e5, 1e6 tasks on 64 machines
    python3 benchmarks/simulate.py --sizes 1000000 --reps 5 --speeds mixed

The workload: Poisson arrivals and exponential durations (mean 10), the
arrival rate set so that the offered load is ``--load`` of the total machine
speed (0.9 by default: queues form, and srtf preempts). The priority policies
get importance and urgency drawn from 0..3; the other policies get the plain
three-column table.

The baseline is the simulator one writes from the README's rules with
``heapq``: the task columns converted to lists, then one event loop per policy
(a heap of completions, a heap of idle machines, a heap of waiting tasks; for
srtf a lazily invalidated heap of running tasks). It returns completion times
only. It covers the six original policies and ``priority``; for
``priority_preemptive`` and for an elastic fleet (``Elastic(min=8, max=64,
initial=32, window=50, provisioning_delay=5, cooldown=20)`` under ``fcfs``
and ``priority``) only resopt's rate is shown. resopt's time is the whole ``resopt.simulate`` call: validation,
simulation, the schedule table and the metrics. The two alternate, ``--reps``
times each; the table shows medians, the ratio resopt / baseline (below 1:
resopt is faster) and whether every completion time is identical.
"""

from __future__ import annotations

import argparse
import heapq
import os
import statistics
import time

import numpy as np
import pandas as pd

import resopt
from resopt.sim import POLICIES, PRIORITY_POLICIES


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


def with_priorities(tasks: pd.DataFrame, seed: int = 2) -> pd.DataFrame:
    """The same tasks with importance and urgency drawn from 0..3 (priorities 0..6)."""
    rng = np.random.default_rng(seed)
    n = len(tasks)
    return tasks.assign(importance=rng.integers(0, 4, n), urgency=rng.integers(0, 4, n))


def machine_speeds(kind: str, m: int, seed: int = 1) -> np.ndarray:
    if kind == "identical":
        return np.ones(m)
    return np.random.default_rng(seed).integers(1, 5, m).astype(float)  # four GPU generations


def plain(tasks: pd.DataFrame, speeds: np.ndarray, policy: str) -> list[float]:
    """Completion times (tasks given in arrival order), straight from the README's rules."""
    arrival = tasks["arrival"].tolist()  # the conversion is part of the baseline's time
    duration = tasks["duration"].tolist()
    speeds = [float(s) for s in speeds]
    n, m = len(arrival), len(speeds)
    completion = [0.0] * n
    push, pop = heapq.heappush, heapq.heappop
    if policy in ("round_robin", "weighted"):
        free = [0.0] * m
        score = [0.0] * m
        total = sum(speeds)
        for k in range(n):
            if policy == "round_robin":
                j = k % m
            else:
                for jj in range(m):
                    score[jj] += speeds[jj]
                j = max(range(m), key=score.__getitem__)
                score[j] -= total
            a, f = arrival[k], free[j]
            free[j] = completion[k] = (a if a > f else f) + duration[k] / speeds[j]
        return completion
    if policy == "least_connections":
        free = [0.0] * m
        count = [0] * m
        loads = [(0, j) for j in range(m)]
        events = []
        for k in range(n):
            a = arrival[k]
            while events and events[0][0] <= a:
                j = pop(events)[1]
                count[j] -= 1
                push(loads, (count[j], j))
            while True:
                c, j = loads[0]
                if c == count[j]:
                    break
                pop(loads)
            count[j] = c + 1
            heapq.heapreplace(loads, (c + 1, j))
            f = free[j]
            free[j] = completion[k] = (a if a > f else f) + duration[k] / speeds[j]
            push(events, (completion[k], j))
        return completion
    idle = list(range(m))
    waiting = []
    i = 0
    if policy in ("fcfs", "sjf", "priority"):
        key = {
            "fcfs": lambda i: i,
            "sjf": lambda i: (duration[i], i),
            "priority": lambda i: (-priority[i], i),
        }[policy]
        priority = (tasks["importance"] + tasks["urgency"]).tolist() if policy == "priority" else None
        running = []
        while i < n or running:
            t = running[0][0] if running and (i >= n or running[0][0] <= arrival[i]) else arrival[i]
            while running and running[0][0] == t:
                push(idle, pop(running)[1])
            while i < n and arrival[i] == t:
                push(waiting, key(i))
                i += 1
            while idle and waiting:
                k = pop(waiting)
                if policy != "fcfs":
                    k = k[1]
                j = pop(idle)
                done = completion[k] = t + duration[k] / speeds[j]
                push(running, (done, j))
        return completion
    # srtf: the m tasks with the least remaining work run; ties by arrival rank
    remaining = list(duration)
    on = [-1] * m
    since = [0.0] * m
    end = [0.0] * m
    finishing = []  # (end, j, k), lazily invalidated
    worst_heap = []  # (-remaining-at-end-rate..., -k, j) for identical speeds: (-end, -k, j)
    same = len(set(speeds)) == 1
    busy = 0
    while i < n or busy:
        while finishing and (on[finishing[0][1]] != finishing[0][2] or end[finishing[0][1]] != finishing[0][0]):
            pop(finishing)
        if finishing and (i >= n or finishing[0][0] <= arrival[i]):
            t = finishing[0][0]
            while finishing and finishing[0][0] == t:
                _, j, k = pop(finishing)
                if on[j] == k and end[j] == t:
                    completion[k] = t
                    on[j] = -1
                    push(idle, j)
                    busy -= 1
        else:
            t = arrival[i]
        while i < n and arrival[i] == t:
            push(waiting, (remaining[i], i))
            i += 1
        chosen = []
        free = len(idle)
        while waiting:
            if free:
                chosen.append(pop(waiting))
                free -= 1
                continue
            if not busy:
                break
            if same:
                while True:
                    ne, nk, j = worst_heap[0]
                    if on[j] == -nk and end[j] == -ne:
                        break
                    pop(worst_heap)
            else:
                j = max((jj for jj in range(m) if on[jj] >= 0), key=lambda jj: ((end[jj] - t) * speeds[jj], on[jj]))
            k = on[j]
            worst = ((end[j] - t) * speeds[j], k)
            if waiting[0] >= worst:
                break
            remaining[k] = worst[0]
            push(waiting, worst)
            on[j] = -1
            push(idle, j)
            busy -= 1
            free += 1
        for rem, k in chosen:
            j = pop(idle)
            on[j], since[j] = k, t
            end[j] = done = t + rem / speeds[j]
            push(finishing, (done, j, k))
            if same:
                push(worst_heap, (-done, -k, j))
            busy += 1
    return completion


PLAIN = ("round_robin", "least_connections", "weighted", "fcfs", "sjf", "srtf", "priority")


def alternate(runs: dict, reps: int) -> dict:
    """Run each callable ``reps`` times, alternating.

    Returns {name: (median wall s, median CPU s, last output)}. On a shared
    machine the CPU time (of this process) is the steadier figure.
    """
    walls: dict = {name: [] for name in runs}
    cpus: dict = {name: [] for name in runs}
    out: dict = {}
    for _ in range(reps):
        for name, fn in runs.items():
            w0, c0 = time.perf_counter(), time.process_time()
            out[name] = fn()
            walls[name].append(time.perf_counter() - w0)
            cpus[name].append(time.process_time() - c0)
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name]), out[name]) for name in runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--machines", type=int, default=64)
    parser.add_argument("--speeds", choices=["identical", "mixed"], default="identical",
                        help="identical speed-1 machines, or speeds drawn from 1..4")
    parser.add_argument("--load", type=float, default=0.9, help="offered load (fraction of total speed)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--policies", nargs="+", default=list(POLICIES), choices=list(POLICIES))
    parser.add_argument("--no-elastic", action="store_true", help="skip the elastic-fleet rows")
    args = parser.parse_args()

    speeds = machine_speeds(args.speeds, args.machines)
    print(f"resopt.simulate against a plain heapq loop: {args.machines} machines ({args.speeds} speeds), "
          f"load {args.load}, median of {args.reps} alternating runs; {os.cpu_count()} cores, "
          f"load average before {os.getloadavg()[0]:.2f}")
    print()
    print("| policy | tasks | plain loop s | resopt s | resopt / plain | resopt tasks/s "
          "| plain CPU s | resopt CPU s | CPU ratio | resopt tasks/CPU s | completions identical |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in args.sizes:
        plain_tasks = workload(n, speeds, args.load)
        ranked_tasks = with_priorities(plain_tasks)
        for policy in args.policies:
            tasks = ranked_tasks if policy in PRIORITY_POLICIES else plain_tasks
            runs = {"resopt": lambda: resopt.simulate(tasks, speeds, policy=policy)}
            if policy in PLAIN:
                runs["plain"] = lambda: plain(tasks, speeds, policy)
            got = alternate(runs, args.reps)
            r_wall, r_cpu, result = got["resopt"]
            if policy not in PLAIN:
                print(f"| {policy} | {n:,} | — | {r_wall:.3f} | — | {n / r_wall:,.0f} | — | {r_cpu:.3f} | — "
                      f"| {n / r_cpu:,.0f} | — |", flush=True)
                continue
            p_wall, p_cpu, done = got["plain"]
            same = np.array_equal(np.asarray(done), result.schedule["completion"].to_numpy())
            print(f"| {policy} | {n:,} | {p_wall:.3f} | {r_wall:.3f} | {r_wall / p_wall:.2f} | {n / r_wall:,.0f} "
                  f"| {p_cpu:.3f} | {r_cpu:.3f} | {r_cpu / p_cpu:.2f} | {n / r_cpu:,.0f} "
                  f"| {'yes' if same else 'NO'} |", flush=True)
        if not args.no_elastic:
            fleet = resopt.Elastic(min=8, max=args.machines, initial=args.machines // 2, window=50,
                                   provisioning_delay=5, cooldown=20)
            for policy in ("fcfs", "priority"):
                tasks = ranked_tasks if policy in PRIORITY_POLICIES else plain_tasks
                r_wall, r_cpu, result = alternate(
                    {"resopt": lambda: resopt.simulate(tasks, fleet, policy=policy)}, args.reps)["resopt"]
                print(f"| {policy}, elastic 8..{args.machines} | {n:,} | — | {r_wall:.3f} | — | {n / r_wall:,.0f} "
                      f"| — | {r_cpu:.3f} | — | {n / r_cpu:,.0f} | — |", flush=True)
    print()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
