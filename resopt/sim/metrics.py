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
"""

from __future__ import annotations

import numpy as np

__all__ = ["SCALAR_METRICS", "compute_metrics"]

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
