"""The eight policies, as event-driven simulations on plain arrays.

Every function here takes the tasks already sorted into *arrival order*
(earlier arrival first, ties by the order of the input table), so that the
index ``k`` of a task is also its arrival rank, the tie-break the issue asks
for. Times are float64; ``speeds[j]`` is machine ``j``'s speed, and a task of
``duration`` d takes ``d / speeds[j]`` on machine ``j``.

Rules shared by all policies (the contract of issue 5):

- At one instant, all completions happen first, then all arrivals (in arrival
  order), then idle machines take work. A task finishing at ``t`` therefore
  no longer counts against its machine for a task arriving at ``t``, and a
  machine freed at ``t`` can take a task arriving at ``t``.
- Equal keys are broken by earlier arrival, then by the order in the table.
- Idle machines are filled lowest index first.

Dispatch policies (``round_robin``, ``least_connections``, ``weighted``) bind
a task to one machine when it arrives; each machine then serves its own
queue first come first served, without preemption. Queue policies (``fcfs``,
``sjf``, ``srtf``, ``priority``, ``priority_preemptive``) keep one shared queue.

The functions return a :class:`Run`; nothing here knows about pandas.

The event loops (``_unit_srtf``, ``srtf``, ``least_connections``, ``_shared_queue``,
``priority_preemptive``) are long on purpose: each keeps its state in local lists and
binds the methods it calls to local names, because a function call or an attribute
lookup per event costs measurably at 10^6 tasks (``benchmarks/simulate.py`` compares
them with a plain ``heapq`` loop). Splitting them into one function per event kind
would cost that speed; the comments inside mark the event kinds instead.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import itertools
import math
from collections import deque
from collections.abc import Iterable
from fractions import Fraction
from typing import NamedTuple

import numpy as np

__all__ = [
    "DISPATCH_POLICIES",
    "QUEUE_POLICIES",
    "PRIORITY_POLICIES",
    "PREEMPTIVE_POLICIES",
    "POLICIES",
    "MAX_MACHINES",
    "Run",
    "run_policy",
    "round_robin",
    "least_connections",
    "weighted",
    "fcfs",
    "sjf",
    "srtf",
    "priority",
    "priority_preemptive",
    "queue_rank",
    "smooth_weighted_picks",
]

DISPATCH_POLICIES = ("round_robin", "least_connections", "weighted")
PRIORITY_POLICIES = ("priority", "priority_preemptive")
QUEUE_POLICIES = ("fcfs", "sjf", "srtf") + PRIORITY_POLICIES
PREEMPTIVE_POLICIES = ("srtf", "priority_preemptive")
POLICIES = DISPATCH_POLICIES + QUEUE_POLICIES
MAX_MACHINES = 1_000_000  # the simulator keeps state and a busy time for every machine


class Run(NamedTuple):
    """What one simulation produces, indexed by arrival rank.

    ``machine`` is where each task ran (for ``srtf``: where it completed),
    ``start`` its first start, ``completion`` its completion and ``service``
    its time actually spent running. The ``seg_*`` arrays list every run piece
    (one per task for the non-preemptive policies).
    """

    machine: np.ndarray
    start: np.ndarray
    completion: np.ndarray
    service: np.ndarray
    seg_task: np.ndarray
    seg_machine: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray


def _non_preemptive(machine: np.ndarray, start: np.ndarray, service: np.ndarray) -> Run:
    completion = start + service
    order = np.arange(machine.size, dtype=np.int64)
    return Run(machine, start, completion, service, order, machine, start, completion)


def _serve_fcfs_per_machine(
    arrival: np.ndarray, service: np.ndarray, machine: Iterable[int], m: int
) -> np.ndarray:
    """Start times when each machine serves its own tasks in arrival order.

    ``start_k = max(arrival_k, completion of the previous task on its machine)``.
    The recurrence is evaluated exactly as an event simulation would, one
    addition per task, so times agree bit for bit with the other policies.
    One pass in arrival order (not one pass per machine: walking the tasks
    in memory order is twice as fast at a million tasks).
    """
    free = [-math.inf] * m
    start: list[float] = []
    append = start.append
    for a, s, j in zip(arrival.tolist(), service.tolist(), machine):
        f = free[j]
        if a > f:
            f = a
        append(f)
        free[j] = f + s
    return np.asarray(start, dtype=np.float64)


def round_robin(arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray) -> Run:
    """The k-th arriving task (from 0) goes to machine ``k mod m``.

    The assignment ignores the state of the machines, so it is one vectorized
    expression; the per-machine FCFS recurrence is a loop over rounds of m
    tasks (one NumPy step each) when there are at least 8 machines, and over
    tasks otherwise.
    """
    m = speeds.size
    n = arrival.size
    machine = np.arange(n, dtype=np.int64) % m
    service = duration / speeds[machine]
    if m < 8 or n < 2 * m:
        return _non_preemptive(machine, _serve_fcfs_per_machine(arrival, service, itertools.cycle(range(m)), m), service)
    # Round r gives task r*m + j to machine j: one NumPy step per round serves all m queues,
    # with the same max and addition per task as the scalar recurrence (bit for bit).
    rounds = -(-n // m)
    pad = rounds * m - n
    arr = np.concatenate((arrival, np.full(pad, np.inf))).reshape(rounds, m)
    serv = np.concatenate((service, np.zeros(pad))).reshape(rounds, m)
    start = np.empty((rounds, m))
    free = np.full(m, -np.inf)
    maximum, add = np.maximum, np.add
    for r in range(rounds):
        row = start[r]
        maximum(arr[r], free, out=row)
        add(row, serv[r], out=free)
    return _non_preemptive(machine, start.reshape(-1)[:n].copy(), service)


def _integer_weights(speeds: np.ndarray) -> list[int] | None:
    """Speeds as exact, coprime integer weights, or None when they are not tame.

    Each speed is read as the nearest fraction with denominator at most 10**6
    (so 0.1 means 1/10, not the binary float nearest to it); the fractions are
    then scaled to the smallest integers with the same ratios.
    """
    fracs = [Fraction(float(s)).limit_denominator(10**6) for s in speeds]
    if any(f <= 0 for f in fracs):
        return None
    lcm = 1
    for f in fracs:
        lcm = lcm * f.denominator // math.gcd(lcm, f.denominator)
    ints = [int(f * lcm) for f in fracs]
    g = 0
    for w in ints:
        g = math.gcd(g, w)
    ints = [w // g for w in ints]
    if sum(ints) > 2**52:
        return None
    return ints


def smooth_weighted_picks(weights: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` picks of smooth weighted round robin.

    Each pick adds every machine's weight to its running score, picks the
    highest score (ties: lowest index) and subtracts the total weight from
    the picked machine's score.

    The speeds are first turned into exact integer weights (see
    :func:`_integer_weights`); the scores are then exact and return to all
    zeros after ``W = sum(weights)`` picks, so one period is simulated and
    repeated. When the period is long (or the weights do not fit exact
    integers, in which case float scores are used) every pick is simulated
    with NumPy, about 2 microseconds a pick.

    Examples
    --------
    >>> smooth_weighted_picks(np.array([5.0, 1.0, 1.0]), 7).tolist()
    [0, 0, 1, 0, 2, 0, 0]
    >>> smooth_weighted_picks(np.array([2.0, 1.0]), 6).tolist()
    [0, 1, 0, 0, 1, 0]
    """
    m = weights.size
    ints = _integer_weights(weights)
    if ints is None:
        return _stepwise_picks(weights.astype(np.float64), n)
    total = sum(ints)
    period = min(n, total)
    if period * m > 4_000_000:  # long period: step with NumPy rather than a Python double loop
        return _stepwise_picks(np.asarray(ints, dtype=np.int64), n)
    score = [0] * m
    picks = [0] * period
    rng = range(m)
    for t in range(period):
        best = 0
        top = None
        for j in rng:
            v = score[j] + ints[j]
            score[j] = v
            if top is None or v > top:
                top = v
                best = j
        score[best] -= total
        picks[t] = best
    cycle = np.asarray(picks, dtype=np.int64)
    if period == n:
        return cycle
    if any(score):  # pragma: no cover - smooth WRR returns to all zeros after one period
        return _stepwise_picks(np.asarray(ints, dtype=np.int64), n)
    return np.resize(cycle, n)


