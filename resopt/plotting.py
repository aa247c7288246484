"""Every figure resopt draws, as plain functions: data in, an optional ``ax``, the Axes out.

Result objects' ``plot()`` methods, the report and the notebooks all call these.
matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["forecast_fan"]


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def forecast_fan(history: pd.DataFrame, quantiles: pd.DataFrame, *, ax: Any = None, title: str = "",
                 history_hours: int | None = 672, units: str = "units") -> Any:
    """History, forecast median and 90% band of one pool; return the Axes.

    Parameters
    ----------
    history : DataFrame
        ``timestamp``, ``used`` and optionally ``filled`` (hours filled in are drawn
        as separate markers).
    quantiles : DataFrame
        ``timestamp``, ``p05``, ``p50``, ``p95`` (and optionally ``mean``).
    history_hours : int or None
        Show only the last this many hours of history (None: all).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> hist = pd.DataFrame({"timestamp": range(5), "used": [1.0, 2, 3, 2, 1], "filled": [False] * 5})
    >>> q = pd.DataFrame({"timestamp": [5, 6], "p05": [0.5, 0.5], "p50": [1.0, 1.5], "p95": [2.0, 2.5]})
    >>> ax = forecast_fan(hist, q, title="h100")
    >>> [line.get_label() for line in ax.get_lines()]
    ['history', 'forecast median']
    """
    ax = _axes(ax, (10, 3.5))
    if history_hours is not None:
        history = history.iloc[-history_hours:]
    x_hist = history["timestamp"].to_numpy()
    ax.plot(x_hist, history["used"].to_numpy(), color="0.25", linewidth=0.9, label="history")
    if "filled" in history.columns and history["filled"].any():
        gaps = history[history["filled"].to_numpy(dtype=bool)]
        ax.scatter(gaps["timestamp"].to_numpy(), gaps["used"].to_numpy(), s=8, color="tab:orange",
                   zorder=3, label="filled hours")
    x = quantiles["timestamp"].to_numpy()
    ax.fill_between(x, quantiles["p05"].to_numpy(dtype=float), quantiles["p95"].to_numpy(dtype=float),
                    color="tab:blue", alpha=0.25, linewidth=0, label="90% band")
    ax.plot(x, quantiles["p50"].to_numpy(dtype=float), color="tab:blue", linewidth=1.2, label="forecast median")
    ax.set_ylabel(units)
    ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    if np.issubdtype(np.asarray(x_hist).dtype, np.datetime64) or isinstance(x_hist[:1].dtype, pd.DatetimeTZDtype):
        ax.figure.autofmt_xdate()
    return ax
