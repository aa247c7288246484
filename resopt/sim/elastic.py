"""Elastic capacity: a fleet of identical speed-1 machines that grows and shrinks by a threshold rule.

:class:`Elastic` is the setting, passed as ``machines`` to :func:`resopt.simulate`;
:func:`elastic_queue` is the event loop, for the non-preemptive shared-queue
policies (``fcfs``, ``sjf``, ``priority``).

The rule, evaluated at the end of every ``window`` (from the first arrival):

- utilization over the window = busy machine-time / ready machine-time in it;
- at or above ``scale_up_at`` (and below ``max`` machines, counting those
  still booting): request ``step`` machines; each is ready ``provisioning_delay``
  later;
- at or below ``scale_down_at`` (above ``min``, none booting): remove up to
  ``step`` machines that are idle at that instant, highest index first; a busy
  machine is never removed;
- after an action, none until ``cooldown`` has passed.

At one instant: completions, machines becoming ready, arrivals, idle machines
(lowest index first) take the best waiting tasks, then the rule. A machine
counts (and is paid for) from its request until its removal or the last
completion; ``machine_hours`` is the integral of that count.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..errors import InputError
from .policies import MAX_MACHINES

__all__ = ["Elastic", "ElasticRun", "elastic_queue", "MAX_RULE_EVALUATIONS"]

MAX_RULE_EVALUATIONS = 10_000_000


def _whole(value: Any, name: str, minimum: int, maximum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise InputError(f"Elastic '{name}' must be a whole number. Got {value!r}.")
    if not math.isfinite(float(value)) or float(value) != int(value):
        raise InputError(f"Elastic '{name}' must be a whole number. Got {value!r}.")
    if not minimum <= int(value) <= maximum:
        raise InputError(f"Elastic '{name}' must be between {minimum:,} and {maximum:,}. Got {value!r}.")
    return int(value)


def _number(value: Any, name: str, *, positive: bool = False, fraction: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise InputError(f"Elastic '{name}' must be a number. Got {value!r}.")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (positive and v == 0) or (fraction and v > 1):
        rule = "between 0 and 1" if fraction else ("positive and finite" if positive else "non-negative and finite")
        raise InputError(f"Elastic '{name}' must be {rule}. Got {value!r}.")
    return v


@dataclass(frozen=True)
class Elastic:
    """An elastic fleet of identical speed-1 machines, for ``resopt.simulate(tasks, machines=Elastic(...))``.

    Parameters
    ----------
    min, max : int
        Bounds on the number of machines (booting ones included), 1 <= min <= max <= 1,000,000.
    initial : int, optional
        Machines ready at the first arrival; ``min`` when omitted.
    scale_up_at, scale_down_at : float
        Utilization thresholds in [0, 1], ``scale_down_at < scale_up_at``.
    window : float
        Length of the measurement window; the rule is applied at the end of each.
    provisioning_delay : float
        Time from a scale-up decision until the new machine can take work.
    cooldown : float
        Minimum time between two scaling actions.
    step : int
        Machines added or removed per action.

    Examples
    --------
    >>> Elastic(min=2, max=16, initial=4, window=5, provisioning_delay=2)
    Elastic(min=2, max=16, initial=4, scale_up_at=0.8, scale_down_at=0.3, window=5.0, provisioning_delay=2.0, cooldown=0.0, step=1)
    >>> Elastic(min=4, max=2)
    Traceback (most recent call last):
    ...
    resopt.errors.InputError: Elastic 'max' must be between 4 and 1,000,000. Got 2.
    """

    min: int = 1
    max: int = 16
    initial: int | None = None
    scale_up_at: float = 0.8
    scale_down_at: float = 0.3
    window: float = 10.0
    provisioning_delay: float = 0.0
    cooldown: float = 0.0
    step: int = 1

    def __post_init__(self) -> None:
        low = _whole(self.min, "min", 1, MAX_MACHINES)
        high = _whole(self.max, "max", low, MAX_MACHINES)
        initial = low if self.initial is None else _whole(self.initial, "initial", low, high)
        up = _number(self.scale_up_at, "scale_up_at", fraction=True)
        down = _number(self.scale_down_at, "scale_down_at", fraction=True)
        if down >= up:
            raise InputError(f"Elastic 'scale_down_at' ({down:g}) must be below 'scale_up_at' ({up:g}).")
        values = {
            "min": low, "max": high, "initial": initial, "scale_up_at": up, "scale_down_at": down,
            "window": _number(self.window, "window", positive=True),
            "provisioning_delay": _number(self.provisioning_delay, "provisioning_delay"),
            "cooldown": _number(self.cooldown, "cooldown"),
            "step": _whole(self.step, "step", 1, MAX_MACHINES),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)


class ElasticRun(NamedTuple):
    """An elastic simulation: the task schedule plus the fleet's history."""

    machine: np.ndarray
    start: np.ndarray
    capacity_time: np.ndarray  # instants where the machine count changes (first: the first arrival; last: the end)
    capacity_machines: np.ndarray  # machines counted (booting included) from that instant on
    capacity_ready: np.ndarray  # machines ready to take work from that instant on
    fleet: list[tuple[int, float, float, float]]  # (slot, requested, ready, removed)