def _stepwise_picks(weights: np.ndarray, n: int) -> np.ndarray:
    """Smooth weighted round robin one pick at a time (integer or float scores)."""
    total = weights.sum()
    score = np.zeros_like(weights)
    picks = np.empty(n, dtype=np.int64)
    for t in range(n):
        score += weights
        j = int(score.argmax())  # first maximum: ties go to the lowest index
        score[j] -= total
        picks[t] = j
    return picks


def weighted(arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray) -> Run:
    """Smooth weighted round robin over the speeds, then FCFS per machine.

    Like round robin, the picks do not depend on when tasks finish, so the
    pick sequence is computed first (one period, repeated) and the queues
    are served afterwards.
    """
    m = speeds.size
    machine = smooth_weighted_picks(speeds, arrival.size)
    service = duration / speeds[machine]
    return _non_preemptive(machine, _serve_fcfs_per_machine(arrival, service, machine.tolist(), m), service)


def least_connections(arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray) -> Run:
    """Each arriving task goes to the machine with the fewest unfinished tasks bound to it.

    Ties go to the lowest machine index. Tasks that complete at the arrival
    instant have already left. Two heaps keep this O(log m) per task: one of
    ``count * m + machine`` keys (lazily invalidated: an entry is live while
    it matches the machine's current count), and one of the next completion
    time of each machine's queue.
    """
    m = speeds.size
    n = arrival.size
    unit = bool(np.all(speeds == 1.0))
    speed_list = speeds.tolist()
    count = [0] * m
    keys = list(range(m))  # count 0 for every machine: key == machine index, already a heap
    pending: list[deque[float]] = [deque() for _ in range(m)]
    heads: list[tuple[float, int]] = []  # (completion time of the oldest unfinished task, machine)
    free = [-math.inf] * m
    machine = [0] * n
    start = [0.0] * n
    service = [0.0] * n
    heappush, heappop, heapreplace = heapq.heappush, heapq.heappop, heapq.heapreplace
    for k, (a, d) in enumerate(zip(arrival.tolist(), duration.tolist())):
        while heads and heads[0][0] <= a:
            j = heads[0][1]
            q = pending[j]
            q.popleft()
            c = count[j] - 1
            count[j] = c
            heappush(keys, c * m + j)
            if q:
                heapreplace(heads, (q[0], j))
            else:
                heappop(heads)
        while True:
            key = keys[0]
            j = key % m
            if key == count[j] * m + j:
                break
            heappop(keys)
        c = count[j] + 1
        count[j] = c
        heapreplace(keys, c * m + j)
        s = d if unit else d / speed_list[j]
        f = free[j]
        t = a if a >= f else f
        done = t + s
        free[j] = done
        q = pending[j]
        q.append(done)
        if len(q) == 1:
            heappush(heads, (done, j))
        machine[k] = j
        start[k] = t
        service[k] = s
    return _non_preemptive(
        np.asarray(machine, dtype=np.int64),
        np.asarray(start, dtype=np.float64),
        np.asarray(service, dtype=np.float64),
    )


