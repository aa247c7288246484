"""Gantt chart of a schedule (matplotlib, imported only when a plot is drawn)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


__all__ = ["gantt", "capacity_plot"]

_LABEL_LIMIT = 60  # above this many run pieces, bars are not labelled


def gantt(segments: pd.DataFrame, machines: int, *, ax: Any = None, title: str = "") -> Any:
    """Draw one row per machine and one bar per run piece; return the Axes.

    Bars of the same task share a colour, so a preempted task is easy to
    follow across machines; with few pieces each bar is labelled with its task.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 * max(machines, 1) + 1.2))
    cmap = plt.get_cmap("tab20")
    tasks = pd.unique(segments["task"]) if len(segments) else np.array([])
    colour_of = {task: cmap(pos % cmap.N) for pos, task in enumerate(tasks)}
    label = len(segments) <= _LABEL_LIMIT
    for j, pieces in segments.groupby("machine", sort=True):
        left = pieces["start"].to_numpy()
        width = pieces["end"].to_numpy() - left
        colours = [colour_of[task] for task in pieces["task"]]
        ax.barh(int(j), width, left=left, height=0.6, color=colours, edgecolor="black", linewidth=0.5)
        if label:
            for x, w, task in zip(left, width, pieces["task"]):
                ax.text(x + w / 2, int(j), str(task), ha="center", va="center", fontsize=8)
    ax.set_yticks(range(machines))
    ax.set_yticklabels([f"machine {j}" for j in range(machines)])
    ax.set_ylim(machines - 0.5, -0.5)
    ax.set_xlabel("time")
    if title:
        ax.set_title(title)
    return ax


def capacity_plot(capacity: pd.DataFrame, gantt_ax: Any) -> Any:
    """Draw the machine count (and the ready count) as steps under ``gantt_ax``; return the new Axes."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    ax = make_axes_locatable(gantt_ax).append_axes("bottom", size="35%", pad=0.5, sharex=gantt_ax)
    times = capacity["time"].to_numpy()
    ax.step(times, capacity["machines"].to_numpy(), where="post", label="machines (paid)")
    ax.step(times, capacity["ready"].to_numpy(), where="post", linestyle="--", label="ready")
    ax.set_ylabel("machines")
    ax.set_xlabel("time")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize=8)
    gantt_ax.set_xlabel("")
    return ax
