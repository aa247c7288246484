"""Scheduling oracle: two deliberately simple simulators, sharing no code with :mod:`resopt.sim`.

Written from the simulator's rules:

- :func:`step_reference` advances time by a fixed step ``dt`` (1 for integer data on speed-1
  machines) and, at every step, applies completions, then arrivals, then decisions, by brute
  force over all tasks. Exact rational arithmetic; it refuses instances whose events leave the
  time grid. For the priority policies it keeps each task's waited time step by step and ranks
  by ``priority + aging * waited`` at every decision.
- :func:`event_reference` is an exact rational event-to-event simulation for ``srtf`` on
  machines of unequal speeds (where no fixed grid is exact), re-sorting every present task at
  every event.

Both return ``(rows, segments)``: per-task records and the sorted run pieces;
:func:`reference_metrics` computes the summary figures from them.
"""

from __future__ import annotations

from fractions import Fraction

#: The policies that dispatch a task to a machine on arrival (the others queue it).
DISPATCH = {"round_robin", "least_connections", "weighted"}


def _weighted_pick(scores: list[Fraction], weights: list[Fraction]) -> int:
    for j, w in enumerate(weights):
        scores[j] += w
    best = 0
    for j in range(1, len(scores)):
        if scores[j] > scores[best]:
            best = j
    scores[best] -= sum(weights)
    return best


def step_reference(tasks, speeds, policy, dt=Fraction(1), priority=None, aging=0):
    """Fixed-step simulation. ``tasks``: list of (id, arrival, duration); returns per-id records and pieces.

    ``priority`` (one number per task) and ``aging`` serve the priority policies.
    """
    n, m = len(tasks), len(speeds)
    base = [Fraction(p) for p in priority] if priority is not None else [Fraction(0)] * n
    aging = Fraction(aging)
    waited = [Fraction(0)] * n

    def rank(i):  # higher effective priority first, then earlier arrival, then table order
        return (-(base[i] + aging * waited[i]), arrival[i], i)

    speeds = [Fraction(s) for s in speeds]
    arrival = [Fraction(a) for _, a, _ in tasks]
    duration = [Fraction(d) for _, _, d in tasks]
    arrival_order = sorted(range(n), key=lambda i: (arrival[i], i))
    remaining = list(duration)  # work left
    bound = [None] * n  # dispatch policies: machine chosen on arrival
    on = [None] * m  # task running on each machine
    piece_start = [None] * m
    start, finish, last_machine = [None] * n, [None] * n, [None] * n
    pieces = []
    arrived = 0
    rr = 0
    scores = [Fraction(0)] * m
    t = Fraction(0)
    completed_now = []
    while any(f is None for f in finish):
        # completions at t were applied at the end of the previous step (completed_now)
        # arrivals at t, in arrival order
        arriving = [i for i in arrival_order if arrival[i] == t]
        for i in arriving:
            if policy == "round_robin":
                bound[i] = rr % m
                rr += 1
            elif policy == "least_connections":
                load = [sum(1 for k in range(n) if bound[k] == j and finish[k] is None) for j in range(m)]
                bound[i] = min(range(m), key=lambda j: (load[j], j))
            elif policy == "weighted":
                bound[i] = _weighted_pick(scores, speeds)
        arrived += len(arriving)
        present = [i for i in range(n) if arrival[i] <= t and finish[i] is None]
        if policy in DISPATCH:
            for j in range(m):
                if on[j] is None:
                    queue = [i for i in present if bound[i] == j and start[i] is None]
                    if queue:
                        i = min(queue, key=lambda i: (arrival[i], i))
                        on[j], piece_start[j], start[i] = i, t, t
        elif policy in ("fcfs", "sjf"):
            for j in range(m):
                if on[j] is None:
                    queue = [i for i in present if start[i] is None]
                    if queue:
                        key = (lambda i: (arrival[i], i)) if policy == "fcfs" else (lambda i: (duration[i], arrival[i], i))
                        i = min(queue, key=key)
                        on[j], piece_start[j], start[i] = i, t, t
        elif policy == "priority":
            for j in range(m):
                if on[j] is None:
                    queue = [i for i in present if start[i] is None]
                    if queue:
                        i = min(queue, key=rank)
                        on[j], piece_start[j], start[i] = i, t, t
        elif arriving or completed_now:  # srtf and priority_preemptive decide at arrivals and completions only
            key = rank if policy == "priority_preemptive" else (lambda i: (remaining[i], arrival[i], i))
            chosen = sorted(present, key=key)[:m]
            for j in range(m):
                if on[j] is not None and on[j] not in chosen:
                    pieces.append((on[j], j, piece_start[j], t))
                    on[j] = None
            running = set(x for x in on if x is not None)
            for i in chosen:
                if i not in running:
                    j = min(j for j in range(m) if on[j] is None)
                    on[j], piece_start[j] = i, t
                    if start[i] is None:
                        start[i] = t
        # run one step; whoever is present and not running waits through it
        running_now = set(x for x in on if x is not None)
        for i in present:
            if i not in running_now:
                waited[i] += dt
        completed_now = []
        for j in range(m):
            i = on[j]
            if i is None:
                continue
            remaining[i] -= speeds[j] * dt
            if remaining[i] < 0:
                raise ValueError("instance leaves the time grid")
            if remaining[i] == 0:
                finish[i], last_machine[i] = t + dt, j
                pieces.append((i, j, piece_start[j], t + dt))
                on[j] = None
                completed_now.append(i)
        t += dt
        assert t < 10_000, "reference did not finish"
    return _records(tasks, start, finish, last_machine, pieces)