def _starts_to_run(machine: list[int], start: list[float], duration: np.ndarray, speeds: np.ndarray) -> Run:
    machine_a = np.asarray(machine, dtype=np.int64)
    service = duration / speeds[machine_a] if speeds.size else duration.copy()
    return _non_preemptive(machine_a, np.asarray(start, dtype=np.float64), service)


def _shared_queue(arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray, key: np.ndarray) -> Run:
    """Non-preemptive shared queue: an idle machine takes the waiting task of least ``key``.

    The queue is a heap of ``(key, arrival rank)``: equal keys go by arrival,
    then table order.

    Invariant between instants: no machine is idle while a task waits. So a
    machine that frees before the next arrival either takes the head of the
    queue at once (one ``heapreplace``) or goes idle; at an arrival instant the
    machines freed at that instant go idle first, the arrivals join the queue,
    and idle machines (lowest index first) take the best tasks.
    """
    m = speeds.size
    n = arrival.size
    keys = key.tolist()
    arr = arrival.tolist()
    dur = duration.tolist()
    unit = bool(np.all(speeds == 1.0))
    speed_list = speeds.tolist()
    idle = list(range(m))
    waiting: list[tuple[float, int]] = []
    busy: list[tuple[float, int]] = []  # (time the machine frees, machine)
    machine = [0] * n
    start = [0.0] * n
    heappush, heappop, heapreplace = heapq.heappush, heapq.heappop, heapq.heapreplace
    inf = math.inf
    i = 0
    while True:
        a = arr[i] if i < n else inf
        # machines that free strictly before the next arrival take the queue's head
        while busy and busy[0][0] < a:
            f, j = busy[0]
            if waiting:
                k = heappop(waiting)[1]
                machine[k] = j
                start[k] = f
                heapreplace(busy, (f + (dur[k] if unit else dur[k] / speed_list[j]), j))
            else:
                heappush(idle, heappop(busy)[1])
        if i >= n:
            break
        # the instant a: completions, then every arrival, then idle machines take work
        while busy and busy[0][0] == a:
            heappush(idle, heappop(busy)[1])
        if i + 1 == n or arr[i + 1] != a:  # a lone arrival
            if not idle:  # every machine busy: it queues
                heappush(waiting, (keys[i], i))
                i += 1
                continue
            if not waiting:  # an idle machine and an empty queue: it starts at once
                j = heappop(idle)
                machine[i] = j
                start[i] = a
                heappush(busy, (a + (dur[i] if unit else dur[i] / speed_list[j]), j))
                i += 1
                continue
        while i < n and arr[i] == a:
            heappush(waiting, (keys[i], i))
            i += 1
        while idle and waiting:
            j = heappop(idle)
            k = heappop(waiting)[1]
            machine[k] = j
            start[k] = a
            heappush(busy, (a + (dur[k] if unit else dur[k] / speed_list[j]), j))
    return _starts_to_run(machine, start, duration, speeds)


