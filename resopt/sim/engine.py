"""The public entry points: :func:`simulate` and :func:`compare_policies`.

Input is checked here, once; :mod:`resopt.sim.policies` only ever sees clean
float arrays in arrival order.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._validate import TableLike, as_frame, check_columns, check_scalar, check_unique, numeric_column
from ..errors import InputError
from .elastic import Elastic, elastic_queue
from .metrics import class_metrics, compute_metrics
from .policies import MAX_MACHINES, POLICIES, PREEMPTIVE_POLICIES, PRIORITY_POLICIES, Run, queue_rank, run_policy
from .result import ScheduleResult

__all__ = ["simulate", "compare_policies", "ELASTIC_POLICIES"]

ELASTIC_POLICIES = ("fcfs", "sjf", "priority")

_TABLE = "tasks"


class _Tasks(NamedTuple):
    frame: pd.DataFrame
    ids: np.ndarray
    arrival: np.ndarray
    duration: np.ndarray
    priority: np.ndarray | None  # w * (importance + urgency), or the 'priority' column; None without either


def _check_policy(policy: Any) -> str:
    known = ", ".join(POLICIES)
    if isinstance(policy, str) and policy in POLICIES:
        return policy
    hint = ""
    if isinstance(policy, str):
        close = difflib.get_close_matches(policy.strip().lower(), POLICIES, n=1)
        if close:
            hint = f" Did you mean '{close[0]}'?"
    raise InputError(f"Unknown policy {policy!r}. Known policies: {known}.{hint}")


def _read_tasks(tasks: TableLike, priority_weight: float = 1.0) -> _Tasks:
    df = as_frame(tasks, _TABLE)
    check_columns(df, _TABLE, ["task", "arrival", "duration"], ["importance", "urgency", "priority"])
    column = df["task"]
    ids = column.to_numpy()
    if column.dtype.kind not in "iub":  # integer ids cannot be missing
        missing = pd.isna(column).to_numpy()
        if missing.any():
            pos = int(np.flatnonzero(missing)[0])
            raise InputError(
                f"The 'task' column of {_TABLE} must not have missing values. "
                f"Got {ids[pos]!r} at row {df.index[pos]!r}."
            )
    increasing = column.dtype.kind in "iu" and bool(np.all(ids[1:] > ids[:-1]))
    if not increasing and not pd.Index(ids).is_unique:
        check_unique(ids, _TABLE, "task", df)
    arrival = numeric_column(df, _TABLE, "arrival", minimum=0)
    duration = numeric_column(df, _TABLE, "duration", minimum=0, strict_minimum=True)
    return _Tasks(df, ids, arrival, duration, _read_priority(df, priority_weight))


def _read_priority(df: pd.DataFrame, weight: float) -> np.ndarray | None:
    """``weight * (importance + urgency)`` (each >= 0, default 0), or the ``priority`` column."""
    parts = [c for c in ("importance", "urgency") if c in df.columns]
    if "priority" in df.columns:
        if parts:
            raise InputError(
                f"tasks has a 'priority' column and {' and '.join(repr(c) for c in parts)}: give either a "
                "ready-made 'priority' or 'importance'/'urgency' (priority = w x (importance + urgency)), not both."
            )
        return numeric_column(df, _TABLE, "priority")
    if not parts:
        return None
    importance = numeric_column(df, _TABLE, "importance", default=0.0, minimum=0)
    urgency = numeric_column(df, _TABLE, "urgency", default=0.0, minimum=0)
    with np.errstate(over="ignore"):
        priority = weight * (importance + urgency)
    if not np.isfinite(priority).all():
        pos = int(np.flatnonzero(~np.isfinite(priority))[0])
        raise InputError(
            f"priority_weight x (importance + urgency) overflows at row {df.index[pos]!r} "
            f"(importance {importance[pos]:g}, urgency {urgency[pos]:g}, priority_weight {weight:g})."
        )
    return priority


_USAGE = "a number of machines (at least 1), a sequence of positive machine speeds or an Elastic(...) fleet"


def _read_machines(machines: Any) -> np.ndarray | Elastic:
    """A count of identical speed-1 machines, or a sequence of speeds, as a float array; or an Elastic fleet.

    A count must be a whole number (2.0 is 2; 2.5 is an error, not rounded:
    speeds are given as a list). At most :data:`MAX_MACHINES` machines, because
    the simulator keeps state and a busy time for every machine.
    """
    if isinstance(machines, Elastic):
        return machines
    if isinstance(machines, (bool, np.bool_)) or isinstance(machines, str):
        raise InputError(f"'machines' must be {_USAGE}. Got {machines!r}.")
    if isinstance(machines, (int, np.integer, float, np.floating)):
        machines = machines.item() if isinstance(machines, np.generic) else machines
        count = float(machines)
        if not np.isfinite(count):
            raise InputError(f"'machines' must be {_USAGE}. Got {machines!r}.")
        if count != int(count):
            raise InputError(
                f"'machines' must be a whole number when it is a count of machines; pass a list "
                f"of speeds for machines of different speeds. Got {machines!r}."
            )
        if count < 1:
            raise InputError(f"'machines' must be at least 1. Got {machines!r}.")
        _check_machine_count(int(count), machines)
        return np.ones(int(count), dtype=np.float64)
    if isinstance(machines, (Sequence, np.ndarray, pd.Series, pd.Index)):
        _check_machine_count(len(machines), f"a sequence of {len(machines):,} speeds")
        values = list(machines.tolist() if hasattr(machines, "tolist") else machines)
        if not values:
            raise InputError(f"'machines' must be {_USAGE}. Got an empty sequence: there must be at least 1 machine.")
        for pos, v in enumerate(values):
            ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
            if not ok or not np.isfinite(v) or v <= 0:
                raise InputError(
                    f"Every machine speed must be a positive finite number. Got {v!r} for machine {pos}."
                )
        return np.asarray(values, dtype=np.float64)
    raise InputError(f"'machines' must be {_USAGE}. Got {type(machines).__name__}.")


def _check_machine_count(count: int, shown: Any) -> None:
    if count > MAX_MACHINES:
        raise InputError(
            f"'machines' must be at most {MAX_MACHINES:,} (the simulator keeps state and a busy "
            f"time for every machine). Got {shown!r}."
        )


def _run(
    data: _Tasks,
    fleet: np.ndarray | Elastic,
    policy: str,
    started: float,
    aging: float = 0.0,
    cost_per_machine_hour: float | None = None,
) -> ScheduleResult:
    arrival = data.arrival
    n = arrival.size
    if policy in PRIORITY_POLICIES and data.priority is None:
        raise InputError(
            f"Policy {policy!r} ranks tasks by priority: tasks needs 'importance' and/or 'urgency' columns "
            "(priority = priority_weight x (importance + urgency)) or a 'priority' column."
        )
    elastic = fleet if isinstance(fleet, Elastic) else None
    if elastic is not None and policy not in ELASTIC_POLICIES:
        raise InputError(
            f"An Elastic fleet runs the shared-queue policies {', '.join(ELASTIC_POLICIES)}. Got policy {policy!r}."
        )
    grown = None

    def simulate_sorted(arr: np.ndarray, dur: np.ndarray, base: np.ndarray | None) -> Run:
        nonlocal grown
        if elastic is None:
            return run_policy(policy, arr, dur, fleet, base, aging)
        grown = elastic_queue(arr, dur, queue_rank(policy, arr, dur, base, aging), elastic)
        done = grown.start + dur
        return Run(grown.machine, grown.start, done, dur, np.arange(arr.size), grown.machine, grown.start, done)

    if n < 2 or bool(np.all(arrival[1:] >= arrival[:-1])):
        order = None  # already in arrival order: no permutation to apply or undo
        run = simulate_sorted(arrival, data.duration, data.priority)
        machine, start, completion, service = run.machine, run.start, run.completion, run.service
    else:
        order = np.argsort(arrival, kind="stable")  # arrival order; ties keep table order
        rank = np.empty_like(order)
        rank[order] = np.arange(n)
        run = simulate_sorted(arrival[order], data.duration[order], None if data.priority is None else data.priority[order])
        machine, start, completion, service = (x[rank] for x in (run.machine, run.start, run.completion, run.service))
    # waiting = completion - arrival - service, written as the queueing before the first
    # start plus the gaps between run pieces (none without preemption), so that rounding
    # cannot make it negative or add a stray ulp.
    waiting = start - arrival
    if policy in PREEMPTIVE_POLICIES:
        waiting = waiting + np.maximum(completion - start - service, 0.0)
    turnaround = completion - arrival
    columns = {
        "task": data.ids,
        "machine": machine,
        "start": start,
        "completion": completion,
        "waiting": waiting,
        "turnaround": turnaround,
        "arrival": arrival,
        "duration": data.duration,
        "service": service,
    }
    if data.priority is not None:
        columns["priority"] = data.priority
    schedule = pd.DataFrame(columns, index=data.frame.index, copy=False)
    seg_task = run.seg_task if order is None else order[run.seg_task]
    if grown is None:
        slots = fleet.size
        first = float(arrival.min()) if n else 0.0
        last = float(completion.max()) if n else 0.0
        capacity = pd.DataFrame({"time": [first, last], "machines": slots, "ready": slots})
        lifetimes = pd.DataFrame({"machine": np.arange(slots), "requested": first, "ready": first, "removed": last})
    else:
        capacity = pd.DataFrame(
            {"time": grown.capacity_time, "machines": grown.capacity_machines, "ready": grown.capacity_ready}
        )
        lifetimes = pd.DataFrame(grown.fleet, columns=["machine", "requested", "ready", "removed"])
        slots = int(lifetimes["machine"].max()) + 1
    scalars, busy = compute_metrics(arrival, completion, waiting, run.seg_machine, run.seg_start, run.seg_end, slots)
    metrics: dict[str, Any] = dict(scalars)
    hours = capacity["machines"].to_numpy()[:-1] * np.diff(capacity["time"].to_numpy())
    metrics["machine_hours"] = machine_hours = float(hours.sum())
    if grown is not None:
        metrics["utilization"] = float(busy.sum()) / machine_hours if machine_hours > 0 else 0.0
    if cost_per_machine_hour is not None:
        metrics["cost"] = machine_hours * cost_per_machine_hour
    metrics["busy_time"] = pd.Series(busy, index=pd.RangeIndex(slots, name="machine"), name="busy_time")
    return ScheduleResult(
        policy=policy,
        speeds=tuple(fleet.tolist()) if grown is None else (1.0,) * slots,
        schedule=schedule,
        pieces=(data.ids, seg_task, run.seg_machine, run.seg_start, run.seg_end),
        metrics=metrics,
        runtime_s=time.perf_counter() - started,
        priority_classes=None if data.priority is None else class_metrics(data.priority, waiting, turnaround),
        capacity=capacity,
        machines=lifetimes,
        elastic=elastic,
    )


def _read_options(priority_weight: Any, aging: Any, cost: Any) -> tuple[float, float, float | None]:
    weight = check_scalar(priority_weight, "priority_weight", minimum=0, strict_minimum=True)
    return (
        weight,
        check_scalar(aging, "aging", minimum=0),
        check_scalar(cost, "cost_per_machine_hour", minimum=0, allow_none=True),
    )


def simulate(
    tasks: TableLike,
    machines: Any = 1,
    *,
    policy: str = "fcfs",
    priority_weight: float = 1.0,
    aging: float = 0.0,
    cost_per_machine_hour: float | None = None,
) -> ScheduleResult:
    """Simulate a scheduling or load-balancing policy on a set of tasks.

    Parameters
    ----------
    tasks : DataFrame or mapping of column -> sequence
        Columns ``task`` (unique id), ``arrival`` (>= 0) and ``duration``
        (> 0, the time the task takes on a machine of speed 1). Optional:
        ``importance`` and ``urgency`` (numbers >= 0, default 0), whose
        priority is ``priority_weight * (importance + urgency)``, or a
        ready-made ``priority`` column (any finite numbers); higher runs
        first under the priority policies.
    machines : int, sequence of float or Elastic, default 1
        A number of identical machines of speed 1 (a whole number, at most
        1,000,000), or one speed per machine: a task of duration ``d`` takes
        ``d / speed`` on that machine. The speeds are also the weights of the
        ``weighted`` policy. Or an :class:`Elastic` fleet of speed-1 machines
        that grows and shrinks by a utilization rule (policies ``fcfs``,
        ``sjf``, ``priority``); see :mod:`resopt.sim.elastic`.
    policy : str, default "fcfs"
        Dispatch policies bind each task to a machine on arrival; every
        machine then serves its own queue first come first served, without
        preemption:

        - ``"round_robin"``: the k-th arriving task (from 0) goes to machine ``k mod m``.
        - ``"least_connections"``: to the machine with the fewest tasks bound
          to it and not yet finished at that instant (ties: lowest index).
        - ``"weighted"``: smooth weighted round robin over the speeds (each
          pick adds every machine's weight to its score, takes the highest
          score, ties to the lowest index, and subtracts the total weight
          from it). Speeds are read as exact fractions with denominators up
          to 10**6, so 0.1 means 1/10.

        Queue policies keep one shared queue; a machine that falls idle takes
        the next task:

        - ``"fcfs"``: earliest arrival.
        - ``"sjf"``: shortest duration, non-preemptive.
        - ``"srtf"``: shortest remaining work, preemptive: at every arrival
          and completion the ``m`` tasks with the least remaining work run.
          A running task that stays among them keeps its machine; tasks that
          enter take the free machines, least remaining work on the lowest
          index. With unequal speeds, a task's service time is the time it
          actually ran, which depends on where it ran.
        - ``"priority"``: highest priority first, non-preemptive.
        - ``"priority_preemptive"``: at every arrival and completion the
          ``m`` highest-priority tasks run (machines as under ``srtf``); a
          preempted task resumes where it stopped.

        Ties: completions at an instant happen before arrivals at that
        instant; tasks with equal keys go by earlier arrival, then by their
        order in the table; idle machines are filled lowest index first (for
        the queue policies, regardless of speed).
    priority_weight : float, default 1
        ``w`` in ``priority = w * (importance + urgency)`` (> 0). It does not
        change the order by itself; it sets the scale of priorities against
        ``aging``.
    aging : float, default 0
        Under the priority policies, a task's priority grows by ``aging`` per
        unit of time it has waited (queued or preempted; not while it runs).
        Without aging, a steady stream of high-priority work can starve
        low-priority tasks for ever; with aging a task waiting ``x /
        aging`` gains ``x`` priority. Decisions are still taken at arrivals
        and completions only.
    cost_per_machine_hour : float, optional
        Adds ``cost`` = machine-hours x this to the metrics (times read as hours).

    Returns
    -------
    ScheduleResult
        ``schedule`` (one row per task, in table order; a ``priority``
        column when the tasks carry one), ``segments`` (every run piece),
        ``metrics``, ``priority_classes`` (per-class waiting and turnaround,
        when the tasks carry a priority), ``capacity`` and ``machines`` (the
        machine count over time and each machine's life), ``plot()``.

    Raises
    ------
    InputError
        Missing or misspelt columns, NaN, negative arrivals, durations <= 0,
        duplicate task ids, negative importance or urgency, both a
        ``priority`` column and importance/urgency, a priority policy without
        priorities, zero machines, a fractional or too large machine count,
        bad speeds, an elastic fleet with a policy it cannot run or a window
        too short for the tasks, an unknown policy, a bad ``priority_weight``,
        ``aging`` or ``cost_per_machine_hour``.

    Examples
    --------
    >>> import resopt
    >>> tasks = {"task": ["a", "b", "c"], "arrival": [0, 0, 1], "duration": [4, 2, 1]}
    >>> r = resopt.simulate(tasks, 1, policy="sjf")
    >>> print(r.schedule[["task", "start", "completion", "waiting"]].to_string(index=False))
    task  start  completion  waiting
       a    3.0         7.0      3.0
       b    0.0         2.0      0.0
       c    2.0         3.0      1.0
    >>> r.metrics["mean_waiting"], r.metrics["makespan"]
    (1.3333333333333333, 7.0)

    With machine speeds 2 and 1, ``srtf`` puts the shortest task on machine 0:

    >>> print(resopt.simulate(tasks, [2, 1], policy="srtf").segments.to_string(index=False))
    task  machine  start  end
       b        0    0.0  1.0
       a        1    0.0  4.0
       c        0    1.0  1.5

    Priorities: ``c`` is urgent and preempts ``a`` when it arrives:

    >>> urgent = dict(tasks, importance=[1, 0, 1], urgency=[0, 0, 2])
    >>> r = resopt.simulate(urgent, 1, policy="priority_preemptive")
    >>> print(r.segments.to_string(index=False))
    task  machine  start  end
       a        0    0.0  1.0
       c        0    1.0  2.0
       a        0    2.0  5.0
       b        0    5.0  7.0
    >>> print(r.priority_classes[["priority_min", "tasks", "mean_waiting"]].to_string(index_names=False))
       priority_min  tasks  mean_waiting
    1           3.0      1           0.0
    2           1.0      1           1.0
    3           0.0      1           5.0
    """
    started = time.perf_counter()
    name = _check_policy(policy)
    weight, aging_rate, cost = _read_options(priority_weight, aging, cost_per_machine_hour)
    fleet = _read_machines(machines)
    return _run(_read_tasks(tasks, weight), fleet, name, started, aging_rate, cost)


def compare_policies(
    tasks: TableLike,
    machines: Any,
    policies: str | Iterable[str] | None = None,
    *,
    priority_weight: float = 1.0,
    aging: float = 0.0,
    cost_per_machine_hour: float | None = None,
) -> pd.DataFrame:
    """Run several policies on the same tasks and machines; one row per policy.

    Parameters
    ----------
    tasks, priority_weight, aging, cost_per_machine_hour
        As for :func:`simulate`.
    machines
        As for :func:`simulate`, or a mapping of fleet labels to such values
        (counts, speeds, :class:`Elastic` settings) to compare fleets: every
        policy runs on every fleet.
    policies : str or iterable of str, optional
        Which policies, in the order of the rows. When omitted: the six
        policies that need no priority (``round_robin``,
        ``least_connections``, ``weighted``, ``fcfs``, ``sjf``, ``srtf``),
        followed by ``priority`` and ``priority_preemptive`` when the tasks
        carry a priority; with an elastic fleet among the fleets, only those
        an elastic fleet runs (``fcfs``, ``sjf``, ``priority``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``policy`` (by ``fleet`` and ``policy`` when ``machines``
        is a mapping); columns ``mean_waiting``, ``max_waiting``,
        ``mean_turnaround``, ``makespan``, ``utilization``,
        ``average_load``, ``load_imbalance``, ``machine_hours``, ``cost``
        (with ``cost_per_machine_hour``), ``busy_time_<j>`` for each
        machine ``j`` and, when the tasks carry a priority,
        ``mean_waiting_class_<c>`` and ``mean_turnaround_class_<c>`` for each
        priority class ``c`` (1 = highest; see ``ScheduleResult.priority_classes``).

    Examples
    --------
    >>> import resopt
    >>> tasks = {"task": [1, 2, 3, 4], "arrival": [0, 0, 1, 1], "duration": [3, 1, 2, 1]}
    >>> table = resopt.compare_policies(tasks, 2, ["round_robin", "sjf"])
    >>> print(table[["mean_waiting", "makespan", "load_imbalance"]].to_string(index_names=False))
                 mean_waiting  makespan  load_imbalance
    round_robin          0.50       5.0        1.428571
    sjf                  0.25       4.0        1.142857
    """
    weight, aging_rate, cost = _read_options(priority_weight, aging, cost_per_machine_hour)
    if isinstance(machines, Mapping):
        if not machines:
            raise InputError("'machines' as a mapping must name at least one fleet.")
        fleets = {str(label): _read_machines(spec) for label, spec in machines.items()}
    else:
        fleets = {"": _read_machines(machines)}
    data = _read_tasks(tasks, weight)
    if policies is None:
        names = [p for p in POLICIES if data.priority is not None or p not in PRIORITY_POLICIES]
        if any(isinstance(f, Elastic) for f in fleets.values()):
            names = [p for p in names if p in ELASTIC_POLICIES]
    else:
        if isinstance(policies, str) or not isinstance(policies, Iterable):
            policies = [policies]
        names = [_check_policy(p) for p in policies]
        if not names:
            raise InputError(f"'policies' must name at least one policy. Known policies: {', '.join(POLICIES)}.")
    rows = {
        (label, name): _run(data, fleet, name, time.perf_counter(), aging_rate, cost).summary()
        for label, fleet in fleets.items()
        for name in names
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    if isinstance(machines, Mapping):
        table.index = pd.MultiIndex.from_tuples(list(rows), names=["fleet", "policy"])
    else:
        table.index = pd.Index([name for _, name in rows], name="policy")
    return table