def event_reference(tasks, speeds):
    """srtf, event to event, exact; the m least remaining work run (sticky machines, lowest free index)."""
    n, m = len(tasks), len(speeds)
    speeds = [Fraction(s) for s in speeds]
    arrival = [Fraction(a) for _, a, _ in tasks]
    remaining = [Fraction(d) for _, _, d in tasks]
    on = [None] * m
    piece_start = [None] * m
    start, finish, last_machine = [None] * n, [None] * n, [None] * n
    pieces = []
    t = Fraction(0)
    first = True
    while any(f is None for f in finish):
        candidates = [a for a in arrival if a > t or (first and a == t)]
        for j in range(m):
            if on[j] is not None:
                candidates.append(t + remaining[on[j]] / speeds[j])
        nxt = min(candidates)
        first = False
        for j in range(m):
            if on[j] is not None:
                remaining[on[j]] -= (nxt - t) * speeds[j]
        t = nxt
        for j in range(m):
            i = on[j]
            if i is not None and remaining[i] == 0:
                finish[i], last_machine[i] = t, j
                pieces.append((i, j, piece_start[j], t))
                on[j] = None
        present = [i for i in range(n) if arrival[i] <= t and finish[i] is None]
        chosen = sorted(present, key=lambda i: (remaining[i], arrival[i], i))[:m]
        for j in range(m):
            if on[j] is not None and on[j] not in chosen:
                pieces.append((on[j], j, piece_start[j], t))
                on[j] = None
        for i in chosen:
            if i not in on:
                j = on.index(None)
                on[j], piece_start[j] = i, t
                if start[i] is None:
                    start[i] = t
    return _records(tasks, start, finish, last_machine, pieces)


def _records(tasks, start, finish, last_machine, pieces):
    ids = [tid for tid, _, _ in tasks]
    service = [Fraction(0)] * len(tasks)
    for i, _, a, b in pieces:
        service[i] += b - a
    rows = {
        ids[i]: {
            "machine": last_machine[i],
            "start": start[i],
            "completion": finish[i],
            "service": service[i],
            "waiting": finish[i] - Fraction(tasks[i][1]) - service[i],
            "turnaround": finish[i] - Fraction(tasks[i][1]),
        }
        for i in range(len(tasks))
    }
    segs = sorted((ids[i], j, a, b) for i, j, a, b in pieces)
    return rows, segs


def reference_metrics(tasks, rows, segs, m):
    if not tasks:
        return dict.fromkeys(
            ["mean_waiting", "max_waiting", "mean_turnaround", "makespan", "utilization", "average_load", "load_imbalance"], 0.0
        ), [0.0] * m
    busy = [Fraction(0)] * m
    for _, j, a, b in segs:
        busy[j] += b - a
    makespan = max(r["completion"] for r in rows.values()) - min(Fraction(a) for _, a, _ in tasks)
    mean_busy = sum(busy) / m
    waits = [r["waiting"] for r in rows.values()]
    return {
        "mean_waiting": sum(waits) / len(waits),
        "max_waiting": max(waits),
        "mean_turnaround": sum(r["turnaround"] for r in rows.values()) / len(rows),
        "makespan": makespan,
        "utilization": sum(busy) / (m * makespan),
        "average_load": mean_busy,
        "load_imbalance": max(busy) / mean_busy,
    }, busy
