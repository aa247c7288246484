"""``place_workloads``: validate, formulate once, solve (whole or in POP parts), return a PlacementResult."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..._validate import TableLike
from ...backends import SolveOptions
from ...result import Status, relative_gap, stopwatch
from .diagnosis import explain_cuts, precheck
from .formulation import PlacementInstance, plan_objective
from .pop import partition, solve_parts, whole_bound
from .registry import NEEDS, PROBLEM, REGISTRY, SolvedPart, solve_instance, solve_part
from .result import Diagnosis, PlacementResult
from .schema import DEFAULT_MIP_GAP, BackendName, PlacementInput, PlacementOptions, validate_inputs, validate_options

__all__ = ["place_workloads"]


def place_workloads(
    workloads: TableLike,
    offerings: TableLike,
    *,
    egress: TableLike | None = None,
    budget: float | None = None,
    max_cloud_share: float | None = None,
    carbon_price: float = 0.0,
    backend: BackendName = "auto",
    time_limit: float | None = None,
    mip_gap: float | None = DEFAULT_MIP_GAP,
    partitions: int = 1,
    executor: Any = None,
    seed: int = 0,
) -> PlacementResult:
    """Place workload replicas on priced cloud offerings at minimum cost.

    Each replica of a workload goes onto one compatible offering in one mode
    (reserved capacity at no marginal cost, on-demand, or spot), renting
    ``ceil(gpus / accelerator_count)`` whole instances, or is left unplaced at
    its ``unplaced_penalty``. The cost of a replica is
    ``instances x price x hours / throughput`` plus egress of its ``data_gb``
    and ``carbon_price`` (USD per tonne) times its emissions.

    Parameters
    ----------
    workloads : DataFrame
        ``workload``, ``gpus``, ``hours``, ``accelerator`` (``|``-joined names or
        ``*``); optional ``replicas``, ``spread``, ``clouds``, ``regions``,
        ``data_cloud``, ``data_region``, ``data_gb``, ``spot_ok``,
        ``unplaced_penalty`` (empty: must be placed). A ``data_cloud`` outside the
        catalog (data on premises, say) needs an ``egress`` row naming it.
    offerings : DataFrame
        ``cloud``, ``region``, ``instance_type``, ``accelerator``,
        ``accelerator_count``, ``price_per_hour``; optional
        ``spot_price_per_hour``, ``capacity_gpus``, ``spot_capacity_gpus``
        (empty: unlimited), ``reserved_gpus``, ``throughput``, ``gpu_watts``,
        ``carbon_g_per_kwh``.
    egress : DataFrame, optional
        ``src_cloud``, ``dst_cloud``, optional ``src_region``, ``dst_region``,
        ``usd_per_gb``; the most specific matching row wins. Default rates: 0
        within a region, 0.02 USD/GB between regions of a cloud, 0.09 between clouds.
    budget : float, optional
        Upper limit on the spend (compute + egress, USD).
    max_cloud_share : float, optional
        Upper limit in (0, 1] on any one cloud's share of the spend.
    carbon_price : float
        USD per tonne of CO2.
    backend : {"auto", "highs", "cvxpy", "pulp", "heuristic"}
        ``"auto"`` runs the MILP on HiGHS while the model fits the time budget
        (:func:`~resopt.problems.placement.registry.milp_fits`; without a
        ``time_limit`` it is judged against ``NOMINAL_TIME_LIMIT`` = 60 s) and the
        heuristic beyond, or when the MILP ends without a plan; ``Result.backend``
        says which ran.
    time_limit : float, optional
        Wall-clock budget in seconds for the whole call, partitions included
        (None: no limit). A solve stopped by it has status ``time_limit`` (no plan)
        or keeps its best plan (``feasible``).
    mip_gap : float
        Relative MIP gap at which the exact backends stop (None: 1e-3); the
        heuristic's subgradient stops at this gap or 1e-4, whichever is smaller.
    partitions : int
        Split workloads and capacity into this many random parts (POP) and
        solve them independently; the bound stays a bound of the whole problem.
    executor : object with ``submit``, optional
        Runs the parts in parallel (``concurrent.futures`` executor, Dask client).
    seed : int
        Seed of the random partition (a whole number >= 0).

    Returns
    -------
    PlacementResult
        ``assignments``, ``unplaced``, ``by_cloud()``, ``diagnosis``; status
        ``infeasible`` with a diagnosis when no plan exists.

    Raises
    ------
    InputError
        Bad input: the message names the column, the row and the value, or the option.
    UnsupportedProblemError
        A named backend lacks something the call needs.

    Examples
    --------
    >>> import pandas as pd
    >>> from resopt import place_workloads
    >>> offerings = pd.DataFrame({
    ...     "cloud": ["aws", "gcp"], "region": ["us-east-1", "us-central1"],
    ...     "instance_type": ["p5.48xlarge", "a3-highgpu-8g"], "accelerator": ["H100", "H100"],
    ...     "accelerator_count": [8, 8], "price_per_hour": [55.04, 88.25], "capacity_gpus": [8, None]})
    >>> workloads = pd.DataFrame({"workload": ["train"], "gpus": [8], "hours": [10],
    ...                           "accelerator": ["H100"], "replicas": [2]})
    >>> result = place_workloads(workloads, offerings, backend="highs")
    >>> str(result.status), round(result.objective, 2)
    ('optimal', 1432.9)
    >>> result.assignments[["cloud", "instances", "cost"]].round(2).to_dict("list")
    {'cloud': ['aws', 'gcp'], 'instances': [1, 1], 'cost': [550.4, 882.5]}
    """
    settings = validate_options(REGISTRY, backend=backend, time_limit=time_limit, mip_gap=mip_gap,
                                partitions=partitions, executor=executor, seed=seed)
    options = SolveOptions.start(settings.time_limit, settings.mip_gap)
    timings: dict[str, float] = {}
    with stopwatch(timings, "validate"):
        data = validate_inputs(workloads, offerings, egress, budget=budget, max_cloud_share=max_cloud_share,
                               carbon_price=carbon_price)
    if settings.partitions > 1:
        result = _solve_partitioned(data, settings, options)
    else:
        result = _solve_whole(data, settings.backend, options)
    result.timings = {**timings, **result.timings}
    result.runtime_s = time.perf_counter() - options.started
    return result


def _solve_whole(data: PlacementInput, backend: str, options: SolveOptions) -> PlacementResult:
    """Solve the whole problem with one backend (``"auto"`` allowed), after the counting precheck."""
    timings: dict[str, float] = {}
    with stopwatch(timings, "pairs"):
        instance = PlacementInstance.of(data)
    with stopwatch(timings, "diagnose"):
        diagnosis = precheck(data, instance.pairs)
    if diagnosis:
        name = REGISTRY.resolve(backend, needs=NEEDS, instance=instance, options=options).name
        return _found_before_solving(diagnosis, name, timings)
    solved = solve_part(instance, backend, options)
    return _assemble(data, [solved], lambda objective: solved.solution.bound, options, timings)


#: The share of a time limit the POP parts may spend; the whole-problem bound has the rest (at
#: 10^6 replicas in 10 parts its first pass takes about a tenth of the parts' time).
PARTS_SHARE = 0.85


def _solve_partitioned(data: PlacementInput, settings: PlacementOptions, options: SolveOptions) -> PlacementResult:
    """Solve ``settings.partitions`` random parts (POP) on :data:`PARTS_SHARE` of what is left
    of the budget; the bound is the whole problem's."""
    t0 = time.perf_counter()
    split = partition(data, settings.partitions, settings.seed)
    solved = solve_parts(split, settings.backend, options.portion(PARTS_SHARE), settings.executor)
    timings = {"parts": time.perf_counter() - t0}

    def bound_of(objective: float) -> float:
        with stopwatch(timings, "bound"):
            return whole_bound(data, split, solved, objective, options, settings.executor)

    result = _assemble(data, solved, bound_of, options, timings)
    for part in solved:
        _add_timings(result.timings, part.solution.timings, prefix="part_")
    return result


