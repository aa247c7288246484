"""Solve a linear :class:`~resopt.model.LinearModel` written in PuLP, with HiGHS (highspy).

PuLP reports a time-limited MILP with an incumbent as "Optimal"; this module
reads HiGHS's own model status and dual bound instead, so a feasible answer is
never called optimal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..errors import UnsupportedProblemError
from ..model import LinearModel, Solution, solve_empty
from ..result import Status, stopwatch

if TYPE_CHECKING:
    import pulp
from .highs import mip_bound, model_status

__all__ = ["solve_pulp", "build_pulp"]


def build_pulp(model: LinearModel) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Return ``(problem, variables)``: the PuLP model for ``model``."""
    import pulp

    if model.is_qp:
        raise UnsupportedProblemError("PuLP is linear only; it cannot express a quadratic objective.")
    n = model.num_cols
    problem = pulp.LpProblem(model.name.replace(" ", "_"), pulp.LpMinimize)
    # PuLP >= 3.3 attaches variables to the problem; older versions construct them directly.
    make = getattr(problem, "add_variable", None) or (lambda name, lo, hi, cat: pulp.LpVariable(name, lo, hi, cat))
    variables = [
        make(
            f"x{j}",
            None if np.isneginf(model.col_lower[j]) else float(model.col_lower[j]),
            None if np.isposinf(model.col_upper[j]) else float(model.col_upper[j]),
            pulp.LpInteger if model.integrality[j] else pulp.LpContinuous,
        )
        for j in range(n)
    ]
    nz = np.flatnonzero(model.c)
    problem += pulp.LpAffineExpression([(variables[j], float(model.c[j])) for j in nz]) + float(model.offset)
    A = sp.csr_array(model.A)
    for i in range(model.num_rows):
        start, end = A.indptr[i], A.indptr[i + 1]
        expr = pulp.LpAffineExpression(
            [(variables[j], float(v)) for j, v in zip(A.indices[start:end], A.data[start:end])]
        )
        lo, hi = model.row_lower[i], model.row_upper[i]
        if lo == hi:
            problem += expr == float(lo), f"r{i}"
        else:
            if np.isfinite(lo):
                problem += expr >= float(lo), f"r{i}_lo"
            if np.isfinite(hi):
                problem += expr <= float(hi), f"r{i}_hi"
    return problem, variables


def solve_pulp(model: LinearModel, *, time_limit: float | None = None, mip_gap: float | None = None) -> Solution:
    """Solve ``model`` with PuLP's HiGHS interface; status and bound come from HiGHS itself."""
    import pulp

    if (empty := solve_empty(model)) is not None:
        return empty
    timings: dict[str, float] = {}
    with stopwatch(timings, "build"):
        problem, variables = build_pulp(model)
    solver = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=mip_gap if model.is_mip else None)
    with stopwatch(timings, "solve"):
        problem.solve(solver)
    h = problem.solverModel
    status, text = model_status(h, model.is_mip)
    x = None
    objective = bound = math.nan
    if status.has_solution:
        x = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables], dtype=np.float64)
        objective = model.objective_value(x)
        if model.is_mip:
            bound = mip_bound(h.getInfo(), objective)
        elif status is Status.OPTIMAL:
            bound = objective
    return Solution(status, x, objective, bound,
                    f"PuLP/HiGHS: {text} (PuLP said {pulp.LpStatus[problem.status]})", timings)
