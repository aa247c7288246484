"""The weekly plan's HTML report: one self-contained page (no external resource).

:func:`render_report` fills the Jinja2 template ``templates/report.html.j2`` from a
:class:`~resopt.planning.weekly.WeeklyPlan` alone. Every figure is inline SVG drawn by
:mod:`resopt.plotting`; CSS and the few lines of script (sorting the placement table)
are inline; nothing in the page points outside it.

Numbers shown from the plan's summary carry ``data-key`` (their path in ``summary.json``,
e.g. ``totals.expected_cost`` or ``pools.3.reserve``) and ``data-value`` (the exact
number), and the whole summary is in the page as a JSON island
(``<script type="application/json" id="plan-summary">``), so a reader or a test can
check the page against the plan's ``summary.json``.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .figures import Sketchbook, SvgFigure, render_svg

if TYPE_CHECKING:
    from ..planning.weekly import WeeklyPlan

__all__ = ["render_report", "report_context"]

#: Hours of usage history drawn before the forecast (two weeks show the weekly cycle).
HISTORY_HOURS = 336
_CURVE_MARKS = (("optimum", "chosen"), ("cost_optimum", "cost optimum"), ("service_floor", "service-level floor"),
                ("knee", "knee"))


def _usd(value: Any) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _signed_usd(value: Any) -> str:
    return "—" if value is None else f"{value:+,.2f}"


def _share(value: Any) -> str:
    """A fraction in [0, 1] as a percentage."""
    return "—" if value is None else f"{100 * value:.1f}%"


def _units(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.10g}"


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("resopt.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(usd=_usd, signed_usd=_signed_usd, share=_share, units=_units,
                       raw=lambda v: "" if v is None else repr(v))
    return env


def render_report(plan: WeeklyPlan) -> str:
    """The plan's report as one HTML string (see the module docstring for its contents)."""
    return _environment().get_template("report.html.j2").render(**report_context(plan))


def report_context(plan: WeeklyPlan) -> dict[str, Any]:
    """Everything the template shows, computed from the plan (figures as inline SVG)."""
    s = plan.summary
    sketchbook = Sketchbook()
    pools = [_pool_section(plan, position, entry, sketchbook) for position, entry in enumerate(s["pools"])]
    costs = s["by_cloud_mode"]
    figures = {}
    if costs:
        figures["costs"] = _cost_figure(costs)
    drawn = [p for p in s["pools"] if p["coverage"] is not None]
    if drawn:
        figures["coverage"] = _coverage_figure(drawn)
    return {
        "s": s,
        "pools": pools,
        "figures": figures,
        "diagnosis": _diagnosis(plan),
        "placement": _placement_rows(plan),
        "unplaced": _unplaced_rows(plan),
        "diff": _diff(plan),
        "summary_json": json.dumps(s).replace("</", "<\\/"),
    }


# ---------------------------------------------------------------- figures

def _cost_figure(costs: list[dict[str, Any]]) -> SvgFigure:
    from ..plotting import cost_by_cloud_mode

    clouds = sorted({c["cloud"] for c in costs})
    totals = {cloud: sum(c["cost"] or 0.0 for c in costs if c["cloud"] == cloud) for cloud in clouds}
    alt = ("Stacked bars of expected cost by cloud, split into reserved, on-demand and spot: "
           + "; ".join(f"{cloud} {total:,.0f} USD" for cloud, total in totals.items()) + ".")
    return render_svg(lambda ax: cost_by_cloud_mode(costs, ax=ax), alt, "costs",
                      margins={"left": 0.19, "right": 0.98, "top": 0.95, "bottom": 0.15})


def _coverage_figure(pools: list[dict[str, Any]]) -> SvgFigure:
    from ..plotting import coverage_utilization

    alt = ("Horizontal bars per pool: coverage (share of demand served by reserved capacity) and expected "
           "reserved utilization, in percent: "
           + "; ".join(f"{p['pool']} {_share(p['coverage'])} and {_share(p['reserved_utilization'])}"
                       for p in pools) + ".")
    size = (4.8, 0.3 * len(pools) + 1.0)
    return render_svg(lambda ax: coverage_utilization(pools, ax=ax), alt, "coverage", size=size,
                      margins={"left": 0.4, "right": 0.96, "top": 1 - 0.55 / size[1], "bottom": 0.5 / size[1]})


def _pool_section(plan: WeeklyPlan, position: int, entry: dict[str, Any],
                  sketchbook: Sketchbook | None = None) -> dict[str, Any]:
    """One pool's figures (forecast fan, savings curve) and the curve's landmarks."""
    name = entry["pool"]
    section: dict[str, Any] = {"entry": entry, "index": position, "anchor": f"pool-{position}",
                               "fan": None, "curve": None, "marks": []}
    fan = _fan_figure(plan, position, name, entry["total_reserved"], sketchbook)
    if fan is not None:
        section["fan"] = fan
    if entry["reserve"] is not None and plan.reservations.success:
        curve = plan.reservations.curve(name)
        section["marks"] = [(label, float(curve.loc[curve[column], "reserve"].iloc[0]))
                            for column, label in _CURVE_MARKS if curve[column].any()]
        section["curve"] = _curve_figure(curve, position, name, section["marks"], sketchbook)
    return section