def _assemble(data: PlacementInput, solved: list[SolvedPart], bound_of: Callable[[float], float], options: SolveOptions,
              timings: dict[str, float]) -> PlacementResult:
    """Turn the solves of the whole problem (one) or of its POP parts into a PlacementResult.

    ``bound_of(objective)`` gives the lower bound once the plan's cost is known (the
    solver's bound, or the whole-problem Lagrangian bound of the parts). One solve
    keeps its status; parts are ``optimal`` only when the bound proves it.
    """
    name = "+".join(sorted({part.backend for part in solved}))
    if not all(part.has_plan for part in solved):
        return _no_plan(data, solved, name, options, timings)
    assignments = pd.concat([part.assignments for part in solved], ignore_index=True)
    unplaced = pd.concat([part.unplaced for part in solved], ignore_index=True)
    objective = plan_objective(assignments, unplaced)
    bound = bound_of(objective)
    bound = min(float(bound), objective) if math.isfinite(bound) else math.nan
    if len(solved) == 1:
        status, detail = solved[0].solution.status, solved[0].solution.solver_status
        _add_timings(timings, solved[0].timings)
    else:
        status = Status.OPTIMAL if relative_gap(objective, bound) == 0.0 else Status.FEASIBLE
        detail = (f"in {len(solved)} parts (POP; slowest part {max(p.seconds for p in solved):.2f} s); "
                  f"whole-problem Lagrangian bound at the parts' mean capacity prices; parts: "
                  + ", ".join(sorted({str(p.solution.status) for p in solved})))
    message = f"placed {len(assignments)} replica(s)" + (
        f", {len(unplaced)} left unplaced at their penalty" if len(unplaced) else "") + f"; {detail}"
    return PlacementResult(status, objective=objective, bound=bound, backend=name, problem=PROBLEM,
                           message=message, timings=timings, runtime_s=time.perf_counter() - options.started,
                           assignments=assignments, unplaced=unplaced)