def fcfs(arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray) -> Run:
    """First come first served from one shared queue.

    Tasks start in arrival order, so no queue is kept: task ``k`` starts at
    ``t = max(arrival_k, start of task k-1, earliest time a machine is free)``
    on the lowest-index machine free at ``t``. A heap of (free time, machine)
    for busy machines and a heap of idle machine indices give both in
    O(log m); when exactly one machine frees first, one ``heapreplace`` does it.
    """
    m = speeds.size
    n = arrival.size
    unit = bool(np.all(speeds == 1.0))
    speed_list = speeds.tolist()
    idle = list(range(m))
    busy: list[tuple[float, int]] = []
    machine = [0] * n
    start = [0.0] * n
    heappush, heappop, heapreplace = heapq.heappush, heapq.heappop, heapq.heapreplace
    t = -math.inf
    for k, (a, d) in enumerate(zip(arrival.tolist(), duration.tolist())):
        if a > t:
            t = a
        if busy and busy[0][0] <= t:
            while busy and busy[0][0] <= t:
                heappush(idle, heappop(busy)[1])
        if idle:
            j = heappop(idle)
            heappush(busy, (t + (d if unit else d / speed_list[j]), j))
        else:  # every machine is busy: wait for the first to free
            t, j = busy[0]
            if m > 1 and (busy[1][0] == t or (m > 2 and busy[2][0] == t)):
                while busy and busy[0][0] == t:  # several free at once: the lowest index
                    heappush(idle, heappop(busy)[1])
                j = heappop(idle)
                heappush(busy, (t + (d if unit else d / speed_list[j]), j))
            else:
                heapreplace(busy, (t + (d if unit else d / speed_list[j]), j))
        machine[k] = j
        start[k] = t
    return _starts_to_run(machine, start, duration, speeds)


def sjf(arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray) -> Run:
    """Shortest job first (by duration at speed 1), non-preemptive, one shared queue."""
    return _shared_queue(arrival, duration, speeds, duration)


def _rank_by(key: np.ndarray) -> np.ndarray:
    """Each task's rank by ``key`` (smaller first), ties by arrival rank: a permutation of 0..n-1."""
    n = key.size
    by_key = np.argsort(key, kind="stable")  # stable: equal keys keep arrival order
    rank = np.empty(n, dtype=np.int64)
    rank[by_key] = np.arange(n, dtype=np.int64)
    return rank