def _fan_figure(plan: WeeklyPlan, position: int, name: str, reserved: float | None,
                sketchbook: Sketchbook | None = None) -> SvgFigure | None:
    from ..plotting import forecast_fan

    forecast = plan.forecast
    history = getattr(forecast, "history", None)
    quantiles = forecast.quantiles
    quantiles = quantiles[quantiles["pool"] == name]
    if history is None or not len(quantiles):
        return None
    history = history[history["pool"] == name].iloc[-HISTORY_HOURS:]
    level = "" if reserved is None else f"; the reserved level, {reserved:g} units, is drawn across both"
    alt = (f"Pool {name}: hourly usage over the last {len(history)} hours and the forecast for the next "
           f"{len(quantiles)} hours, median {quantiles['p50'].mean():,.1f} units on average, 90% band from "
           f"{quantiles['p05'].min():,.1f} to {quantiles['p95'].max():,.1f} units{level}.")

    def draw(ax: Any) -> None:
        forecast_fan(history, quantiles, ax=ax, history_hours=None, units="units (GPUs)", reserved=reserved)
        _drop_legend(ax)
        ax.xaxis.set_major_locator(_dates_locator())
        ax.xaxis.set_major_formatter(_dates_formatter())
        for label in ax.get_xticklabels():
            label.set_rotation(0)
            label.set_horizontalalignment("center")

    return render_svg(draw, alt, f"fan-{position}", sketchbook=sketchbook, kind="fan")


def _drop_legend(ax: Any) -> None:
    """The page shows each per-pool figure's key in its caption (drawing legends doubles the time)."""
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()


def _dates_locator() -> Any:
    from matplotlib.dates import DayLocator

    return DayLocator(interval=4)


def _dates_formatter() -> Any:
    from matplotlib.dates import DateFormatter

    return DateFormatter("%d %b")


def _curve_figure(curve: pd.DataFrame, position: int, name: str, marks: list[tuple[str, float]],
                  sketchbook: Sketchbook | None = None) -> SvgFigure:
    from ..plotting import savings_curve

    cost = curve["expected_cost"].to_numpy(dtype=float)
    finite = np.isfinite(cost)
    levels = curve["reserve"].to_numpy(dtype=float)[finite]
    landmarks = ", ".join(f"{label} {level:g}" for label, level in marks)
    alt = (f"Pool {name}: expected cost over the horizon against new reserved units from {levels.min():g} to "
           f"{levels.max():g}, lowest {cost[finite].min():,.0f} USD; marked: {landmarks}.") if finite.any() else \
        f"Pool {name}: no reserved level meets demand."

    def draw(ax: Any) -> None:
        savings_curve(curve, ax=ax)
        ax.set_title("")
        _drop_legend(ax)

    return render_svg(draw, alt, f"curve-{position}", margins={"left": 0.18, "right": 0.97, "top": 0.96,
                                                                "bottom": 0.15}, sketchbook=sketchbook, kind="curve")


# ---------------------------------------------------------------- tables

def _diagnosis(plan: WeeklyPlan) -> list[str]:
    """Why the plan has no solution (empty when it has one)."""
    reasons: list[str] = []
    res = plan.reservations
    if not res.success:
        bad = [p["pool"] for p in plan.summary["pools"] if p["reserve"] is None]
        reasons.append(f"Reservations are {res.status}: {res.message}".rstrip())
        if bad:
            reasons.append(f"Pools without a feasible reservation: {', '.join(bad)}.")
    placement = plan.placement
    if placement is not None and not placement.success:
        found = list(placement.diagnosis.reasons) if placement.diagnosis else []
        reasons.append(f"Placement is {placement.status}.")
        reasons.extend(found or [placement.message])
    return reasons


def _placement_rows(plan: WeeklyPlan) -> list[dict[str, Any]] | None:
    placement = plan.placement
    if placement is None or not placement.success:
        return None
    columns = ["workload", "replica", "cloud", "region", "instance_type", "mode", "gpus", "cost"]
    return placement.assignments[columns].to_dict("records")


def _unplaced_rows(plan: WeeklyPlan) -> list[dict[str, Any]]:
    """Replicas left unplaced, with the reason in words."""
    placement = plan.placement
    if placement is None or not placement.success or not len(placement.unplaced):
        return []
    no_offering = {}
    if placement.diagnosis is not None and len(placement.diagnosis.no_offering):
        no_offering = dict(zip(placement.diagnosis.no_offering["workload"], placement.diagnosis.no_offering["reason"]))
    proven = str(placement.status) == "optimal"
    rows = []
    for row in placement.unplaced.itertuples(index=False):
        penalty = float(row.penalty)
        if row.workload in no_offering:
            why = f"It {no_offering[row.workload]}."
        elif proven:
            why = (f"Placing it would raise the plan's cost by at least its penalty of {penalty:,.2f} USD "
                   f"within the capacity, budget and cloud-share cap.")
        else:
            why = (f"The best plan found leaves it unplaced at its penalty of {penalty:,.2f} USD "
                   f"(the plan is not proven optimal).")
        rows.append({"workload": row.workload, "replica": int(row.replica), "penalty": penalty, "why": why})
    return rows


def _diff(plan: WeeklyPlan) -> dict[str, Any] | None:
    """The diff against the previous run as rows for the template (None without one)."""
    diff = getattr(plan, "diff", None)
    if diff is None:
        return None

    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                for row in frame.to_dict("records")]

    changed = diff.reservations[diff.reservations["change"].abs() > 1e-9]
    costs = diff.costs[diff.costs["change"].abs() > 0.005]
    return {"run_a": diff.run_a, "run_b": diff.run_b, "total_a": diff.total_a, "total_b": diff.total_b,
            "reservations": records(changed), "unchanged_pools": int(len(diff.reservations) - len(changed)),
            "costs": records(costs), "moved": records(diff.moved)}
