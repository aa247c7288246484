"""``place_workloads``: validate, formulate once, pick a backend, return a PlacementResult."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ...backends import Backend
from ...errors import InputError
from ...result import Status, stopwatch
from .diagnosis import explain_cuts, precheck
from .formulation import build_pairs, plan_tables
from .pop import solve_partitioned
from .registry import PROBLEM, REGISTRY, milp_fits
from .result import Diagnosis, PlacementResult
from .schema import PlacementInput, validate_inputs

__all__ = ["place_workloads", "solve_input"]


def solve_input(inp: PlacementInput, backend: str, *, time_limit: float, mip_gap: float,
                diagnose: bool = True) -> PlacementResult:
    """Solve validated input with one backend (``"auto"`` allowed); no partitioning."""
    start = time.perf_counter()
    timings: dict[str, float] = {}
    chosen = REGISTRY.resolve(backend if backend != "auto" else "highs")
    with stopwatch(timings, "pairs"):
        pairs = build_pairs(inp)
    with stopwatch(timings, "diagnose"):
        diag = precheck(inp, pairs) if diagnose else Diagnosis()
    if backend == "auto" and not milp_fits(inp, pairs, time_limit):
        chosen = REGISTRY.resolve("heuristic")
    if diag:
        return PlacementResult(Status.INFEASIBLE, backend=chosen.name, problem=PROBLEM, timings=timings,
                               runtime_s=time.perf_counter() - start, diagnosis=diag,
                               message=diag.brief() + " (found before solving)")
    status, counts, bound, text, sub = chosen.solve(inp, pairs, time_limit=time_limit, mip_gap=mip_gap)
    if backend == "auto" and chosen.name != "heuristic" and not status.has_solution \
            and status is not Status.INFEASIBLE:
        remaining = max(1.0, time_limit - (time.perf_counter() - start))
        chosen = REGISTRY.resolve("heuristic")
        status, counts, bound, text2, sub = chosen.solve(inp, pairs, time_limit=remaining, mip_gap=mip_gap)
        text = f"MILP ended with {text}; heuristic: {text2}"
    for k, v in sub.items():
        timings[k] = timings.get(k, 0.0) + v
    result = PlacementResult(status, backend=chosen.name, problem=PROBLEM, timings=timings)
    # A bound is worth reporting even without a plan (a heuristic that missed a side constraint).
    result.bound = float(bound) if bound is not None else math.nan
    if status.has_solution and counts is not None:
        with stopwatch(timings, "tables"):
            result.assignments, result.unplaced = plan_tables(inp, pairs, counts)
        result.objective = float(result.assignments["cost"].sum() + result.unplaced["penalty"].sum())
        if math.isfinite(result.bound) and result.bound > result.objective:
            result.bound = result.objective  # numerical noise of the solver's bound
    if status is Status.INFEASIBLE and diagnose:
        with stopwatch(timings, "diagnose"):
            result.diagnosis = explain_cuts(inp, lambda v: _resolve_spend(v, chosen, time_limit, mip_gap))
        text = result.diagnosis.brief() + f" ({text})"
    result.message = _message(result, text)
    result.runtime_s = time.perf_counter() - start
    return result


def _resolve_spend(inp: PlacementInput, backend: Backend, time_limit: float, mip_gap: float):
    pairs = build_pairs(inp)
    status, counts, *_ = backend.solve(inp, pairs, time_limit=time_limit, mip_gap=mip_gap)
    spend = float(pairs.spend @ counts) if counts is not None else math.nan
    return status, spend


def _message(result: PlacementResult, text: str) -> str:
    if not result.success:
        return text
    placed, unplaced = len(result.assignments), len(result.unplaced)
    return (f"placed {placed} replica(s)" + (f", {unplaced} left unplaced at their penalty" if unplaced else "")
            + f"; {text}")


def place_workloads(
    workloads: Any,
    offerings: Any,
    *,
    egress: Any = None,
    budget: float | None = None,
    max_cloud_share: float | None = None,
    carbon_price: float = 0.0,
    backend: str = "auto",
    time_limit: float = 60.0,
    mip_gap: float = 1e-3,
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
        ``"auto"`` runs the MILP on HiGHS while the model fits ``time_limit``
        and the heuristic beyond; ``Result.backend`` says which ran.
    time_limit : float
        Seconds for the solver (per part with ``partitions``).
    mip_gap : float
        Relative MIP gap at which the exact backends stop.
    partitions : int
        Split workloads and capacity into this many random parts (POP) and
        solve them independently; the bound stays a bound of the whole problem.
    executor : object with ``submit``, optional
        Runs the parts in parallel (``concurrent.futures`` executor, Dask client).
    seed : int
        Seed of the random partition.

    Returns
    -------
    PlacementResult
        ``assignments``, ``unplaced``, ``by_cloud()``, ``diagnosis``; status
        ``infeasible`` with a diagnosis when no plan exists.

    Raises
    ------
    InputError
        Bad input: the message names the column, the row and the value.

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
    start = time.perf_counter()
    timings: dict[str, float] = {}
    with stopwatch(timings, "validate"):
        inp = validate_inputs(workloads, offerings, egress, budget=budget, max_cloud_share=max_cloud_share,
                              carbon_price=carbon_price)
        if not isinstance(backend, str) or (backend != "auto" and backend not in REGISTRY.names):
            REGISTRY.resolve(backend)  # raises the precise InputError
        time_limit = float(_positive(time_limit, "time_limit"))
        mip_gap = float(_nonnegative(mip_gap, "mip_gap"))
        if isinstance(partitions, bool) or not isinstance(partitions, (int, np.integer)) or partitions < 1:
            raise InputError(f"'partitions' must be a whole number >= 1. Got {partitions!r}.")
        if executor is not None and not callable(getattr(executor, "submit", None)):
            raise InputError(f"'executor' must have a submit method. Got {type(executor).__name__}.")
    if partitions > 1:
        result = solve_partitioned(inp, backend, int(partitions), executor=executor, seed=seed,
                                   time_limit=time_limit, mip_gap=mip_gap)
    else:
        result = solve_input(inp, backend, time_limit=time_limit, mip_gap=mip_gap)
    result.timings = {**timings, **result.timings}
    result.runtime_s = time.perf_counter() - start
    return result


def _positive(value: Any, name: str) -> float:
    from ..._validate import check_scalar

    return check_scalar(value, name, minimum=0, strict_minimum=True)


def _nonnegative(value: Any, name: str) -> float:
    from ..._validate import check_scalar

    return check_scalar(value, name, minimum=0)
