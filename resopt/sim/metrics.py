"""Schedule metrics, defined once.

For a task with arrival ``a``, completion ``c`` and service time ``s`` (the
time it actually spent running: ``duration / speed`` of its machine for the
non-preemptive policies, the sum of its run pieces for ``srtf``):

- waiting = c - a - s (time in a queue, not running);
- turnaround = c - a (the source's "response time").

Over the whole run, with ``m`` machines:

- makespan = last completion - first arrival;
- busy time of machine ``j`` = total length of the run pieces on ``j``;
- utilization = sum of busy times / (m * makespan);
- average_load = mean busy time per machine (the source's "average load factor");
- load_imbalance = max busy time / mean busy time (1 is perfectly balanced).

With no tasks every metric is 0.

When tasks carry a priority, :func:`class_metrics` groups them into priority
classes (one per distinct priority when there are at most
:data:`MAX_CLASSES`, otherwise quartiles of the priorities) and gives each
class its mean and max waiting and mean turnaround.
"""

from __future__ import annotations

import numpy as np

import pandas as pd

__all__ = ["SCALAR_METRICS", "MAX_CLASSES", "compute_metrics", "class_metrics"]

MAX_CLASSES = 10

SCALAR_METRICS = (
    "mean_waiting",
    "max_waiting",
    "mean_turnaround",
    "makespan",
    "utilization",
    "average_load",
    "load_imbalance",
)


def compute_metrics(
    arrival: np.ndarray,
    completion: np.ndarray,
    waiting: np.ndarray,
    seg_machine: np.ndarray,
    seg_start: np.ndarray,
    seg_end: np.ndarray,
    m: int,
) -> tuple[dict[str, float], np.ndarray]:
    """Return the scalar metrics (keys :data:`SCALAR_METRICS`) and the busy time per machine.

    Examples
    --------
    >>> metrics, busy = compute_metrics(
    ...     np.array([0.0, 1.0]), np.array([2.0, 4.0]), np.array([0.0, 1.0]),
    ...     np.array([0, 0]), np.array([0.0, 2.0]), np.array([2.0, 4.0]), 2)
    >>> metrics["makespan"], metrics["utilization"], metrics["load_imbalance"], busy.tolist()
    (4.0, 0.5, 2.0, [4.0, 0.0])
    """
    busy = np.bincount(seg_machine, weights=seg_end - seg_start, minlength=m).astype(np.float64)
    if arrival.size == 0:
        return dict.fromkeys(SCALAR_METRICS, 0.0), busy
    makespan = float(completion.max() - arrival.min())
    total = float(busy.sum())
    mean_busy = total / m
    return {
        "mean_waiting": float(waiting.mean()),
        "max_waiting": float(waiting.max()),
        "mean_turnaround": float((completion - arrival).mean()),
        "makespan": makespan,
        "utilization": total / (m * makespan) if makespan > 0 else 0.0,
        "average_load": mean_busy,
        "load_imbalance": float(busy.max()) / mean_busy if mean_busy > 0 else 0.0,
    }, busy


def class_metrics(priority: np.ndarray, waiting: np.ndarray, turnaround: np.ndarray) -> pd.DataFrame:
    """Waiting and turnaround per priority class; class 1 holds the highest priorities.

    Classes are the distinct priority values when there are at most
    :data:`MAX_CLASSES` of them, and otherwise the quartiles of the priorities
    (a task on an inner quartile boundary joins the upper class; quartiles that
    coincide merge).

    Examples
    --------
    >>> table = class_metrics(np.array([2.0, 0.0, 2.0]), np.array([0.0, 3.0, 1.0]), np.array([2.0, 5.0, 3.0]))
    >>> print(table[["priority_min", "tasks", "mean_waiting", "max_waiting"]].to_string(index_names=False))
       priority_min  tasks  mean_waiting  max_waiting
    1           2.0      2           0.5          1.0
    2           0.0      1           3.0          3.0
    """
    values = np.unique(priority)
    if values.size <= MAX_CLASSES:
        edges = values[1:]
    else:
        edges = np.unique(np.quantile(priority, [0.25, 0.5, 0.75]))
        edges = edges[edges > values[0]]
    group = np.searchsorted(edges, priority, side="right")  # 0 = the lowest class
    count = np.bincount(group, minlength=edges.size + 1)
    keep = np.flatnonzero(count)[::-1]  # highest class first
    frame = pd.DataFrame(
        {
            "priority_min": _per_group(np.minimum, priority, group, edges.size + 1, np.inf)[keep],
            "priority_max": _per_group(np.maximum, priority, group, edges.size + 1, -np.inf)[keep],
            "tasks": count[keep],
            "mean_waiting": np.bincount(group, weights=waiting, minlength=count.size)[keep] / count[keep],
            "max_waiting": _per_group(np.maximum, waiting, group, edges.size + 1, -np.inf)[keep],
            "mean_turnaround": np.bincount(group, weights=turnaround, minlength=count.size)[keep] / count[keep],
        },
        index=pd.RangeIndex(1, keep.size + 1, name="class"),
    )
    return frame


def _per_group(op: np.ufunc, values: np.ndarray, group: np.ndarray, size: int, start: float) -> np.ndarray:
    out = np.full(size, start)
    op.at(out, group, values)
    return out
