"""POP partitioning (Narayanan et al., SOSP 2021): k random parts solved independently.

Workloads are dealt to ``k`` parts at random (a workload's replicas stay together,
so spread holds); each offering's capacity per mode is split into ``k`` shares
of whole instances; the budget is split in proportion to replicas; every part
keeps the cloud-share cap, so the union keeps it too. The parts run through
``executor.submit`` when an executor is given (threads, processes, Dask).

The combined plan is feasible for the whole problem. Its lower bound is the
Lagrangian function of the *whole* problem evaluated near the average of the
parts' capacity prices (each part's LP duals), computed part by part, so it
stays a valid bound without ever holding all pairs in memory.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ...result import Status, relative_gap
from .diagnosis import precheck
from .formulation import build_pairs, plan_tables
from .heuristic import Relaxation, lp_bound, solve_heuristic
from .registry import REGISTRY, milp_fits
from .result import PlacementResult
from .schema import PlacementInput

__all__ = ["solve_partitioned", "split_capacity"]


def split_capacity(capacity: np.ndarray, per_instance: np.ndarray, k: int) -> np.ndarray:
    """Split GPU capacity ``(O, 3)`` into ``k`` parts of whole instances, shape ``(k, O, 3)``.

    >>> split_capacity(np.array([[16.0, np.inf, 0.0]]), np.array([8.0]), 3)[:, 0, :].tolist()
    [[8.0, inf, 0.0], [8.0, inf, 0.0], [0.0, inf, 0.0]]
    """
    a = per_instance[:, None]
    finite = np.isfinite(capacity)
    inst = np.where(finite, np.floor(np.where(finite, capacity, 0.0) / a + 1e-9), 0.0)
    base, extra = np.floor(inst / k), np.mod(inst, k)
    rot = np.arange(capacity.shape[0])[:, None]  # rotate the leftover instances over the parts
    parts = np.empty((k, *capacity.shape))
    for j in range(k):
        share = base + (((j - rot) % k) < extra)
        parts[j] = np.where(finite, share * a, np.inf)
    return parts


def _solve_part(inp: PlacementInput, part_capacity: np.ndarray, backend: str, time_limit: float,
                mip_gap: float) -> dict[str, Any]:
    """Solve one part (module level, so process pools and Dask can ship it)."""
    t0 = time.perf_counter()
    part = replace(inp, capacity=part_capacity)
    pairs = build_pairs(part)
    use = backend
    if backend == "auto":
        use = "highs" if milp_fits(part, pairs, time_limit) else "heuristic"
    lam = None
    if use == "heuristic":
        status, counts, bound, text, timings, mult = solve_heuristic(part, pairs, time_limit=time_limit,
                                                                     return_multipliers=True)
        lam = mult.lam
    else:
        status, counts, bound, text, timings = REGISTRY.resolve(use).solve(part, pairs, time_limit=time_limit,
                                                                           mip_gap=mip_gap)
        if status.has_solution and counts is not None and pairs.size:
            # capacity prices for the whole-problem bound: the part's LP duals
            _, mult, _, _ = lp_bound(Relaxation(part, pairs), time_budget=min(10.0, 0.2 * time_limit))
            lam = mult.lam
    out: dict[str, Any] = {"status": status, "text": text, "backend": use, "lam": lam, "timings": timings}
    if status.has_solution and counts is not None:
        out["assignments"], out["unplaced"] = plan_tables(part, pairs, counts)
    out["seconds"] = time.perf_counter() - t0
    return out


def _part_dual_values(inp: PlacementInput, lams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A part's share of the Lagrangian function at each row of ``lams``, and its GPU use there.

    Returns ``(values, usage)``: ``values[i]`` sums the part's subproblem minima at
    prices ``lams[i]`` (without the ``- lam @ capacity`` term), ``usage[i]`` is the
    GPUs per resource the relaxed choice takes (the part's piece of the subgradient).
    """
    relax = Relaxation(inp, build_pairs(inp))
    zero_mu = np.zeros(relax.nclouds)
    values, usage = np.empty(len(lams)), np.empty((len(lams), relax.cap.size))
    for i, lam in enumerate(lams):
        value, sel, take, _ = relax.subproblem(lam, 0.0, zero_mu)
        values[i] = value + float(lam @ relax.cap_f)
        usage[i] = relax.usage(sel, take)[0]
    return values, usage