def _unit_srtf(arrival: np.ndarray, duration: np.ndarray, m: int) -> Run:
    """``srtf`` on ``m`` machines of speed 1.

    All running tasks lose work at the same rate, so their order by remaining
    work is their order by completion time, and it never changes while they
    run. One list of ``(end, task, machine)`` kept sorted (at most ``m``
    entries) gives both the next completion (its head) and the runner to
    preempt (its tail). Only preempted pieces are recorded as they happen;
    every task's last piece is (its last start, its completion).
    """
    n = arrival.size
    arr = arrival.tolist()
    arr.append(math.inf)  # a sentinel: arr[i] is never out of range and never equals a time t
    remaining = duration.tolist()  # work left, as of the task's last preemption
    machine = [0] * n
    start = [-1.0] * n
    since = [0.0] * n  # start of the task's current (or last) piece
    completion = [0.0] * n
    preempted: list[tuple[int, int, float, float]] = []  # (task, machine, start, end)
    idle = list(range(m))
    waiting: list[tuple[float, int]] = []  # (remaining work, arrival rank)
    running: list[tuple[float, int, int]] = []  # (end, task, machine), sorted
    heappush, heappop = heapq.heappush, heapq.heappop
    insort = bisect.insort
    record = preempted.append
    i = 0
    while i < n or running:
        if running and running[0][0] <= arr[i]:
            t = running[0][0]  # completions at t come before arrivals at t
            c = 0
            for end, k, j in running:
                if end != t:
                    break
                completion[k] = t
                machine[k] = j
                heappush(idle, j)
                c += 1
            del running[:c]
            if arr[i] != t:
                # No arrival: runners only got shorter since the last decision, so no
                # waiting task beats one; the freed machines take the queue's best.
                while idle and waiting:
                    rem, k = heappop(waiting)
                    insort(running, (t + rem, k, heappop(idle)))
                    since[k] = t
                    if start[k] < 0.0:
                        start[k] = t
                continue
        else:
            t = arr[i]
            if arr[i + 1] != t:
                # A lone arrival and no completion: only it can displace a runner, the
                # one with the most work left. An idle machine means an empty queue.
                d = remaining[i]
                if idle:
                    insort(running, (t + d, i, heappop(idle)))
                    since[i] = start[i] = t
                else:
                    end, k, j = running[-1]
                    if d >= end - t:  # equal work: k arrived earlier and keeps running
                        heappush(waiting, (d, i))
                    else:
                        del running[-1]
                        record((k, j, since[k], t))
                        remaining[k] = end - t
                        heappush(waiting, (end - t, k))
                        insort(running, (t + d, i, j))
                        since[i] = start[i] = t
                i += 1
                continue
        # several events at t: the general rule
        while arr[i] == t:
            heappush(waiting, (remaining[i], i))
            i += 1
        if not waiting:
            continue
        free = len(idle)
        chosen: list[tuple[float, int]] = []
        while waiting:
            if free:
                chosen.append(heappop(waiting))
                free -= 1
                continue
            if not running:  # every machine holds a task chosen at this instant
                break
            end, k, j = running[-1]
            worst = (end - t, k)
            if waiting[0] >= worst:
                break
            running.pop()  # preempt the runner with the most work left
            record((k, j, since[k], t))
            remaining[k] = worst[0]
            heappush(waiting, worst)
            heappush(idle, j)
            free = 1
        for rem, k in chosen:  # least remaining work on the lowest free index
            j = heappop(idle)
            insort(running, (t + rem, k, j))
            since[k] = t
            if start[k] < 0.0:
                start[k] = t
    return _preemptive_run(preempted, machine, start, since, completion)


