"""Every figure of resopt, in one place.

Plain functions: each takes data (a table or arrays), draws into ``ax`` (a new
figure when omitted) and returns the matplotlib Axes; none calls ``plt.show()``.
The ``plot()`` methods of the results, the weekly plan's report and the
notebooks all call these, so one figure is drawn by one piece of code.
matplotlib is imported when a figure is drawn, not when resopt is imported.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import resopt
>>> from resopt import plotting
>>> tasks = {"task": [1, 2, 3, 4], "arrival": [0, 0, 1, 1], "duration": [3, 1, 2, 1]}
>>> ax = plotting.policy_comparison(resopt.compare_policies(tasks, 2, ["round_robin", "sjf"]))
>>> [float(bar.get_height()) for bar in ax.patches], ax.get_title()
([0.5, 0.25], 'mean_waiting by policy (lower is better; best: sjf)')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._validate import as_frame, require_columns

__all__ = [
    "MODE_COLORS",
    "forecast_fan",
    "core_assignment_bars",
    "gpus_by_region",
    "demand_distribution",
    "policy_comparison",
    "savings_curve",
    "cost_by_cloud_mode",
    "coverage_utilization",
    "sweep_frontier",
]

#: Colour of each purchase mode (Okabe-Ito palette: distinguishable with colour blindness).
MODE_COLORS = {"reserved": "#0072B2", "on_demand": "#E69F00", "spot": "#009E73", "shortfall": "#D55E00"}
_LINE = "#1a1a1a"

#: How :func:`savings_curve` marks each flagged level: (curve column, legend label, marker, colour).
_CURVE_MARKS = (
    ("optimum", "chosen", "o", MODE_COLORS["reserved"]),
    ("cost_optimum", "cost optimum", "D", MODE_COLORS["spot"]),
    ("knee", "knee", "^", MODE_COLORS["shortfall"]),
)

#: Metrics of :func:`resopt.compare_policies` where more is better (all others: less is better).
HIGHER_IS_BETTER = frozenset({"utilization"})


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def _mode_order(modes: Any) -> list[str]:
    known = [m for m in MODE_COLORS if m in set(modes)]
    return known + sorted(set(modes) - set(known))


def _category_ticks(ax: Any, positions: np.ndarray, labels: Any) -> None:
    """Label bars at ``positions``; slanted when the labels would not fit side by side."""
    labels = [str(label) for label in labels]
    slant = len(labels) * max((len(label) for label in labels), default=0) > 48
    ax.set_xticks(positions, labels, rotation=30 if slant else 0, ha="right" if slant else "center",
                  rotation_mode="anchor" if slant else "default")


def _stacked_bars(ax: Any, table: pd.DataFrame, colours: Mapping[str, str]) -> None:
    """One bar per row of ``table``, stacked over its columns, one container per column."""
    bottom = np.zeros(len(table))
    positions = np.arange(len(table))
    for column in table.columns:
        values = table[column].to_numpy(dtype=float)
        ax.bar(positions, values, bottom=bottom, label=str(column).replace("_", " "),
               color=colours.get(str(column)), edgecolor="white", linewidth=0.5)
        bottom += values
    _category_ticks(ax, positions, table.index)


def forecast_fan(history: pd.DataFrame, quantiles: pd.DataFrame, *, ax: Any = None, title: str = "",
                 history_hours: int | None = 672, units: str = "units", reserved: float | None = None) -> Any:
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
    reserved : float, optional
        The reserved level (total units), drawn across history and forecast as a
        dashed line labelled ``reserved: <level>``.

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
    if reserved is not None and np.isfinite(reserved):
        ax.axhline(float(reserved), color="#D55E00", linestyle="--", linewidth=1.2, label=f"reserved: {reserved:g}")
    ax.set_ylabel(units)
    ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    if pd.api.types.is_datetime64_any_dtype(quantiles["timestamp"]):
        # Concise dates ("Nov", "08", "15", ...) fit any width without slanting.
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return ax


def core_assignment_bars(devices: pd.DataFrame, *, ax: Any = None, max_devices: int = 40) -> Any:
    """Cores assigned against demand and capacity, one bar per device.

    Capacity is the pale wide bar, the assignment the solid bar inside it and
    the demand a black tick across both, so a device short of its demand (or
    held above it) shows at a glance.

    Parameters
    ----------
    devices : DataFrame
        ``capacity``, ``demand`` and ``assigned`` per device, labelled by the
        index (what :meth:`CoreAssignmentResult.to_frame` returns).
    ax : matplotlib Axes, optional
    max_devices : int, default 40
        With more devices, only the ``max_devices`` furthest from their demand
        are drawn (in input order) and the title says so.

    Returns
    -------
    matplotlib Axes
        Containers ``capacity`` and ``assigned`` (one bar per device drawn) and
        a line ``demand``.

    Examples
    --------
    >>> frame = pd.DataFrame({"capacity": [4, 2], "demand": [3, 2], "assigned": [3, 2]}, index=["a", "b"])
    >>> ax = core_assignment_bars(frame)
    >>> [c.get_label() for c in ax.containers], [t.get_text() for t in ax.get_xticklabels()]
    (['capacity', 'assigned'], ['a', 'b'])
    """
    devices = as_frame(devices, "devices")
    require_columns(devices, "devices", ["capacity", "demand", "assigned"])
    shown = devices
    title = "cores assigned per device"
    if len(devices) > max_devices:
        gap = (devices["assigned"].astype(float) - devices["demand"].astype(float)).abs().to_numpy()
        keep = np.sort(np.argsort(-gap, kind="stable")[:max_devices])
        shown = devices.iloc[keep]
        title = f"the {max_devices} of {len(devices)} devices furthest from their demand"
    ax = _axes(ax, (max(4.0, 0.5 * len(shown) + 2.0), 3.5))
    positions = np.arange(len(shown))
    ax.bar(positions, shown["capacity"].astype(float), width=0.8, color="#d9e2ec", edgecolor="#7b8794",
           label="capacity")
    ax.bar(positions, shown["assigned"].astype(float), width=0.5, color=MODE_COLORS["reserved"], label="assigned")
    ax.plot(positions, shown["demand"].astype(float), linestyle="none", marker="_", markersize=28,
            markeredgewidth=2.5, color="black", label="demand")
    _category_ticks(ax, positions, shown.index)
    ax.set_xlim(-0.6, len(shown) - 0.4)
    ax.set_ylabel("cores")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax


def gpus_by_region(assignments: pd.DataFrame, *, ax: Any = None) -> Any:
    """GPUs placed per cloud region, stacked by purchase mode.

    Parameters
    ----------
    assignments : DataFrame
        ``cloud``, ``region``, ``mode`` and ``gpus`` per placed replica (what
        :attr:`PlacementResult.assignments` holds).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar per ``cloud/region`` (sorted), one container per mode present
        (reserved, on_demand, spot, in that order).

    Examples
    --------
    >>> a = pd.DataFrame({"cloud": ["aws", "aws", "gcp"], "region": ["us-east-1"] * 2 + ["us-central1"],
    ...                   "mode": ["reserved", "spot", "spot"], "gpus": [8, 4, 2]})
    >>> ax = gpus_by_region(a)
    >>> [t.get_text() for t in ax.get_xticklabels()], [c.get_label() for c in ax.containers]
    (['aws/us-east-1', 'gcp/us-central1'], ['reserved', 'spot'])
    """
    assignments = as_frame(assignments, "assignments")
    require_columns(assignments, "assignments", ["cloud", "region", "mode", "gpus"])
    place = assignments["cloud"].astype(str) + "/" + assignments["region"].astype(str)
    gpus = pd.to_numeric(assignments["gpus"]).astype(np.float64)  # integer GPUs would not hold fill_value 0.0
    table = (assignments.assign(place=place, gpus=gpus).pivot_table(index="place", columns="mode", values="gpus",
                                                                    aggfunc="sum", fill_value=0.0, observed=True))
    table = table[_mode_order(table.columns)]
    ax = _axes(ax, (max(4.0, 0.7 * len(table) + 2.0), 3.5))
    _stacked_bars(ax, table, MODE_COLORS)
    ax.set_ylabel("GPUs")
    ax.set_title("GPUs placed by region")
    if len(table.columns):
        ax.legend(title="mode", fontsize="small")
    return ax


def demand_distribution(
    demand: Any,
    reserved: float,
    *,
    marks: Mapping[str, float] | None = None,
    ax: Any = None,
    title: str = "",
) -> Any:
    """The distribution of a pool's hourly demand with its reserved level across it.

    A histogram of demand over every scenario-hour (share of scenario-hours per
    bin, whole units per bin when demand is whole and its range is small), a
    solid vertical line at ``reserved`` labelled with the share of
    scenario-hours it covers, and a dashed line per entry of ``marks``.

    Parameters
    ----------
    demand : array-like
        Hourly demand, any shape (flattened).
    reserved : float
        Reserved capacity (new plus existing units).
    marks : mapping of label -> level, optional
        Other levels to compare, e.g. ``{"cost optimum": 18}``.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
        The histogram bars as patches (heights sum to 1), then the vertical lines.

    Examples
    --------
    >>> ax = demand_distribution([1, 2, 2, 3, 3, 3, 4, 8], reserved=3)
    >>> ax.get_legend().get_texts()[0].get_text()
    'reserved 3 (covers 75.0% of hours)'
    """
    values = np.asarray(demand, dtype=float).ravel()
    values = values[np.isfinite(values)]
    ax = _axes(ax, (6.0, 3.5))
    if values.size:
        lo, hi = float(values.min()), float(values.max())
        whole = bool(np.all(values == np.round(values)))
        if whole and hi - lo <= 60:
            bins: Any = np.arange(lo - 0.5, hi + 1.5)
        else:
            bins = min(40, max(10, int(np.sqrt(values.size))))
        weights = np.full(values.size, 1.0 / values.size)
        ax.hist(values, bins=bins, weights=weights, color="#9fb3c8", edgecolor="white", label="_demand")
    covered = float(np.mean(values <= reserved + 1e-9)) if values.size else float("nan")
    ax.axvline(reserved, color=MODE_COLORS["reserved"], linewidth=2.5,
               label=f"reserved {reserved:g} (covers {100 * covered:.1f}% of hours)")
    styles = ["--", ":", "-."]
    for k, (label, level) in enumerate((marks or {}).items()):
        if level is not None and np.isfinite(level):
            ax.axvline(float(level), color="#323f4b", linestyle=styles[k % len(styles)], linewidth=1.5,
                       label=f"{label} {float(level):g}")
    ax.set_xlabel("demand per hour (units)")
    ax.set_ylabel("share of scenario-hours")
    ax.set_title(title or "demand against the reserved level")
    ax.legend(fontsize="small", loc="upper right")
    return ax


def policy_comparison(table: pd.DataFrame, metric: str = "mean_waiting", *, ax: Any = None) -> Any:
    """One bar per policy for one metric of :func:`resopt.compare_policies`, the best one marked.

    Parameters
    ----------
    table : DataFrame
        Indexed by policy (what :func:`resopt.compare_policies` returns).
    metric : str, default "mean_waiting"
        A column of ``table``. Lower is better except for ``utilization``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar per policy, in the table's order, each labelled with its value;
        the best bars (ties included) are dark and the title names them.

    Examples
    --------
    >>> table = pd.DataFrame({"makespan": [5.0, 4.0]}, index=pd.Index(["round_robin", "sjf"], name="policy"))
    >>> policy_comparison(table, "makespan").get_title()
    'makespan by policy (lower is better; best: sjf)'
    """
    from .errors import InputError

    table = as_frame(table, "the policy table")
    if metric not in table.columns:
        numeric = [str(c) for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
        raise InputError(f"Unknown metric {metric!r}. Metrics of this table: {', '.join(numeric)}.")
    values = table[metric].to_numpy(dtype=float)
    higher = metric in HIGHER_IS_BETTER
    best_value = np.nanmax(values) if higher else np.nanmin(values)
    best = np.isclose(values, best_value, rtol=1e-9, atol=1e-12)
    ax = _axes(ax, (max(4.0, 0.9 * len(values) + 1.5), 3.5))
    positions = np.arange(len(values))
    bars = ax.bar(positions, values, color=np.where(best, MODE_COLORS["reserved"], "#9fb3c8"), edgecolor="#323f4b",
                  linewidth=0.5, label=metric)
    ax.bar_label(bars, labels=[f"{v:.3g}" for v in values], fontsize="small", padding=2)
    _category_ticks(ax, positions, table.index)
    ax.set_ylabel(metric.replace("_", " "))
    winners = ", ".join(str(p) for p, b in zip(table.index, best) if b)
    direction = "higher" if higher else "lower"
    ax.set_title(f"{metric} by policy ({direction} is better; best: {winners})")
    ax.margins(y=0.15)
    return ax


def _usd_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def savings_curve(curve: pd.DataFrame, ax: Any = None) -> Any:
    """Expected cost against new reserved units, with the decision's landmarks marked.

    Parameters
    ----------
    curve : DataFrame
        ``ReservationResult.curve(pool)``: ``reserve``, ``expected_cost`` and the flags
        ``optimum``, ``cost_optimum``, ``service_floor`` and ``knee`` (``pool`` is used
        for the title when present). Levels whose cost is infinite (demand cannot be
        met) are left out of the line.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        The cost line is labelled ``expected cost``; the chosen level, the cost optimum
        and the knee are markers labelled with their level (``chosen: 61``); the
        service-level floor is a dashed vertical line (``service-level floor: 61``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import resopt
    >>> demand = {"pool": ["h100"] * 4, "hour": [0, 1, 2, 3], "demand": [2, 4, 4, 8]}
    >>> prices = {"pool": ["h100"], "reserved": [1.0], "on_demand": [2.5]}
    >>> curve = resopt.size_reservations(demand, prices).curve("h100", levels=range(0, 9))
    >>> ax = savings_curve(curve)
    >>> [line.get_label() for line in ax.get_lines()]
    ['expected cost', 'chosen: 4', 'cost optimum: 4', 'knee: 4']
    """
    frame = as_frame(curve, "the savings curve")
    require_columns(frame, "the savings curve", ["reserve", "expected_cost", "optimum", "cost_optimum",
                                                 "service_floor", "knee"])
    ax = _axes(ax, (6.0, 3.6))
    x = frame["reserve"].to_numpy(dtype=float)
    cost = frame["expected_cost"].to_numpy(dtype=float)
    finite = np.isfinite(cost)
    ax.plot(x[finite], cost[finite], color=_LINE, linewidth=1.5, label="expected cost")
    for column, label, marker, color in _CURVE_MARKS:
        rows = np.flatnonzero(frame[column].to_numpy(dtype=bool) & finite)
        if rows.size:
            at = rows[0]
            ax.plot([x[at]], [cost[at]], linestyle="none", marker=marker, markersize=8, color=color,
                    markeredgecolor=_LINE, label=f"{label}: {x[at]:g}", zorder=3)
    floors = np.flatnonzero(frame["service_floor"].to_numpy(dtype=bool))
    if floors.size:
        level = x[floors[0]]
        ax.axvline(level, color=MODE_COLORS["on_demand"], linestyle="--", linewidth=1.2,
                   label=f"service-level floor: {level:g}")
    ax.set_xlabel("new reserved units")
    ax.set_ylabel("expected cost (USD)")
    _usd_axis(ax.yaxis)
    if "pool" in frame.columns and len(frame):
        ax.set_title(f"{frame['pool'].iloc[0]}: cost against reserved units")
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.legend(loc="best", fontsize="small", frameon=False)
    return ax


def cost_by_cloud_mode(table: pd.DataFrame, ax: Any = None) -> Any:
    """Stacked bars of expected cost: one bar per cloud, one stack per purchase mode.

    Parameters
    ----------
    table : DataFrame or list of records
        Long table with ``cloud``, ``mode`` and ``cost`` (USD), e.g. the ``by_cloud_mode``
        list of a weekly plan's summary. Rows with the same cloud and mode are added.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        One bar container per mode (labelled with the mode), clouds in alphabetical order
        on the x axis, modes stacked reserved, on-demand, spot, shortfall, then any other.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> table = [{"cloud": "aws", "mode": "reserved", "cost": 60.0},
    ...          {"cloud": "aws", "mode": "on_demand", "cost": 40.0},
    ...          {"cloud": "gcp", "mode": "spot", "cost": 25.0}]
    >>> ax = cost_by_cloud_mode(table)
    >>> [(c.get_label(), [float(b.get_height()) for b in c]) for c in ax.containers]
    [('reserved', [60.0, 0.0]), ('on demand', [40.0, 0.0]), ('spot', [0.0, 25.0])]
    """
    frame = as_frame(pd.DataFrame(table) if isinstance(table, list) else table, "the cost table")
    require_columns(frame, "the cost table", ["cloud", "mode", "cost"])
    ax = _axes(ax, (6.0, 3.6))
    wide = (frame.assign(cost=pd.to_numeric(frame["cost"], errors="coerce").fillna(0.0))
            .pivot_table(index="cloud", columns="mode", values="cost", aggfunc="sum", fill_value=0.0)
            .sort_index())
    wide = wide[_mode_order(wide.columns)]
    _stacked_bars(ax, wide, MODE_COLORS)
    bottom = wide.sum(axis=1).to_numpy(dtype=float)
    clouds = [str(c) for c in wide.index]
    for pos, total in enumerate(bottom):
        ax.annotate(f"{total:,.0f}", (pos, total), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize="small")
    ax.set_xlabel("cloud")
    ax.set_ylabel("expected cost (USD)")
    _usd_axis(ax.yaxis)
    if len(clouds):
        ax.set_ylim(0, 1.12 * max(float(bottom.max()), 1e-9))
    ax.legend(loc="best", fontsize="small", frameon=False)
    return ax


def coverage_utilization(pools: pd.DataFrame, ax: Any = None) -> Any:
    """Per pool: coverage and expected reserved utilization, as horizontal bars in percent.

    Parameters
    ----------
    pools : DataFrame or list of records
        ``pool``, ``coverage`` (share of demand-hours served by reserved capacity alone)
        and ``reserved_utilization`` (share of reserved unit-hours in use), both in [0, 1];
        e.g. the ``pools`` list of a weekly plan's summary.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        Two bar containers, ``coverage`` and ``reserved utilization``; pools top to bottom
        in the order given.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = coverage_utilization([{"pool": "a", "coverage": 0.4, "reserved_utilization": 0.9}])
    >>> [(c.get_label(), [round(float(b.get_width()), 6) for b in c]) for c in ax.containers]
    [('coverage', [40.0]), ('reserved utilization', [90.0])]
    """
    frame = as_frame(pd.DataFrame(pools) if isinstance(pools, list) else pools, "the pools table")
    require_columns(frame, "the pools table", ["pool", "coverage", "reserved_utilization"])
    ax = _axes(ax, (6.0, 0.45 * len(frame) + 1.2))
    rows = np.arange(len(frame), dtype=float)
    height = 0.38
    for offset, column, color in ((-height / 2, "coverage", MODE_COLORS["reserved"]),
                                  (height / 2, "reserved_utilization", MODE_COLORS["on_demand"])):
        values = 100.0 * pd.to_numeric(frame[column], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        ax.barh(rows + offset, values, height=height, color=color, label=column.replace("_", " "))
    ax.set_yticks(rows)
    ax.set_yticklabels([str(p) for p in frame["pool"]])
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("percent")
    ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize="small", frameon=False)
    return ax


#: Columns measured in USD (their axis label says so).
_USD = ("total_cost", "all_on_demand_cost", "savings")


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def sweep_frontier(
    table: pd.DataFrame,
    x: str,
    y: str = "total_cost",
    *,
    by: str | None = None,
    others: Sequence[str] = (),
    ax: Any = None,
) -> Any:
    """Draw a what-if sweep's ``y`` against the setting ``x``, one line per group; return the Axes.

    Lines group the rows by ``by`` and ``others`` (settings that also vary); rows
    without a value of ``y`` (failed or infeasible plans) are left out, so a line may
    have gaps. Numeric ``x`` values are sorted along each line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> table = pd.DataFrame({"service_level": [0.5, 0.9, 0.5, 0.9], "budget": [1, 1, 2, 2],
    ...                       "total_cost": [10.0, 12.0, 9.0, 11.0]})
    >>> ax = sweep_frontier(table, "service_level", by="budget")
    >>> [line.get_label() for line in ax.get_lines()], ax.get_lines()[1].get_ydata().tolist()
    (['budget=1', 'budget=2'], [9.0, 11.0])
    """
    ax = _axes(ax, (7, 4.5))
    groups = [c for c in ([by] if by is not None else []) + list(others) if c not in (x, None)]
    data = table.assign(**{"_y": pd.to_numeric(table[y], errors="coerce")}).dropna(subset=["_y"])
    numeric_x = pd.api.types.is_numeric_dtype(table[x])
    if groups:
        keys = data[groups].map(repr).apply(tuple, axis=1)
        parts = [(data.loc[keys == key].iloc[0][groups].tolist(), data.loc[keys == key])
                 for key in pd.unique(keys)]
    else:
        parts = [([], data)]
    for values, part in parts:
        if numeric_x:
            part = part.sort_values(x, kind="stable")
        label = ", ".join(f"{g}={_label(v)}" for g, v in zip(groups, values)) or y
        ax.plot(part[x] if numeric_x else part[x].map(_label), part["_y"], marker="o", label=label)
    ax.set_xlabel(x)
    ax.set_ylabel(y.replace("_", " ") + (" (USD)" if y in _USD else ""))
    ax.set_title(f"{y.replace('_', ' ')} against {x}")
    ax.grid(True, alpha=0.3)
    if groups:
        ax.legend(title=", ".join(groups) if len(groups) == 1 else None, fontsize=8)
    return ax