def _part_prices(outs: list[dict[str, Any]], caps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and median price per resource over the parts that held some of that capacity.

    A part that got no instance of an offering has no price for it; counting it
    as zero would dilute the average and weaken the bound.
    """
    k = len(outs)
    lams = np.stack([o["lam"] if o["lam"] is not None else np.zeros(caps[0].size) for o in outs])
    held = caps.reshape(k, -1) > 0
    count = held.sum(axis=0)
    mean = np.where(count > 0, (lams * held).sum(axis=0) / np.maximum(count, 1), 0.0)
    median = np.zeros_like(mean)
    has = count > 0
    median[has] = np.nanmedian(np.where(held, lams, np.nan)[:, has], axis=0)
    return mean, median


def _whole_bound(inp: PlacementInput, members: list[np.ndarray], mean: np.ndarray, median: np.ndarray,
                 executor: Any, upper: float, passes: int = 2) -> float:
    """Lagrangian bound of the whole problem, streamed part by part.

    The first pass tries the parts' mean prices, scaled by 0.85 to 1.15, and
    their median; the second takes projected subgradient steps from the best of
    them (Polyak's rule with the plan's cost ``upper`` as the target, several
    fractions of the step). Each pass builds every part's pairs once and
    evaluates all its candidates on them. Any prices >= 0 give a valid bound,
    so the best value is kept.
    """
    cap = inp.capacity.ravel()
    finite = np.isfinite(cap)
    cap_f = np.where(finite, cap, 0.0)
    full = [inp.subset(m) for m in members]
    cands = [mean * a for a in np.linspace(0.85, 1.15, 13)] + [median]
    best, best_lam, best_use = -np.inf, None, None
    for p in range(passes):
        lams = np.stack(cands)
        outs = _run(executor, _part_dual_values, [(s, lams) for s in full])
        values = sum(o[0] for o in outs) - lams @ cap_f
        usage = sum(o[1] for o in outs)
        i = int(np.argmax(values))
        if values[i] > best:
            best, best_lam, best_use = float(values[i]), lams[i], usage[i]
        if p == passes - 1 or not math.isfinite(upper) or upper <= best:
            break
        g = np.where(finite, best_use - cap_f, 0.0)
        g[(best_lam <= 0) & (g < 0)] = 0.0
        norm = float(g @ g)
        if norm <= 0:
            break  # the relaxed choice fits every capacity: no step can raise the bound
        step = (upper - best) / norm
        cands = [np.maximum(0.0, best_lam + step * f * g) for f in (0.03, 0.06, 0.125, 0.25, 0.5, 1.0)]
    return best


def _run(executor: Any, fn, args_list: list[tuple]) -> list[Any]:
    if executor is None:
        return [fn(*args) for args in args_list]
    futures = [executor.submit(fn, *args) for args in args_list]
    return [f.result() for f in futures]


def solve_partitioned(inp: PlacementInput, backend: str, k: int, *, executor: Any = None, seed: int = 0,
                      time_limit: float = 60.0, mip_gap: float = 1e-3) -> PlacementResult:
    """Solve ``inp`` as ``k`` random parts; see the module docstring."""
    start = time.perf_counter()
    timings: dict[str, float] = {}
    rng = np.random.default_rng(seed)
    part_of = rng.permutation(inp.num_workloads) % k
    members = [np.flatnonzero(part_of == j) for j in range(k)]
    members = [m for m in members if m.size]
    caps = split_capacity(inp.capacity, inp.accel_count, len(members))
    total = inp.num_replicas
    subs = []
    for j, m in enumerate(members):
        budget = None if inp.budget is None else inp.budget * inp.replicas[m].sum() / total
        subs.append(inp.subset(m, budget=budget))
    outs = _run(executor, _solve_part, [(s, caps[j], backend, time_limit, mip_gap) for j, s in enumerate(subs)])
    timings["parts"] = time.perf_counter() - start
    used = sorted({o["backend"] for o in outs})
    name = used[0] if len(used) == 1 else "+".join(used)
    failed = [j for j, o in enumerate(outs) if "assignments" not in o]
    if failed:
        pairs = build_pairs(inp)
        diag = precheck(inp, pairs)
        if diag:
            return PlacementResult(Status.INFEASIBLE, backend=name, problem="placement", diagnosis=diag,
                                   message=diag.brief() + " (found before solving)",
                                   runtime_s=time.perf_counter() - start, timings=timings)
        texts = "; ".join(f"part {j}: {outs[j]['status']} ({outs[j]['text']})" for j in failed[:3])
        return PlacementResult(Status.ERROR, backend=name, problem="placement", timings=timings,
                               runtime_s=time.perf_counter() - start,
                               message=f"{len(failed)} of {len(outs)} parts found no plan: {texts}. A part "
                                       f"holds 1/{len(outs)} of the capacity; try fewer partitions.")
    assignments = pd.concat([o["assignments"] for o in outs], ignore_index=True)
    unplaced = pd.concat([o["unplaced"] for o in outs], ignore_index=True)
    objective = float(assignments["cost"].sum() + unplaced["penalty"].sum())
    t = time.perf_counter()
    bound = _whole_bound(inp, members, *_part_prices(outs, caps), executor, objective)
    timings["bound"] = time.perf_counter() - t
    bound = min(bound, objective) if math.isfinite(bound) else math.nan
    status = Status.OPTIMAL if relative_gap(objective, bound) == 0.0 else Status.FEASIBLE
    for o in outs:
        for key, v in o["timings"].items():
            timings[f"part_{key}"] = timings.get(f"part_{key}", 0.0) + v
    parts_time = max(o["seconds"] for o in outs)
    message = (f"placed {len(assignments)} replica(s)" + (f", {len(unplaced)} left unplaced" if len(unplaced) else "")
               + f" in {len(outs)} parts (POP; slowest part {parts_time:.2f} s); whole-problem Lagrangian bound at "
               f"the parts' mean capacity prices; parts: " + ", ".join(sorted({str(o['status']) for o in outs})))
    return PlacementResult(status, objective=objective, bound=bound, backend=name, problem="placement",
                           message=message, timings=timings, runtime_s=time.perf_counter() - start,
                           assignments=assignments, unplaced=unplaced)
