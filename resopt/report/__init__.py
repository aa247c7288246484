"""The weekly plan's HTML report: one self-contained page (no external resource).

:func:`render_report` fills the Jinja2 template ``templates/report.html.j2`` from a
:class:`~resopt.planning.weekly.WeeklyPlan`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..planning.weekly import WeeklyPlan

__all__ = ["render_report"]


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("resopt.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["usd"] = lambda v: "—" if v is None else f"{v:,.2f}"
    env.filters["pct"] = lambda v: "—" if v is None else f"{100 * v:.1f}%"
    return env


def render_report(plan: WeeklyPlan) -> str:
    """The plan's report as one HTML string."""
    import json

    s = plan.summary
    placement = None
    if plan.placement is not None and plan.placement.success:
        placement = plan.placement.assignments.round(2).to_dict("records")
    return _environment().get_template("report.html.j2").render(
        s=s, placement=placement, summary_json=json.dumps(s).replace("</", "<\\/"))
