"""The placement backends and the rule ``"auto"`` follows, shared by the whole and the POP parts."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...backends import MODEL_SOLVER_REQUIRES, Backend, BackendRegistry, model_solver
from ...result import Status, stopwatch
from .formulation import Pairs, build_model
from .schema import PlacementInput

__all__ = ["REGISTRY", "PROBLEM", "milp_fits", "solve_exact", "MILP_MAX_COLUMNS_PER_SECOND"]

PROBLEM = "placement"


#: ``backend="auto"`` runs the MILP while it has at most this many columns per
#: second of ``time_limit`` (HiGHS does not always honour its time limit inside
#: the root node of a huge MILP, so the size is checked before calling it).
MILP_MAX_COLUMNS_PER_SECOND = 2_000


def _exact(solver):
    """Adapt a generic LinearModel solver to the placement backend signature."""

    def run(inp: PlacementInput, pairs: Pairs, *, time_limit: float, mip_gap: float):
        return solve_exact(inp, pairs, solver, time_limit=time_limit, mip_gap=mip_gap)

    return run


def _heuristic(inp: PlacementInput, pairs: Pairs, *, time_limit: float, mip_gap: float):
    from .heuristic import solve_heuristic

    return solve_heuristic(inp, pairs, time_limit=time_limit)


REGISTRY = BackendRegistry(PROBLEM, [
    *(Backend(name, _exact(model_solver(name)), frozenset({"integer", "time_limit", "bound"}), requires)
      for name, requires in MODEL_SOLVER_REQUIRES.items()),
    Backend("heuristic", _heuristic, frozenset({"integer", "time_limit", "bound", "large"}), ()),
])


def solve_exact(inp: PlacementInput, pairs: Pairs, solver, *, time_limit: float, mip_gap: float):
    """Solve the MILP with one of the generic LinearModel solvers.

    Returns ``(status, counts, bound, message, timings)``; counts are replicas per pair.
    """
    timings: dict[str, float] = {}
    with stopwatch(timings, "formulate"):
        model, layout = build_model(inp, pairs)
    sol = solver(model, time_limit=time_limit, mip_gap=mip_gap)
    for k, v in sol.timings.items():
        timings[k] = timings.get(k, 0.0) + v
    counts = None if sol.x is None else np.rint(sol.x[:layout.num_pairs])
    return sol.status, counts, sol.bound, sol.solver_status, timings


def milp_fits(inp: PlacementInput, pairs: Pairs, time_limit: float) -> bool:
    """Whether the MILP fits ``time_limit``, judged by its size before HiGHS is called.

    The budget row and the cloud-share rows are dense (one entry per pair each), and HiGHS's
    presolve does not check its time limit while it works on them (5,000 workloads with a
    share cap ran past 5 minutes under a 20 s limit), so each dense row counts as another
    copy of the columns.
    """
    dense_rows = (inp.budget is not None) + (len(inp.clouds) if inp.max_cloud_share is not None else 0)
    return pairs.size * (1 + dense_rows) <= MILP_MAX_COLUMNS_PER_SECOND * max(time_limit, 1.0)


