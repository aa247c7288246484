"""ScheduleResult: what :func:`resopt.simulate` returns.

A simulation is not an optimization (no status, objective or bound), so this
is its own small type rather than a :class:`resopt.Result`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..result import render_html, render_text
from .metrics import SCALAR_METRICS

__all__ = ["ScheduleResult"]


@dataclass(repr=False, eq=False)
class ScheduleResult:
    """The schedule a policy produced, its run pieces and its metrics.

    Attributes
    ----------
    policy : str
        The policy that ran.
    speeds : tuple of float
        Speed of each machine (machine ``j`` is row ``j``).
    schedule : pandas.DataFrame
        One row per task, in the order of the input table: ``task``,
        ``machine`` (for ``srtf``, the machine it completed on), ``start``
        (first start), ``completion``, ``waiting`` (completion - arrival -
        service), ``turnaround`` (completion - arrival), then ``arrival``,
        ``duration`` and ``service`` (time actually spent running).
    segments : pandas.DataFrame
        Every run piece: ``task``, ``machine``, ``start``, ``end``, sorted by
        start then machine. One per task except under the preemptive
        policies. Built on first access (sorting a million pieces costs more
        than simulating them) and then kept.
    metrics : dict
        ``mean_waiting``, ``max_waiting``, ``mean_turnaround``, ``makespan``,
        ``utilization``, ``average_load``, ``load_imbalance``,
        ``machine_hours`` (the integral of the machine count, the data's time
        unit read as hours), ``cost`` (when ``cost_per_machine_hour`` is
        given) and ``busy_time`` (a Series indexed by machine); see
        :mod:`resopt.sim.metrics` for the definitions. With an elastic fleet,
        utilization is busy time / machine-hours.
    runtime_s : float
        Wall time of the call, validation included.
    priority_classes : pandas.DataFrame or None
        When the tasks carry a priority: one row per priority class (class 1
        holds the highest priorities) with ``priority_min``, ``priority_max``,
        ``tasks``, ``mean_waiting``, ``max_waiting`` and ``mean_turnaround``;
        see :func:`resopt.sim.metrics.class_metrics`. None otherwise.
    capacity : pandas.DataFrame
        The machine count over time: ``time``, ``machines`` (counted and paid
        for from request to removal, booting ones included) and ``ready``
        (able to take work), each holding from its row's time until the next
        row's; the last row is the last completion. Two rows for a fixed fleet.
    machines : pandas.DataFrame
        One row per machine that existed: ``machine`` (its index, reused after
        a removal), ``requested``, ``ready`` and ``removed``.
    elastic : Elastic or None
        The elastic setting the run used; None for a fixed fleet.
    """

    policy: str
    speeds: tuple[float, ...]
    schedule: pd.DataFrame
    pieces: tuple[np.ndarray, ...] = field(repr=False)
    metrics: dict[str, Any] = field(default_factory=dict)
    runtime_s: float = 0.0
    priority_classes: pd.DataFrame | None = None
    capacity: pd.DataFrame | None = None
    machines: pd.DataFrame | None = None
    elastic: Any = None
    _segments: pd.DataFrame | None = field(default=None, init=False, repr=False)

    @property
    def segments(self) -> pd.DataFrame:
        """Every run piece (see the class docstring), sorted by start then machine."""
        if self._segments is None:
            ids, task, machine, start, end = self.pieces
            if task.size > 1 and bool(np.all(start[1:] >= start[:-1])) and bool(
                np.all((start[1:] > start[:-1]) | (machine[1:] > machine[:-1]))
            ):
                order = slice(None)  # already sorted (fcfs, for one)
            else:
                order = np.lexsort((machine, start))
            self._segments = pd.DataFrame(
                {"task": ids[task[order]], "machine": machine[order], "start": start[order], "end": end[order]}
            )
        return self._segments

    @property
    def busy_time(self) -> pd.Series:
        """Busy time per machine (the same Series as ``metrics['busy_time']``)."""
        return self.metrics["busy_time"]

    def summary(self) -> dict[str, float]:
        """One row of :func:`compare_policies`.

        The scalar metrics, ``busy_time_<j>`` per machine and, with priorities,
        ``mean_waiting_class_<c>`` and ``mean_turnaround_class_<c>`` per class.
        """
        row = {name: self.metrics[name] for name in SCALAR_METRICS}
        row["machine_hours"] = self.metrics["machine_hours"]
        if "cost" in self.metrics:
            row["cost"] = self.metrics["cost"]
        row.update({f"busy_time_{j}": float(v) for j, v in self.busy_time.items()})
        if self.priority_classes is not None:
            for c, cls in self.priority_classes.iterrows():
                row[f"mean_waiting_class_{c}"] = float(cls["mean_waiting"])
                row[f"mean_turnaround_class_{c}"] = float(cls["mean_turnaround"])
        return row

    def to_frame(self) -> pd.DataFrame:
        """The per-task schedule (a copy)."""
        return self.schedule.copy()

    def plot(self, ax: Any = None) -> Any:
        """Draw a Gantt chart (one row per machine, one bar per run piece) and return its Axes.

        With an elastic fleet, the machine count over time is drawn in a second
        Axes under the chart, sharing its time axis.
        """
        from .plot import capacity_plot, gantt

        ax = gantt(self.segments, len(self.speeds), ax=ax, title=f"{self.policy} schedule")
        if self.elastic is not None:
            capacity_plot(self.capacity, ax)
        return ax

    def _lines(self) -> list[tuple[str, str]]:
        names = [*SCALAR_METRICS, "machine_hours", *(["cost"] if "cost" in self.metrics else [])]
        lines = [(name, f"{self.metrics[name]:.6g}") for name in names]
        busy = ", ".join(f"{v:.6g}" for v in self.busy_time.to_numpy()[:8])
        if len(self.busy_time) > 8:
            busy += ", ..."
        lines.append(("busy_time", f"[{busy}]"))
        if self.priority_classes is not None:
            waits = ", ".join(
                f"{c}: {w:.6g}" for c, w in self.priority_classes["mean_waiting"].items()
            )
            lines.append(("mean_waiting by priority class", f"{{{waits}}}"))
        lines.append(("runtime_s", f"{self.runtime_s:.4f}"))
        return lines

    def _title(self) -> str:
        if self.elastic is not None:
            e = self.elastic
            peak = int(self.capacity["machines"].max())
            return (f"policy={self.policy!r}, tasks={len(self.schedule)}, "
                    f"machines=elastic {e.min}..{e.max} (peak {peak})")
        speeds = set(self.speeds)
        kind = "" if speeds == {1.0} else (f", speed {self.speeds[0]:g}" if len(speeds) == 1 else ", mixed speeds")
        return f"policy={self.policy!r}, tasks={len(self.schedule)}, machines={len(self.speeds)}{kind}"

    def __repr__(self) -> str:
        return render_text("ScheduleResult", self._title(), self._lines())

    def _repr_html_(self) -> str:
        return render_html("ScheduleResult", self._title(), self._lines(), self.schedule)
