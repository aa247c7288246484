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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...backends import SolveOptions
from .formulation import PlacementInstance, build_pairs
from .heuristic import Relaxation, lp_bound
from .registry import SolvedPart, solve_part
from .schema import NOMINAL_TIME_LIMIT, PlacementInput

__all__ = ["Partition", "partition", "solve_parts", "whole_bound", "split_capacity"]


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


@dataclass
class Partition:
    """Workloads dealt to ``k`` random parts, each with its share of capacity and budget."""

    members: list[np.ndarray]  # workload indices of each part
    capacity: np.ndarray  # (parts, O, 3) GPUs per offering and mode
    parts: list[PlacementInput]

    def __len__(self) -> int:
        return len(self.parts)


def partition(data: PlacementInput, k: int, seed: int) -> Partition:
    """Deal workloads to ``k`` random parts (empty parts dropped); split capacity and budget."""
    rng = np.random.default_rng(seed)
    part_of = rng.permutation(data.num_workloads) % k
    members = [np.flatnonzero(part_of == j) for j in range(k)]
    members = [m for m in members if m.size]
    capacity = split_capacity(data.capacity, data.accel_count, len(members))
    parts = []
    for j, m in enumerate(members):
        budget = None if data.budget is None else data.budget * data.replicas[m].sum() / data.num_replicas
        parts.append(data.subset(m, capacity=capacity[j], budget=budget))
    return Partition(members, capacity, parts)


def _solve_part(part: PlacementInput, backend: str, deadline: float | None, mip_gap: float | None) -> SolvedPart:
    """Solve one part (module level, so process pools and Dask can ship it).

    ``deadline`` is a wall-clock time (``time.time()``, comparable across processes);
    the part's budget is what is left of it when the part starts. The part's capacity
    prices go into ``solution.attr["multipliers"]``: the heuristic's own, or the LP duals
    of a part solved exactly.
    """
    t0 = time.perf_counter()
    options = SolveOptions.start(None if deadline is None else max(0.0, deadline - time.time()), mip_gap)
    instance = PlacementInstance.of(part)
    solved = solve_part(instance, backend, options)
    if solved.has_plan and "multipliers" not in solved.solution.attr and instance.pairs.size:
        seconds = NOMINAL_TIME_LIMIT if options.time_limit is None else options.time_limit
        left = options.remaining()
        budget = min(10.0, 0.2 * seconds) if left is None else min(10.0, 0.2 * seconds, left)
        solved.solution.attr["multipliers"] = lp_bound(Relaxation(part, instance.pairs), time_budget=budget).multipliers
    solved.seconds = time.perf_counter() - t0
    return solved


def solve_parts(split: Partition, backend: str, options: SolveOptions, executor: Any = None) -> list[SolvedPart]:
    """Solve every part, through ``executor.submit`` when given, within the budget of ``options``.

    With an executor the parts share the deadline (they run side by side); without one
    each part gets an equal share of what is left when it starts.
    """
    if executor is None:
        solved = []
        for j, part in enumerate(split.parts):
            left = options.remaining()
            deadline = None if left is None else time.time() + left / (len(split) - j)
            solved.append(_solve_part(part, backend, deadline, options.mip_gap))
        return solved
    left = options.remaining()
    deadline = None if left is None else time.time() + left
    futures = [executor.submit(_solve_part, part, backend, deadline, options.mip_gap) for part in split.parts]
    return [f.result() for f in futures]


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


def _part_prices(solved: list[SolvedPart], caps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and median price per resource over the parts that held some of that capacity.

    A part that got no instance of an offering has no price for it; counting it
    as zero would dilute the average and weaken the bound.
    """
    k = len(solved)
    prices = [s.solution.attr.get("multipliers") for s in solved]
    lams = np.stack([p.lam if p is not None else np.zeros(caps[0].size) for p in prices])
    held = caps.reshape(k, -1) > 0
    count = held.sum(axis=0)
    mean = np.where(count > 0, (lams * held).sum(axis=0) / np.maximum(count, 1), 0.0)
    median = np.zeros_like(mean)
    has = count > 0
    median[has] = np.nanmedian(np.where(held, lams, np.nan)[:, has], axis=0)
    return mean, median


def whole_bound(data: PlacementInput, split: Partition, solved: list[SolvedPart], upper: float,
                options: SolveOptions, executor: Any = None, passes: int = 2) -> float:
    """Lagrangian bound of the whole problem, streamed part by part.

    The first pass tries the parts' mean prices, scaled by 0.85 to 1.15, and
    their median; the second takes projected subgradient steps from the best of
    them (Polyak's rule with the plan's cost ``upper`` as the target, several
    fractions of the step). Each pass builds every part's pairs once and
    evaluates all its candidates on them. Any prices >= 0 give a valid bound,
    so the best value is kept. The first pass always runs (it gives the bound); the
    second only when what is left of the budget of ``options`` covers another pass as
    long as the first.
    """
    mean, median = _part_prices(solved, split.capacity)
    cap = data.capacity.ravel()
    finite = np.isfinite(cap)
    cap_f = np.where(finite, cap, 0.0)
    full = [data.subset(m) for m in split.members]
    cands = [mean * a for a in np.linspace(0.85, 1.15, 13)] + [median]
    best, best_lam, best_use = -np.inf, None, None
    for p in range(passes):
        started = time.perf_counter()
        lams = np.stack(cands)
        outs = _run(executor, _part_dual_values, [(s, lams) for s in full])
        values = sum(o[0] for o in outs) - lams @ cap_f
        usage = sum(o[1] for o in outs)
        i = int(np.argmax(values))
        if values[i] > best:
            best, best_lam, best_use = float(values[i]), lams[i], usage[i]
        left = options.remaining()
        if p == passes - 1 or not math.isfinite(upper) or upper <= best or (
                left is not None and left < time.perf_counter() - started):
            break
        g = np.where(finite, best_use - cap_f, 0.0)
        g[(best_lam <= 0) & (g < 0)] = 0.0
        norm = float(g @ g)
        if norm <= 0:
            break  # the relaxed choice fits every capacity: no step can raise the bound
        step = (upper - best) / norm
        cands = [np.maximum(0.0, best_lam + step * f * g) for f in (0.03, 0.06, 0.125, 0.25, 0.5, 1.0)]
    return best


def _run(executor: Any, fn: Callable[..., Any], args_list: list[tuple]) -> list[Any]:
    if executor is None:
        return [fn(*args) for args in args_list]
    futures = [executor.submit(fn, *args) for args in args_list]
    return [f.result() for f in futures]