def elastic_queue(arrival: np.ndarray, duration: np.ndarray, priority: np.ndarray, spec: Elastic) -> ElasticRun:
    """Non-preemptive shared queue on an elastic fleet (tasks in arrival order).

    ``priority`` is a permutation of ``0..n-1``, smaller first (as for the
    fixed-fleet shared queue). Machine slots are numbered from 0; a new machine
    takes the lowest free slot, so slot numbers stay below ``spec.max``.
    """
    n = arrival.size
    arr = arrival.tolist()
    dur = duration.tolist()
    prio = priority.tolist()
    order = [0] * n
    for k, p in enumerate(prio):
        order[p] = k
    heappush, heappop = heapq.heappush, heapq.heappop
    machine = [0] * n
    start = [0.0] * n
    t0 = arr[0] if n else 0.0
    if n:
        horizon = arr[-1] - t0 + math.fsum(dur)  # the last completion is at most this far from t0
        if horizon / spec.window > MAX_RULE_EVALUATIONS:
            raise InputError(
                f"Elastic 'window' {spec.window:g} is too short for these tasks: the run may last up to "
                f"{horizon:g}, more than {MAX_RULE_EVALUATIONS:,} windows. Use a window of at least "
                f"{horizon / MAX_RULE_EVALUATIONS:.3g}."
            )
    released: list[int] = []  # free slot numbers below next_slot
    next_slot = 0
    fleet: list[tuple[int, float, float, float]] = []
    born: dict[int, tuple[float, float]] = {}  # slot -> (requested, ready) of the machine in it

    def new_slot() -> int:
        nonlocal next_slot
        if released:
            return heappop(released)
        next_slot += 1
        return next_slot - 1

    idle: list[int] = []
    busy: list[tuple[float, int]] = []  # (completion, machine)
    waiting: list[int] = []

    def serve(t: float) -> None:
        """Idle machines, lowest index first, take the best waiting tasks at ``t``."""
        while idle and waiting:
            j = heappop(idle)
            k = order[heappop(waiting)]
            machine[k] = j
            start[k] = t
            heappush(busy, (t + dur[k], j))

    for _ in range(spec.initial):
        j = new_slot()
        born[j] = (t0, t0)
        idle.append(j)
    booting: list[tuple[float, int]] = []  # (ready time, machine)
    count = spec.initial  # machines paid for: ready + booting
    ready = spec.initial
    cap_t, cap_m, cap_r = [t0], [count], [ready]
    busy_area = ready_area = 0.0  # integrals of busy and ready machines since the window began
    last = t0
    check = 1  # the rule's k-th evaluation is at t0 + k * window
    next_check = t0 + spec.window
    last_action = -math.inf
    done = 0
    i = 0
    while done < n:
        t = next_check
        if busy and busy[0][0] < t:
            t = busy[0][0]
        if booting and booting[0][0] < t:
            t = booting[0][0]
        if i < n and arr[i] < t:
            t = arr[i]
        running = len(busy)
        busy_area += running * (t - last)
        ready_area += ready * (t - last)
        last = t
        while busy and busy[0][0] == t:
            heappush(idle, heappop(busy)[1])
            done += 1
        changed = False
        while booting and booting[0][0] == t:
            heappush(idle, heappop(booting)[1])
            ready += 1
            changed = True
        while i < n and arr[i] == t:
            heappush(waiting, prio[i])
            i += 1
        serve(t)
        if t == next_check and done < n:
            utilization = busy_area / ready_area if ready_area > 0 else 0.0
            busy_area = ready_area = 0.0
            if t - last_action >= spec.cooldown:
                if utilization >= spec.scale_up_at and count < spec.max:
                    for _ in range(min(spec.step, spec.max - count)):
                        j = new_slot()
                        at = t + spec.provisioning_delay
                        born[j] = (t, at)
                        count += 1
                        if spec.provisioning_delay == 0:
                            heappush(idle, j)
                            ready += 1
                        else:
                            heappush(booting, (at, j))
                    last_action = t
                    changed = True
                    serve(t)  # machines ready at once take work at once
                elif utilization <= spec.scale_down_at and count > spec.min and not booting and idle:
                    remove = sorted(idle)[-min(spec.step, count - spec.min, len(idle)):]
                    for j in remove:
                        fleet.append((j, *born.pop(j), t))
                        heappush(released, j)
                    idle[:] = [j for j in idle if j not in set(remove)]
                    heapq.heapify(idle)
                    count -= len(remove)
                    ready -= len(remove)
                    last_action = t
                    changed = True
            check += 1
            if not busy and not waiting and not booting and i < n and count == spec.min:
                # Nothing runs and nothing can change before the next arrival: skip the idle
                # windows; the window that ends after it starts measuring at its own start.
                check = max(check, math.ceil((arr[i] - t0) / spec.window))
                last = max(t, t0 + (check - 1) * spec.window)
            next_check = t0 + check * spec.window
        if changed:
            cap_t.append(t)
            cap_m.append(count)
            cap_r.append(ready)
    end = max(last, t0)
    for j, (asked, up) in sorted(born.items()):
        fleet.append((j, asked, min(up, end), end))
    cap_t.append(end)
    cap_m.append(count)
    cap_r.append(ready)
    return ElasticRun(
        np.asarray(machine, dtype=np.int64),
        np.asarray(start, dtype=np.float64),
        np.asarray(cap_t, dtype=np.float64),
        np.asarray(cap_m, dtype=np.int64),
        np.asarray(cap_r, dtype=np.int64),
        sorted(fleet, key=lambda row: (row[1], row[0])),
    )
