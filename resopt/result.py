"""Result and Status: what every solver call returns.

A :class:`Result` keeps the *status* (never calling a merely feasible answer
optimal), the objective, a proven lower *bound* and the relative *gap* between
them, the backend that actually ran, timings and a message that ends with the
solver's own status. Problem-specific results subclass it and add labelled
solution tables.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self

import pandas as pd

from .errors import InfeasibleError, SolverError

__all__ = ["Status", "Result", "relative_gap", "stopwatch", "render_text", "render_html"]


class Status(StrEnum):
    """Outcome of a solve.

    ``optimal``: proven optimal (for MILPs: within the requested relative gap
    tolerance; :attr:`Result.gap` reports the actual gap).
    ``feasible``: a feasible solution that is *not* proven optimal (a heuristic,
    or a solver stopped early with an incumbent).
    ``infeasible``: no solution satisfies the constraints; the message says why.
    ``unbounded``: the objective can decrease without limit.
    ``time_limit``: the time limit ran out before any feasible solution was found.
    ``error``: the solver failed; the message carries its own status.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """True when the result carries a feasible solution."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


def relative_gap(objective: float, bound: float) -> float:
    """Relative optimality gap ``(objective - bound) / |objective|``.

    Zero when objective and bound agree to 1e-9 relative (or absolute, near
    zero), ``inf`` when the objective is zero but the bound is not, NaN when
    either is unknown.

    Examples
    --------
    >>> relative_gap(100.0, 99.0)
    0.01
    >>> relative_gap(5.0, 5.0)
    0.0
    """
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.nan
    diff = objective - bound
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    if objective == 0.0:
        return math.inf
    return diff / abs(objective)


@contextmanager
def stopwatch(timings: dict[str, float], key: str) -> Iterator[None]:
    """Add the wall time of the ``with`` block to ``timings[key]`` (seconds)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - start


def render_text(name: str, title: str, lines: list[tuple[str, str]]) -> str:
    """``Name(title)`` followed by right-aligned ``key: value`` lines (a result's ``repr``)."""
    width = max((len(k) for k, _ in lines), default=0)
    body = "\n".join(f"  {k.rjust(width)}: {v}" for k, v in lines)
    return f"{name}({title})\n{body}"


def render_html(name: str, title: str, lines: list[tuple[str, str]], table: pd.DataFrame | None) -> str:
    """The same as :func:`render_text` as an HTML table, plus the first 20 rows of ``table``."""
    rows = "".join(
        f"<tr><th style='text-align:right'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
        for k, v in lines
    )
    head = f"<b>{html.escape(name)}</b> ({html.escape(title)})"
    extra = "" if table is None else table.head(20).to_html(max_rows=20)
    return f"<div>{head}<table>{rows}</table>{extra}</div>"


#: How the note on a result that breaks the invariant begins.
_NOTE = "[resopt: reported as"


class _HonestField:
    """``status`` and ``message`` of a :class:`Result`, where its invariant is enforced.

    The invariant: a result whose objective is not finite (NaN or infinite)
    carries no solution, so it cannot be ``optimal`` or ``feasible``. Reading
    ``status`` then gives ``error`` and ``message`` ends with the reason; the
    value as set is kept, so the check holds whatever order a solver fills the
    fields in (status first, objective last, or the other way round).
    """

    def __init__(self, default: Any = None) -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, f"_{name}_as_set"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            if self.default is None:
                raise AttributeError(self.name)  # a dataclass field without a default
            return self.default
        value = obj.__dict__[self.slot]
        reason = obj._dishonest()
        if reason is None:
            return value
        if self.name == "status":
            return Status.ERROR
        return f"{value} {reason}".strip()

    def __set__(self, obj: Any, value: Any) -> None:
        if self.name == "status":
            value = Status(value)
        elif isinstance(value, str) and _NOTE in value:  # a message read back (dataclasses.replace)
            value = value[: value.index(_NOTE)].rstrip()
        obj.__dict__[self.slot] = value