def srtf(arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray) -> Run:
    """Shortest remaining time first: preemptive, one shared queue.

    At every instant with an arrival or a completion, the ``m`` tasks with the
    least remaining *work* (duration still to do, in speed-1 units; ties by
    arrival, then table order) run; the others wait. Which machine each runs
    on:

    - a running task that stays among the ``m`` keeps its machine;
    - a task pushed out of the ``m`` is preempted and frees its machine;
    - tasks entering the ``m`` take the free machines in order: the one with
      the least remaining work gets the lowest-index free machine, and so on.

    Between events the running tasks only get shorter and the waiting ones do
    not change, so the chosen set can change only at arrivals (preemption)
    and completions (a freed machine takes the head of the queue). Running
    tasks on machines of the same speed keep their relative order, so one
    max-heap per distinct speed, keyed by would-be completion time, finds the
    task to preempt in O(distinct speeds); a min-heap of completion times
    (lazily invalidated on preemption) gives the next completion.
    """
    m = speeds.size
    if bool(np.all(speeds == 1.0)):
        return _unit_srtf(arrival, duration, m)
    n = arrival.size
    arr = arrival.tolist()
    speed_list = speeds.tolist()
    unit = False
    remaining = duration.tolist()  # work left, as of the task's last preemption
    machine = [-1] * n
    start = [-1.0] * n
    completion = [0.0] * n
    seg_task: list[int] = []
    seg_machine: list[int] = []
    seg_start: list[float] = []
    seg_end: list[float] = []
    task_on = [-1] * m  # task running on each machine
    since = [0.0] * m  # when that task's current piece started
    end = [0.0] * m  # when it finishes if left alone
    idle = list(range(m))
    waiting: list[tuple[float, int]] = []  # (remaining work, arrival rank)
    finishing: list[tuple[float, int, int]] = []  # (end, machine, task), lazily invalidated
    # Running tasks on machines of one speed lose work at the same rate, so their order by
    # remaining work never changes: one max-heap (-end, -task, machine) per distinct speed
    # finds the worst runner in O(number of distinct speeds).
    distinct = sorted(set(speed_list))
    by_speed = [([], speed) for speed in distinct]
    latest = [by_speed[distinct.index(speed)][0] for speed in speed_list]  # each machine's heap
    heappush, heappop = heapq.heappush, heapq.heappop
    add_task, add_machine, add_start, add_end = seg_task.append, seg_machine.append, seg_start.append, seg_end.append

    def end_piece(j: int, k: int, t: float) -> None:
        """Task ``k``'s piece on machine ``j`` ends at ``t`` (completed or preempted)."""
        add_task(k)
        add_machine(j)
        add_start(since[j])
        add_end(t)
        task_on[j] = -1
        heappush(idle, j)

    busy = 0
    i = 0
    while i < n or busy:
        while finishing:  # drop completions of pieces that were preempted
            top = finishing[0]
            j = top[1]
            if task_on[j] == top[2] and end[j] == top[0]:
                break
            heappop(finishing)
        if finishing and (i >= n or finishing[0][0] <= arr[i]):
            # 1. completions at t (they come before arrivals at t)
            t = finishing[0][0]
            while finishing and finishing[0][0] == t:
                _, j, k = heappop(finishing)
                if task_on[j] != k or end[j] != t:
                    continue
                end_piece(j, k, t)
                machine[k] = j
                completion[k] = t
                busy -= 1
        else:
            t = arr[i]
        # 2. arrivals at t
        while i < n and arr[i] == t:
            heappush(waiting, (remaining[i], i))
            i += 1
        if not waiting:
            continue
        # 3. choose the m least: fill free machines, preempt while the queue head beats the worst runner
        free = len(idle)
        chosen: list[tuple[float, int]] = []
        while waiting:
            if free:
                chosen.append(heappop(waiting))
                free -= 1
                continue
            if busy == 0:
                break
            worst = None
            for heap, speed in by_speed:
                while heap:
                    neg_end, neg_k, jj = heap[0]
                    if task_on[jj] == -neg_k and end[jj] == -neg_end:
                        cand = ((-neg_end - t) * speed, -neg_k)
                        if worst is None or cand > worst:
                            worst, j = cand, jj
                        break
                    heappop(heap)
            if waiting[0] >= worst:
                break
            k = worst[1]  # preempt it: its piece ends now and its machine is free
            end_piece(j, k, t)
            remaining[k] = worst[0]
            heappush(waiting, worst)
            busy -= 1
            free += 1
        # 4. the newly chosen take free machines, least remaining work on the lowest index
        for rem, k in chosen:
            j = heappop(idle)
            task_on[j] = k
            since[j] = t
            done = t + (rem if unit else rem / speed_list[j])
            end[j] = done
            if start[k] < 0.0:
                start[k] = t
            heappush(finishing, (done, j, k))
            heappush(latest[j], (-done, -k, j))
            busy += 1
    seg_task_a = np.asarray(seg_task, dtype=np.int64)
    seg_start_a = np.asarray(seg_start, dtype=np.float64)
    seg_end_a = np.asarray(seg_end, dtype=np.float64)
    service = np.bincount(seg_task_a, weights=seg_end_a - seg_start_a, minlength=n)
    return Run(
        np.asarray(machine, dtype=np.int64),
        np.asarray(start, dtype=np.float64),
        np.asarray(completion, dtype=np.float64),
        service.astype(np.float64),
        seg_task_a,
        np.asarray(seg_machine, dtype=np.int64),
        seg_start_a,
        seg_end_a,
    )


