"""The report's figures as inline SVG: drawn by :mod:`resopt.plotting`, no pyplot state.

Each figure is a :class:`matplotlib.figure.Figure` (not pyplot: nothing global, nothing
left open), saved as SVG with text kept as text (``svg.fonttype = none``: smaller, and
selectable in the page) and a per-figure id salt, so the ids of several SVGs inlined in
one page never collide and the same plan gives the same markup. The root ``<svg>`` gets
``role="img"``, an ``aria-label`` and a ``<title>`` (the alt text) and scales to its box.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["SvgFigure", "Sketchbook", "render_svg"]

#: Default figure size in inches: the page scales it to the width of its box.
FIGURE_SIZE = (4.8, 3.0)
_RC = {"svg.fonttype": "none", "font.size": 9.0, "axes.titlesize": 10.0, "legend.fontsize": 8.0,
       "font.family": "sans-serif"}
_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height)="[^"]*"')
_NAMESPACE = re.compile(r'\sxmlns(:\w+)?="[^"]*"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_REFERENCE = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


@dataclass(frozen=True)
class SvgFigure:
    """One inline figure: its SVG markup (alt text included) and the alt text alone."""

    svg: str
    alt: str


class Sketchbook:
    """One figure per kind of drawing, wiped and drawn again for each pool.

    Drawing on a fresh figure pays for building its axes, ticks and labels every time;
    the report draws the same two kinds of figure for every pool, so it keeps one figure
    per kind and only replaces what was drawn on it (the markup is the same as on a fresh
    figure; ``tests/test_report.py`` checks it).
    """

    def __init__(self) -> None:
        self._axes: dict[str, Any] = {}

    def axes(self, kind: str, size: tuple[float, float], margins: dict[str, float]) -> Any:
        from matplotlib.figure import Figure

        ax = self._axes.get(kind)
        if ax is None:
            figure = Figure(figsize=size)
            figure.subplots_adjust(**margins)
            ax = self._axes[kind] = figure.add_subplot()
        else:
            _wipe(ax)
        return ax


def _wipe(ax: Any) -> None:
    """Remove what was drawn on ``ax`` and forget its data limits; keep its axis machinery."""
    from matplotlib.transforms import Bbox

    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images]:
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.set_title("")
    ax.dataLim = Bbox.null()
    ax.ignore_existing_data_limits = True
    ax.set_autoscale_on(True)


def render_svg(draw: Callable[[Any], Any], alt: str, key: str, *, size: tuple[float, float] = FIGURE_SIZE,
               margins: dict[str, float] | None = None, sketchbook: Sketchbook | None = None,
               kind: str | None = None) -> SvgFigure:
    """Draw ``draw(ax)`` and return the figure as inline SVG with ``alt`` as its label.

    ``key`` salts the SVG ids (unique per figure in a page); ``margins`` are passed to
    ``subplots_adjust`` (fixed margins: ``tight_layout`` would draw the figure twice). With
    a ``sketchbook``, figures of the same ``kind`` are drawn on one reused figure.
    """
    import matplotlib
    from matplotlib.figure import Figure

    margins = margins or {"left": 0.15, "right": 0.97, "top": 0.95, "bottom": 0.14}
    with matplotlib.rc_context({**_RC, "svg.hashsalt": f"resopt-{key}"}):
        if sketchbook is not None and kind is not None:
            ax = sketchbook.axes(kind, size, margins)
        else:
            figure = Figure(figsize=size)
            figure.subplots_adjust(**margins)
            ax = figure.add_subplot()
        draw(ax)
        buffer = io.StringIO()
        ax.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return SvgFigure(_accessible(buffer.getvalue(), alt, key), alt)


def _accessible(svg: str, alt: str, key: str) -> str:
    """Make matplotlib's SVG an inline, scalable, labelled element with no URL in it.

    The XML prologue, the RDF metadata and the namespace declarations go (the HTML parser
    puts inline SVG in its namespace; they are the only URLs matplotlib writes), links to
    markers use SVG 2's plain ``href``, every id (and reference to it) is prefixed with
    ``fig-<key>-`` (matplotlib numbers its groups per figure: ``figure_1``, ``axes_1``...),
    and the fixed size gives way to the CSS width.
    """
    svg = _METADATA.sub("", svg[svg.index("<svg"):]).replace("xlink:href=", "href=")
    svg = _REFERENCE.sub(lambda m: f"{m.group(1)}fig-{key}-{m.group(2)}", svg)
    root = _ROOT.match(svg)
    assert root is not None
    label = html.escape(alt, quote=True)
    tag = _NAMESPACE.sub("", _SIZE.sub("", root.group(0)))
    tag = tag[:-1] + f' role="img" aria-labelledby="fig-{key}-title" class="figure" data-figure="{key}">'
    return f'{tag}<title id="fig-{key}-title">{label}</title>{svg[root.end():]}'