@dataclass(repr=False, eq=False)
class Result:
    """The outcome of one solve, common to every problem and backend.

    Attributes
    ----------
    status : Status
        See :class:`Status`.
    objective : float
        Objective value of the returned solution (NaN when there is none).
    bound : float
        A proven lower bound on the optimum (minimization); NaN when unknown.
    backend : str
        The backend that actually ran (``"auto"`` is resolved).
    runtime_s : float
        Wall time of the whole call, validation included.
    message : str
        Human-readable account; ends with the solver's own status where there is one.
    problem : str
        Which problem was solved.
    timings : dict
        Seconds per phase (``validate``, ``build``, ``solve``, ...).

    Notes
    -----
    Invariant: a result whose objective is not finite cannot be ``optimal`` or
    ``feasible``. Such a result reads as status ``error``, and its message says
    why (the status as the solver set it is kept in the message); the tables it
    may carry are not a plan to act on.

    >>> Result("optimal", objective=float("inf")).status
    <Status.ERROR: 'error'>
    """

    status: Status = _HonestField()  # type: ignore[assignment]
    objective: float = math.nan
    bound: float = math.nan
    backend: str = ""
    runtime_s: float = 0.0
    message: str = _HonestField("")  # type: ignore[assignment]
    problem: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def _dishonest(self) -> str | None:
        """Why the status as set breaks the invariant (see Notes), or None."""
        status = self.__dict__.get("_status_as_set")
        objective = self.__dict__.get("objective", math.nan)
        if status is None or not status.has_solution:
            return None
        try:
            finite = math.isfinite(objective)
        except TypeError:
            finite = False
        if finite:
            return None
        return (f"{_NOTE} 'error', not '{status}': the objective is {objective!r}, "
                "not a finite number, so this is not a plan to act on.]")

    @property
    def gap(self) -> float:
        """Relative gap between objective and bound; see :func:`relative_gap`."""
        return relative_gap(self.objective, self.bound)

    @property
    def success(self) -> bool:
        """True when the status carries a feasible solution (optimal or feasible)."""
        return Status(self.status).has_solution

    def raise_for_status(self, *, require_optimal: bool = False) -> Self:
        """Return ``self`` when a solution is available, raise otherwise.

        Raises
        ------
        InfeasibleError
            The problem is infeasible (the message says why).
        SolverError
            Unbounded, time limit without a solution, solver error, or (with
            ``require_optimal=True``) a solution not proven optimal.
        """
        status = Status(self.status)
        if status is Status.OPTIMAL or (status is Status.FEASIBLE and not require_optimal):
            return self
        if status is Status.INFEASIBLE:
            raise InfeasibleError(f"{self.problem or 'problem'} is infeasible: {self.message}")
        raise SolverError(f"{self.problem or 'problem'} ended with status '{status}': {self.message}")

    def to_frame(self) -> pd.DataFrame:
        """The labelled solution table (problem-specific; see the subclass)."""
        raise NotImplementedError(f"{type(self).__name__} has no solution table")

    def summary(self) -> dict[str, Any]:
        """The scalar fields as a plain dict (handy for one row of a sweep table)."""
        return {
            "problem": self.problem,
            "status": str(self.status),
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "backend": self.backend,
            "runtime_s": self.runtime_s,
        }

    def _summary_lines(self) -> list[tuple[str, str]]:
        def num(v: float) -> str:
            return "nan" if not math.isfinite(v) else f"{v:.10g}"

        return [
            ("status", str(self.status)),
            ("objective", num(self.objective)),
            ("bound", num(self.bound)),
            ("gap", "nan" if math.isnan(self.gap) else f"{self.gap:.3e}"),
            ("backend", self.backend),
            ("runtime_s", f"{self.runtime_s:.4f}"),
            ("message", self.message),
        ]

    def __repr__(self) -> str:
        return render_text(type(self).__name__, self.problem, self._summary_lines())

    def _repr_html_(self) -> str:
        table = None
        if self.success:
            try:
                table = self.to_frame()
            except NotImplementedError:
                table = None
        return render_html(type(self).__name__, self.problem, self._summary_lines(), table)
