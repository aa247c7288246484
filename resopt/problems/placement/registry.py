"""The placement backends, the size rule of ``"auto"``, and the fallback when the MILP ends without a plan.

Every backend is ``solve(instance, options) -> Solution`` on a
:class:`~.formulation.PlacementInstance`; ``Solution.x`` holds the replicas placed on
each pair. ``"auto"`` is :meth:`~resopt.backends.BackendRegistry.resolve`: the exact
backends in preference order (highs, cvxpy, pulp) while :func:`milp_fits`, then the
heuristic. :func:`solve_instance` is the one place that runs a backend for a whole
problem or a POP part.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pandas as pd

from ...backends import (MODEL_SOLVER_REQUIRES, Backend, BackendRegistry, Capability, SolveOptions,
                          model_solver, solve_within)
from ...model import Solution
from ...result import Status, stopwatch
from .formulation import PlacementInstance, build_model, plan_tables
from .heuristic import solve_heuristic
from .schema import DEFAULT_MIP_GAP, NOMINAL_TIME_LIMIT

__all__ = ["REGISTRY", "PROBLEM", "NEEDS", "SolvedPart", "milp_fits", "solve_exact", "solve_instance",
           "solve_part", "MILP_MAX_COLUMNS_PER_SECOND"]

PROBLEM = "placement"

#: What every placement solve needs of a backend: whole replicas.
NEEDS = frozenset({Capability.INTEGER})

#: ``backend="auto"`` runs the MILP while it has at most this many columns per
#: second of ``time_limit`` (HiGHS does not always honour its time limit inside
#: the root node of a huge MILP, so the size is checked before calling it).
MILP_MAX_COLUMNS_PER_SECOND = 2_000


def milp_fits(instance: PlacementInstance, options: SolveOptions) -> bool:
    """Whether the MILP fits the budget, judged by its size before HiGHS is called (the size rule).

    The budget is ``options.time_limit``, or :data:`~.schema.NOMINAL_TIME_LIMIT` without
    one. The budget row and the cloud-share rows are dense (one entry per pair each),
    and HiGHS's presolve does not check its time limit while it works on them (5,000
    workloads with a share cap ran past 5 minutes under a 20 s limit), so each dense row
    counts as another copy of the columns.
    """
    data = instance.data
    seconds = NOMINAL_TIME_LIMIT if options.time_limit is None else options.time_limit
    dense_rows = (data.budget is not None) + (len(data.clouds) if data.max_cloud_share is not None else 0)
    return instance.pairs.size * (1 + dense_rows) <= MILP_MAX_COLUMNS_PER_SECOND * max(seconds, 1.0)


def solve_exact(instance: PlacementInstance, options: SolveOptions,
                solver: Callable[..., Solution]) -> Solution:
    """Solve the MILP with one of the generic :class:`~resopt.model.LinearModel` solvers.

    The solver gets what is left of the budget; a budget already spent gives status
    ``time_limit`` without calling it. ``x`` is rounded to whole replicas per pair.
    """
    timings: dict[str, float] = {}
    with stopwatch(timings, "formulate"):
        model, layout = build_model(instance.data, instance.pairs)
    sol = solve_within(solver, model, options, DEFAULT_MIP_GAP)
    for k, v in sol.timings.items():
        timings[k] = timings.get(k, 0.0) + v
    replicas = None if sol.x is None else np.rint(sol.x[:layout.num_pairs])
    return Solution(sol.status, replicas, sol.objective, sol.bound, sol.solver_status, timings)


_EXACT = frozenset({Capability.INTEGER, Capability.TIME_LIMIT, Capability.MIP_GAP, Capability.BOUND})

REGISTRY = BackendRegistry(PROBLEM, [
    *(Backend(name, partial(solve_exact, solver=model_solver(name)), _EXACT, requires, fits=milp_fits)
      for name, requires in MODEL_SOLVER_REQUIRES.items()),
    Backend("heuristic", solve_heuristic, _EXACT | {Capability.LARGE}),
])


def solve_instance(instance: PlacementInstance, backend: str, options: SolveOptions) -> tuple[Backend, Solution]:
    """Run ``backend`` (``"auto"`` resolved by the registry) on ``instance``; return the backend that answered.

    Under ``"auto"``, when an exact backend ends without a plan and without proving
    infeasibility (its time limit, a solver error), the first backend meant for large
    instances (the heuristic) runs with what is left of the budget.
    """
    chosen = REGISTRY.resolve(backend, needs=NEEDS, instance=instance, options=options)
    solution = chosen.solve(instance, options)
    if backend != "auto" or Capability.LARGE in chosen.features or solution.status.has_solution \
            or solution.status is Status.INFEASIBLE:
        return chosen, solution
    fallback = REGISTRY.resolve("auto", needs=NEEDS | {Capability.LARGE}, instance=instance, options=options)
    second = fallback.solve(instance, options)
    timings = {k: solution.timings.get(k, 0.0) + second.timings.get(k, 0.0)
               for k in {**solution.timings, **second.timings}}
    text = f"MILP ended with {solution.solver_status}; heuristic: {second.solver_status}"
    return fallback, Solution(second.status, second.x, second.objective, second.bound, text, timings, second.attr)


@dataclass
class SolvedPart:
    """One solve (the whole problem, or one POP part) with its plan as tables.

    ``solution`` keeps the status, bound, solver text, timings and ``attr`` of the
    backend that answered; its ``x`` is dropped once the tables hold the plan (a part
    may travel back from another process).
    """

    backend: str
    solution: Solution
    assignments: pd.DataFrame | None = None
    unplaced: pd.DataFrame | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # the solve's, plus building the tables

    @property
    def has_plan(self) -> bool:
        return self.assignments is not None


def solve_part(instance: PlacementInstance, backend: str, options: SolveOptions) -> SolvedPart:
    """:func:`solve_instance`, then the plan as the assignments and unplaced tables."""
    t0 = time.perf_counter()
    chosen, solution = solve_instance(instance, backend, options)
    timings = dict(solution.timings)
    part = SolvedPart(chosen.name, replace(solution, x=None), timings=timings)
    if solution.status.has_solution and solution.x is not None:
        with stopwatch(timings, "tables"):
            part.assignments, part.unplaced = plan_tables(instance.data, instance.pairs, solution.x)
    part.seconds = time.perf_counter() - t0
    return part