def priority(arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray, base: np.ndarray, aging: float) -> Run:
    """Non-preemptive priority: an idle machine takes the waiting task of highest priority.

    The shared queue keyed by ``-(base - aging * arrival)``: see :func:`queue_rank`.
    """
    return _shared_queue(arrival, duration, speeds, -(base - aging * arrival if aging else base))


def queue_rank(
    policy: str, arrival: np.ndarray, duration: np.ndarray, base: np.ndarray | None = None, aging: float = 0.0
) -> np.ndarray:
    """The order of a non-preemptive shared queue (``fcfs``, ``sjf``, ``priority``) as ranks, smaller first.

    Under ``priority`` a waiting task's priority at time ``t`` is ``base +
    aging * (t - arrival)``. The term ``aging * t`` is shared by every waiting
    task, so the queue's order is the order of ``base - aging * arrival``
    (higher first), fixed for the whole run. Ties go by arrival rank.
    """
    if policy == "fcfs":
        return np.arange(arrival.size, dtype=np.int64)
    if policy == "sjf":
        return _rank_by(duration)
    base = np.zeros(arrival.size) if base is None else base
    return _rank_by(-(base - aging * arrival if aging else base))


def priority_preemptive(
    arrival: np.ndarray, duration: np.ndarray, speeds: np.ndarray, base: np.ndarray, aging: float
) -> Run:
    """Preemptive priority: at every arrival and completion the ``m`` highest-priority tasks run.

    A task's priority is ``base + aging * (time it has waited so far)``: it
    grows while the task waits (queued, or preempted) and stays put while it
    runs. A waiting task is kept in a heap under ``c = priority - aging * t``,
    which does not change while it waits; a runner's priority is fixed. Ties
    go by arrival rank (earlier first), and a running task that stays among
    the ``m`` keeps its machine; tasks that enter take the free machines, the
    highest priority on the lowest index. A preempted task resumes where it
    stopped (its remaining work is kept).

    ``runners`` is sorted by (priority, -rank), so its head is the runner to
    preempt; ``ends`` is sorted by completion time, so its head is the next
    completion. Both hold at most ``m`` entries.
    """
    m = speeds.size
    n = arrival.size
    arr = arrival.tolist()
    base_l = base.tolist()
    speed_list = speeds.tolist()
    remaining = duration.tolist()  # work left, as of the task's last preemption
    level = [0.0] * n  # while running: the task's priority; while waiting: priority - aging * t
    machine = [0] * n
    start = [-1.0] * n
    since = [0.0] * n
    end_of = [0.0] * n
    completion = [0.0] * n
    preempted: list[tuple[int, int, float, float]] = []
    idle = list(range(m))
    waiting: list[tuple[float, int]] = []  # (-(priority - aging * t), rank): the best at the head
    runners: list[tuple[float, int, int]] = []  # (priority, -rank, machine): the worst at the head
    ends: list[tuple[float, int, int]] = []  # (end, machine, task): the next completion at the head
    heappush, heappop = heapq.heappush, heapq.heappop
    insort, bisect_left = bisect.insort, bisect.bisect_left
    i = 0
    while i < n or ends:
        if ends and (i >= n or ends[0][0] <= arr[i]):
            t = ends[0][0]
            c = 0
            for end, j, k in ends:
                if end != t:
                    break
                completion[k] = t
                machine[k] = j
                del runners[bisect_left(runners, (level[k], -k, j))]
                heappush(idle, j)
                c += 1
            del ends[:c]
        else:
            t = arr[i]
        while i < n and arr[i] == t:
            c_i = base_l[i] - aging * t if aging else base_l[i]
            level[i] = c_i
            heappush(waiting, (-c_i, i))
            i += 1
        free = len(idle)
        chosen: list[tuple[float, int]] = []
        while waiting:
            if free:
                chosen.append(heappop(waiting))
                free -= 1
                continue
            if not runners:
                break
            p_run, neg_k, j = runners[0]
            neg_c, kw = waiting[0]
            p_wait = aging * t - neg_c if aging else -neg_c
            if p_wait < p_run or (p_wait == p_run and kw > -neg_k):
                break
            k = -neg_k  # preempt the worst runner: its piece ends now, its machine is free
            del runners[0]
            del ends[bisect_left(ends, (end_of[k], j, k))]
            preempted.append((k, j, since[k], t))
            remaining[k] = (end_of[k] - t) * speed_list[j]
            level[k] = c_k = p_run - aging * t if aging else p_run
            heappush(waiting, (-c_k, k))
            heappush(idle, j)
            free = 1
        for neg_c, k in chosen:  # the highest priority on the lowest free index
            j = heappop(idle)
            p = aging * t - neg_c if aging else -neg_c
            level[k] = p
            insort(runners, (p, -k, j))
            done = t + remaining[k] / speed_list[j]
            end_of[k] = done
            insort(ends, (done, j, k))
            since[k] = t
            if start[k] < 0.0:
                start[k] = t
    return _preemptive_run(preempted, machine, start, since, completion)


