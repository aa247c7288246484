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

__all__ = ["SvgFigure", "render_svg"]

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


def render_svg(draw: Callable[[Any], Any], alt: str, key: str, *, size: tuple[float, float] = FIGURE_SIZE,
               margins: dict[str, float] | None = None) -> SvgFigure:
    """Draw ``draw(ax)`` on a new figure and return it as inline SVG with ``alt`` as its label.

    ``key`` salts the SVG ids (unique per figure in a page); ``margins`` are passed to
    ``subplots_adjust`` (fixed margins: ``tight_layout`` would draw the figure twice).
    """
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({**_RC, "svg.hashsalt": f"resopt-{key}"}):
        fig = Figure(figsize=size)
        fig.subplots_adjust(**(margins or {"left": 0.15, "right": 0.97, "top": 0.95, "bottom": 0.14}))
        draw(fig.add_subplot())
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
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
