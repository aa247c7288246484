"""The canonical model every problem is formulated into once.

A :class:`LinearModel` is a (mixed-integer) linear program with an optional
separable convex quadratic term, held as sparse arrays::

    minimize    c @ x + 0.5 * sum(q * x**2) + offset
    subject to  row_lower <= A @ x <= row_upper
                col_lower <= x <= col_upper
                x[j] integer where integrality[j]

The backends in :mod:`resopt.backends` translate it into highspy, cvxpy or PuLP;
they never re-derive a problem's mathematics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .result import Status

__all__ = ["LinearModel", "Solution"]


@dataclass
class LinearModel:
    """A sparse (MI)LP / diagonal QP in array form; see the module docstring."""

    c: np.ndarray
    A: sp.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray | None = None
    q: np.ndarray | None = None
    offset: float = 0.0
    name: str = "model"

    def __post_init__(self) -> None:
        self.c = np.asarray(self.c, dtype=np.float64)
        n = self.c.size
        self.A = sp.csr_array(self.A, dtype=np.float64)
        if self.A.shape[1] != n:
            raise ValueError(f"A has {self.A.shape[1]} columns but c has {n} entries")
        m = self.A.shape[0]
        self.row_lower = np.broadcast_to(np.asarray(self.row_lower, dtype=np.float64), (m,)).copy()
        self.row_upper = np.broadcast_to(np.asarray(self.row_upper, dtype=np.float64), (m,)).copy()
        self.col_lower = np.broadcast_to(np.asarray(self.col_lower, dtype=np.float64), (n,)).copy()
        self.col_upper = np.broadcast_to(np.asarray(self.col_upper, dtype=np.float64), (n,)).copy()
        self.integrality = (
            np.zeros(n, dtype=bool)
            if self.integrality is None
            else np.broadcast_to(np.asarray(self.integrality, dtype=bool), (n,)).copy()
        )
        if self.q is not None:
            self.q = np.broadcast_to(np.asarray(self.q, dtype=np.float64), (n,)).copy()
            if (self.q < 0).any():
                raise ValueError("the quadratic term must be convex (q >= 0)")

    @property
    def num_cols(self) -> int:
        return int(self.c.size)

    @property
    def num_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    @property
    def is_qp(self) -> bool:
        return self.q is not None and bool((self.q > 0).any())

    def max_violation(self, x: np.ndarray) -> float:
        """Largest violation of a bound, a row or integrality at ``x`` (0 when feasible).

        Row violations are relative to ``max(1, |bound|)``; a way to check a
        point a modeler hands back before calling it feasible.
        """
        x = np.asarray(x, dtype=np.float64)
        worst = float(np.max(np.maximum(self.col_lower - x, x - self.col_upper), initial=0.0))
        if self.num_rows:
            ax = self.A @ x
            for bound, sign in ((self.row_lower, 1.0), (self.row_upper, -1.0)):
                finite = np.isfinite(bound)
                excess = sign * (bound[finite] - ax[finite]) / np.maximum(1.0, np.abs(bound[finite]))
                worst = max(worst, float(np.max(excess, initial=0.0)))
        if self.is_mip:
            xi = x[self.integrality]
            worst = max(worst, float(np.max(np.abs(xi - np.round(xi)), initial=0.0)))
        return worst

    def objective_value(self, x: np.ndarray) -> float:
        """Evaluate the objective at ``x``."""
        value = float(self.c @ x) + self.offset
        if self.q is not None:
            value += 0.5 * float(self.q @ (x * x))
        return value


def solve_empty(model: LinearModel) -> "Solution | None":
    """The solution of a model with no variables (every backend's special case), else None."""
    if model.num_cols:
        return None
    feasible = bool(np.all(model.row_lower <= 0.0) and np.all(model.row_upper >= 0.0))
    if not feasible:
        return Solution(Status.INFEASIBLE, solver_status="empty model: a constant row is violated")
    value = float(model.offset)
    return Solution(Status.OPTIMAL, np.zeros(0), value, value, "empty model: nothing to solve")


@dataclass
class Solution:
    """What every backend of every problem hands back (the one solve protocol).

    Attributes
    ----------
    status : Status
    x : ndarray or None
        The decision vector: a :class:`LinearModel`'s columns, or the problem's own decisions
        (cores per device, replicas per placement pair, new units per pool).
    objective, bound : float
        The objective at ``x`` and a valid lower bound on the optimum (NaN when unknown).
    solver_status : str
        The solver's own words, for the result's message.
    timings : dict
        Seconds per phase of the solve.
    attr : dict
        Problem-specific extras a backend reports (a multiplier, capacity prices, a cost per
        pool), as cvxpy's ``Solution.attr``.
    """

    status: Status
    x: np.ndarray | None = None
    objective: float = float("nan")
    bound: float = float("nan")
    solver_status: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    attr: dict[str, Any] = field(default_factory=dict)