def _preemptive_run(
    preempted: list[tuple[int, int, float, float]],
    machine: list[int],
    start: list[float],
    since: list[float],
    completion: list[float],
) -> Run:
    """A :class:`Run` from the preempted pieces and each task's last piece (last start to completion)."""
    n = len(machine)
    last_machine = np.asarray(machine, dtype=np.int64)
    last_start = np.asarray(since, dtype=np.float64)
    done = np.asarray(completion, dtype=np.float64)
    seg_task = np.arange(n, dtype=np.int64)
    seg_machine, seg_start, seg_end = last_machine, last_start, done
    if preempted:
        # fromiter over the flattened tuples: half the time of np.array on a list of tuples.
        flat = itertools.chain.from_iterable(preempted)
        pieces = np.fromiter(flat, dtype=np.float64, count=4 * len(preempted)).reshape(-1, 4)
        seg_task = np.concatenate((pieces[:, 0].astype(np.int64), seg_task))
        seg_machine = np.concatenate((pieces[:, 1].astype(np.int64), seg_machine))
        seg_start = np.concatenate((pieces[:, 2], seg_start))
        seg_end = np.concatenate((pieces[:, 3], seg_end))
    service = np.bincount(seg_task, weights=seg_end - seg_start, minlength=n).astype(np.float64)
    return Run(last_machine, np.asarray(start, dtype=np.float64), done, service,
               seg_task, seg_machine, seg_start, seg_end)


_RUNNERS = {
    "round_robin": round_robin,
    "least_connections": least_connections,
    "weighted": weighted,
    "fcfs": fcfs,
    "sjf": sjf,
    "srtf": srtf,
}
_PRIORITY_RUNNERS = {"priority": priority, "priority_preemptive": priority_preemptive}


def run_policy(
    policy: str,
    arrival: np.ndarray,
    duration: np.ndarray,
    speeds: np.ndarray,
    base: np.ndarray | None = None,
    aging: float = 0.0,
) -> Run:
    """Run one policy on tasks in arrival order (see the module docstring).

    ``base`` (each task's priority) and ``aging`` are read by the priority
    policies only.

    The cyclic garbage collector is paused for the run: the event loops
    allocate millions of short-lived tuples and no reference cycles, and the
    collector's passes over them would cost a sizeable share of the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        if policy in _PRIORITY_RUNNERS:
            if base is None:
                base = np.zeros(arrival.size)
            return _PRIORITY_RUNNERS[policy](arrival, duration, speeds, base, aging)
        return _RUNNERS[policy](arrival, duration, speeds)
    finally:
        if enabled:
            gc.enable()