def _no_plan(data: PlacementInput, solved: list[SolvedPart], name: str, options: SolveOptions,
             timings: dict[str, float]) -> PlacementResult:
    """The result when a solve (or a part) found no plan: a diagnosis when infeasible, else why not."""
    failed = [j for j, part in enumerate(solved) if not part.has_plan]
    if len(solved) == 1:
        solution = solved[0].solution
        _add_timings(timings, solved[0].timings)
        result = PlacementResult(solution.status, bound=solution.bound, backend=name, problem=PROBLEM,
                                 timings=timings, message=solution.solver_status)
        # (a bound is worth reporting even without a plan: a heuristic that missed a side constraint)
        if solution.status is Status.INFEASIBLE:
            with stopwatch(timings, "diagnose"):
                result.diagnosis = explain_cuts(data, lambda variant: _plan_spend(variant, name, options))
            result.message = result.diagnosis.brief() + f" ({solution.solver_status})"
    else:
        with stopwatch(timings, "diagnose"):
            diagnosis = precheck(data, PlacementInstance.of(data).pairs)
        if diagnosis:
            return _found_before_solving(diagnosis, name, timings)
        statuses = {solved[j].solution.status for j in failed}
        texts = "; ".join(f"part {j}: {solved[j].solution.status} ({solved[j].solution.solver_status})"
                          for j in failed[:3])
        result = PlacementResult(Status.TIME_LIMIT if statuses == {Status.TIME_LIMIT} else Status.ERROR,
                                 backend=name, problem=PROBLEM, timings=timings,
                                 message=f"{len(failed)} of {len(solved)} parts found no plan: {texts}. A part "
                                         f"holds 1/{len(solved)} of the capacity; try fewer partitions.")
    result.runtime_s = time.perf_counter() - options.started
    return result


def _add_timings(timings: dict[str, float], more: dict[str, float], prefix: str = "") -> None:
    for key, seconds in more.items():
        timings[prefix + key] = timings.get(prefix + key, 0.0) + seconds


def _found_before_solving(diagnosis: Diagnosis, backend: str, timings: dict[str, float]) -> PlacementResult:
    return PlacementResult(Status.INFEASIBLE, backend=backend, problem=PROBLEM, timings=timings,
                           diagnosis=diagnosis, message=diagnosis.brief() + " (found before solving)")


def _plan_spend(data: PlacementInput, backend: str, options: SolveOptions) -> tuple[Status, float]:
    """Status and spend (compute + egress) of the plan ``backend`` finds for ``data`` (for :func:`explain_cuts`)."""
    instance = PlacementInstance.of(data)
    _, solution = solve_instance(instance, backend, options)
    spend = float(instance.pairs.spend @ solution.x) if solution.x is not None else math.nan
    return solution.status, spend
