"""Vectorized placement heuristic with a certified lower bound.

Bound: Lagrangian relaxation of the coupling rows of the MILP in
:mod:`.formulation` (capacity per offering and mode, budget, cloud-share cap)
with multipliers ``lam >= 0``. What remains separates by workload: each
replica takes its cheapest pair at the *priced* cost
``cost + lam[res] * gpus_used + spend * (nu + mu[cloud] - share * sum(mu))`` or
stays unplaced at its penalty, with spread workloads taking their cheapest
distinct regions. For any ``lam >= 0`` that minimum minus ``lam @ rhs`` is a
lower bound on the optimum, whatever produced ``lam``. The Lagrangian dual
equals the LP bound (what remains after relaxing is integral), and the LP's
duals are its best multipliers: column generation reaches them without the
full LP. The master LP holds a few pairs per workload; each round HiGHS
re-solves it from the previous basis, its capacity, budget and share duals are
evaluated in the Lagrangian function over *all* pairs (the certified bound),
and the pairs of negative reduced cost join the master. When none is left the
master is the LP. Large instances start from the LP prices of a random 10%
sample; should the LP not finish in time, projected subgradient steps (Polyak's
rule, target = the best plan found) continue until they stop improving the bound.

Plan: a greedy in rounds over the priced costs. Each round every unfinished
workload proposes its cheapest pair that still fits; proposals are accepted per
offering and mode in order of *regret* (how much the workload loses going to its
next choice) while capacity lasts. Then repair (workloads that could not be
placed go first in a new greedy) and local search (move replicas to cheaper
pairs with spare capacity, place penalized replicas, unplace where the penalty
is cheaper). Everything is NumPy over the pair arrays: no Python loop over
workloads or pairs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ...backends import SolveOptions
from ...backends.highs import IncrementalLP
from ...model import Solution
from ...result import Status, relative_gap
from .formulation import Pairs, PlacementInstance, group_keys
from .schema import NOMINAL_TIME_LIMIT, PlacementInput

__all__ = ["solve_heuristic", "lagrangian_bound", "lp_bound", "Relaxation", "Multipliers", "LPBound",
           "SubgradientBound"]

_TOL = 1e-9
#: The subgradient stops once the plan is proved within this relative gap (or a tighter ``mip_gap``).
_SUBGRADIENT_GAP = 1e-4


def _first_of_runs(keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal consecutive keys."""
    first = np.ones(keys.size, dtype=bool)
    if keys.size > 1:
        first[1:] = keys[1:] != keys[:-1]
    return first


def _segment_argmin(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and index of the first minimum of each non-empty segment ``values[s:s+n]``."""
    mins = np.minimum.reduceat(values, starts)
    hit = np.flatnonzero(values == np.repeat(mins, lengths))
    seg = np.repeat(np.arange(starts.size), lengths)[hit]
    first = hit[_first_of_runs(seg)]
    return mins, first


class Relaxation:
    """The pairs of one instance arranged for the Lagrangian subproblem and the greedy.

    Pairs are ordered by workload, then spread group (workload and region for
    spread workloads, the workload itself otherwise); a group takes at most
    ``gcap`` replicas (1 for spread, all replicas otherwise).

    Attributes
    ----------
    order : ndarray
        Position in the caller's ``pairs`` of each pair here (``pairs.take(order)``).
    w, res, used, cost, spend, cloud : ndarray
        Per pair: workload, resource (``3 * offering + mode``), GPUs taken, cost, spend, cloud.
    gid, gstart, glen, gcap, group_workload : ndarray
        Spread group of each pair; per group: first pair, number of pairs, most replicas, workload.
    wstart, wlen : ndarray
        Per workload with pairs: its first pair and number of pairs.
    n, pen : ndarray
        Per workload: replicas and unplaced penalty (inf: must be placed).
    cap, finite, cap_f : ndarray
        Per resource: GPUs (inf: unlimited), whether that is a constraint, and it with 0 where not.
    share : float or None
        The cloud-share cap when it binds (below 1).
    spread_groups, spread_start, spread_len, spread_workload, spread_max
        The groups of spread workloads, by workload, for the "n cheapest distinct regions" step.
    """

    def __init__(self, inp: PlacementInput, pairs: Pairs) -> None:
        key = group_keys(inp, pairs)
        order = np.lexsort((key,))  # key = w * (L + 1) + region: sorts by workload, then group
        self.order = order
        self.inp = inp
        self.pairs = pairs = pairs.take(order) if not np.all(order == np.arange(order.size)) else pairs
        key = key[order]
        self.w = pairs.w
        self.res = pairs.res
        self.used = pairs.used
        self.cost = pairs.cost
        self.spend = pairs.spend
        self.cloud = pairs.cloud
        gfirst = _first_of_runs(key)
        self.gid = np.cumsum(gfirst) - 1
        self.gstart = np.flatnonzero(gfirst)
        self.glen = np.diff(np.append(self.gstart, key.size))
        self.group_workload = self.w[self.gstart]
        n = inp.replicas.astype(np.float64)
        self.gcap = np.where(inp.spread[self.group_workload], 1.0, n[self.group_workload])
        self.n = n
        self.pen = inp.penalty
        cap = inp.capacity.ravel()
        self.cap = cap
        self.finite = np.isfinite(cap) & (np.bincount(self.res, minlength=cap.size) > 0)
        self.cap_f = np.where(self.finite, cap, 0.0)
        self.share = inp.max_cloud_share if inp.max_cloud_share is not None and inp.max_cloud_share < 1 else None
        self.nclouds = inp.clouds.size
        self.wfirst = _first_of_runs(self.w)
        self.wstart = np.flatnonzero(self.wfirst)
        self.wlen = np.diff(np.append(self.wstart, self.w.size))
        # spread groups, by workload, for the "n cheapest distinct regions" step
        self.spread_groups = np.flatnonzero(inp.spread[self.group_workload])
        workload_of_group = self.group_workload[self.spread_groups]
        self.spread_start = np.flatnonzero(_first_of_runs(workload_of_group))
        self.spread_len = np.diff(np.append(self.spread_start, workload_of_group.size))
        self.spread_workload = workload_of_group[self.spread_start]
        self.spread_max = int(inp.replicas[self.spread_workload].max()) if self.spread_workload.size else 0

    # -- the Lagrangian subproblem -------------------------------------------------
    def priced(self, lam: np.ndarray, nu: float, mu: np.ndarray) -> np.ndarray:
        """Cost of every pair with the multipliers folded in."""
        adj = self.cost + lam[self.res] * self.used
        extra = nu + (mu[self.cloud] - self.share * mu.sum() if self.share is not None else 0.0)
        if np.any(extra != 0):
            adj = adj + self.spend * extra
        return adj

    def subproblem(self, lam: np.ndarray, nu: float, mu: np.ndarray
                   ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Solve the relaxed problem; return (value, pair per group, replicas per group, unplaced per workload)."""
        adj = self.priced(lam, nu, mu)
        if self.gstart.size == 0:
            return (float(self.n @ self.pen) - float(lam @ self.cap_f), np.empty(0, np.int64), np.empty(0),
                    self.n.copy())
        gmin, garg = _segment_argmin(adj, self.gstart, self.glen)
        pen_g = self.pen[self.group_workload]
        take = np.where(gmin < pen_g, self.gcap, 0.0)  # whole workload on its best pair (non-spread)
        if self.spread_groups.size:  # spread: the n cheapest distinct regions below the penalty
            v = np.where(take[self.spread_groups] > 0, gmin[self.spread_groups], np.inf)
            remaining = self.n[self.spread_workload].copy()
            chosen = np.zeros(self.spread_groups.size, dtype=bool)
            for _ in range(self.spread_max):
                mins, first = _segment_argmin(v, self.spread_start, self.spread_len)
                ok = np.isfinite(mins) & (remaining > 0)
                if not ok.any():
                    break
                chosen[first[ok]] = True
                v[first[ok]] = np.inf
                remaining[ok] -= 1
            take[self.spread_groups] = chosen
        placed = np.bincount(self.group_workload, weights=take, minlength=self.n.size)
        left = self.n - placed
        with np.errstate(invalid="ignore"):
            pen_cost = np.where(left > 0, left * self.pen, 0.0)
        value = float(take @ gmin) + float(pen_cost.sum())
        value -= float(lam @ self.cap_f)
        if self.inp.budget is not None:
            value -= nu * self.inp.budget
        return value, garg, take, left

    def usage(self, sel: np.ndarray, take: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """GPUs per resource, total spend and spend per cloud of a selection."""
        gpus = np.bincount(self.res[sel], weights=take * self.used[sel], minlength=self.cap.size)
        spend_c = np.bincount(self.cloud[sel], weights=take * self.spend[sel], minlength=self.nclouds)
        return gpus, float(spend_c.sum()), spend_c


@dataclass
class Multipliers:
    """Prices of the relaxed coupling rows, all ``>= 0``.

    Attributes
    ----------
    lam : ndarray
        USD per GPU of each resource (``3 * offering + mode``): the capacity prices.
    nu : float
        USD per USD of spend: the budget's price.
    mu : ndarray
        One price per cloud for its share-cap row.
    """

    lam: np.ndarray
    nu: float
    mu: np.ndarray

    @classmethod
    def zero(cls, relax: Relaxation) -> Multipliers:
        """All prices zero (the plain cheapest-pair relaxation)."""
        return cls(np.zeros(relax.cap.size), 0.0, np.zeros(relax.nclouds))


class SubgradientBound(NamedTuple):
    """What :func:`lagrangian_bound` returns."""

    bound: float  #: the best Lagrangian value (a lower bound)
    best: Multipliers  #: the multipliers at ``bound``
    last: Multipliers  #: the multipliers of the last step
    upper: float  #: the best plan's cost known at the end (the Polyak target)


class LPBound(NamedTuple):
    """What :func:`lp_bound` returns."""

    bound: float  #: the Lagrangian function at the best duals (a lower bound)
    multipliers: Multipliers  #: the prices at ``bound``
    converged: bool  #: no pair priced out: ``bound`` is the LP bound
    rounds: int  #: column generation rounds


def lagrangian_bound(relax: Relaxation, *, iterations: int = 200, time_budget: float = 30.0,
                     upper: float = math.nan, on_improve: Callable[[Multipliers], float] | None = None,
                     tol: float = 1e-4, theta: float = 2.0, patience: int = 20, start: Multipliers | None = None,
                     improve_every: int = 25, max_halvings: int = 4) -> SubgradientBound:
    """Projected subgradient ascent on the Lagrangian dual.

    Returns ``(best bound, multipliers at the best bound, last multipliers, upper)``.
    ``upper`` (a known plan's cost) is the Polyak target; ``on_improve(mult)``
    may return a better upper value (e.g. by running the greedy). The step
    halves after ``patience`` steps without a better bound; after
    ``max_halvings`` halvings in a row without one the ascent stops.
    """
    inp = relax.inp
    if start is None:
        lam, nu, mu = np.zeros(relax.cap.size), 0.0, np.zeros(relax.nclouds)
    else:
        lam, nu, mu = start.lam.copy(), start.nu, start.mu.copy()
    best = -math.inf
    best_mult = Multipliers(lam.copy(), nu, mu.copy())
    stall = halvings = 0
    deadline = time.perf_counter() + time_budget
    for it in range(iterations):
        value, sel, take, left = relax.subproblem(lam, nu, mu)
        if not math.isfinite(value):
            break  # a must-place workload has no pair: the caller diagnoses it
        if best == -math.inf or value > best + 1e-12 * max(1.0, abs(best)):
            best, stall, halvings = value, 0, 0
            best_mult = Multipliers(lam.copy(), nu, mu.copy())
        else:
            stall += 1
            if stall >= patience:
                theta, stall, halvings = theta / 2, 0, halvings + 1
                if halvings >= max_halvings:
                    break  # the bound no longer improves
        if on_improve is not None and (it % improve_every == improve_every - 1):
            cand = on_improve(Multipliers(lam.copy(), nu, mu.copy()))
            if cand < upper or not math.isfinite(upper):
                upper = cand
        gpus, spend, spend_c = relax.usage(sel, take)
        g_lam = np.where(relax.finite, gpus - relax.cap_f, 0.0)
        g_lam[(lam <= 0) & (g_lam < 0)] = 0.0
        g_nu = spend - inp.budget if inp.budget is not None else 0.0
        if nu <= 0 and g_nu < 0:
            g_nu = 0.0
        g_mu = spend_c - relax.share * spend if relax.share is not None else np.zeros_like(mu)
        g_mu[(mu <= 0) & (g_mu < 0)] = 0.0
        norm = float(g_lam @ g_lam + g_nu * g_nu + g_mu @ g_mu)
        if norm <= 0:
            break  # the relaxed solution is feasible and complementary: the bound is optimal
        target = upper if math.isfinite(upper) else value + max(abs(value) * 0.05, 1.0)
        if relative_gap(target, best) <= tol or time.perf_counter() > deadline:
            break
        step = theta * max(target - value, 1e-9 * max(1.0, abs(value))) / norm
        lam = np.maximum(0.0, lam + step * g_lam)
        nu = max(0.0, nu + step * g_nu)
        mu = np.maximum(0.0, mu + step * g_mu)
    return SubgradientBound(best, best_mult, Multipliers(lam, nu, mu), upper)


# -- feasible plans ------------------------------------------------------------------
def _accept(res: np.ndarray, demand_unit: np.ndarray, count: np.ndarray, priority: np.ndarray,
            rem: np.ndarray) -> np.ndarray:
    """Replicas accepted per proposal when each resource serves proposals by priority.

    Proposal ``i`` asks for ``count[i]`` replicas of ``demand_unit[i]`` GPUs on
    resource ``res[i]``; the accepted amounts never exceed ``rem``.
    """
    order = np.lexsort((-priority, res))
    r, d, c = res[order], demand_unit[order], count[order]
    dem = d * c
    cum = np.cumsum(dem)
    first = _first_of_runs(r)
    base = np.repeat(cum[first] - dem[first], np.diff(np.append(np.flatnonzero(first), r.size)))
    before = cum - dem - base
    with np.errstate(invalid="ignore"):
        room = rem[r] - before
        k = np.where(np.isinf(room), c, np.floor(room / d + _TOL))
    k = np.clip(k, 0, c)
    out = np.empty_like(k)
    out[order] = k
    return out


class _Plan:
    """Replica counts per pair plus the derived state (remaining capacity, used regions)."""

    def __init__(self, relax: Relaxation) -> None:
        self.relax = relax
        self.counts = np.zeros(relax.w.size)
        self.rem = relax.cap.copy()
        self.blocked = np.zeros(relax.gstart.size, dtype=bool)  # spread groups in use
        self.need = relax.n.copy()

    def apply(self, idx: np.ndarray, k: np.ndarray) -> None:
        relax = self.relax
        np.add.at(self.counts, idx, k)
        self.rem -= np.bincount(relax.res[idx], weights=k * relax.used[idx], minlength=self.rem.size)
        self.need -= np.bincount(relax.w[idx], weights=k, minlength=self.need.size)
        spread = self.relax.inp.spread[relax.w[idx]]
        self.blocked[relax.gid[idx[spread & (k > 0)]]] = True
        gone = spread & (k < 0)
        if gone.any():
            self.blocked[relax.gid[idx[gone]]] = False

    def fits(self) -> np.ndarray:
        """Pairs that could take one more replica now."""
        relax = self.relax
        return (self.rem[relax.res] >= relax.used - _TOL) & ~(self.blocked[relax.gid] & relax.inp.spread[relax.w])

    def objective(self) -> float:
        relax = self.relax
        left = self.need
        pen = float(np.where(left > 0, left * np.where(np.isinf(relax.pen), 0.0, relax.pen), 0.0).sum())
        return float(self.counts @ relax.cost) + pen

    def spend(self) -> tuple[float, np.ndarray]:
        relax = self.relax
        by_cloud = np.bincount(relax.cloud, weights=self.counts * relax.spend, minlength=relax.nclouds)
        return float(by_cloud.sum()), by_cloud

    def violations(self) -> list[str]:
        relax = self.relax
        out = []
        missing = (self.need > 0.5) & np.isinf(relax.pen)
        if missing.any():
            out.append(f"{int(self.need[missing].sum())} replica(s) that must be placed found no capacity")
        total, by_cloud = self.spend()
        if relax.inp.budget is not None and total > relax.inp.budget * (1 + 1e-9) + 1e-9:
            out.append(f"spend {total:.2f} USD exceeds the budget {relax.inp.budget:.2f}")
        if relax.share is not None and total > 0 and by_cloud.max() > relax.share * total * (1 + 1e-9) + 1e-9:
            out.append(f"a cloud takes {by_cloud.max() / total:.1%} of the spend (cap {relax.share:.0%})")
        return out


def greedy(relax: Relaxation, adj: np.ndarray, first: np.ndarray | None = None) -> _Plan:
    """Regret-ordered greedy in rounds over priced costs ``adj`` (see the module docstring).

    ``first`` marks workloads served before all others (the repair step).
    """
    plan = _Plan(relax)
    w, res, used = relax.w, relax.res, relax.used
    spread = relax.inp.spread
    active = np.lexsort((adj, w))
    done = np.zeros(relax.n.size, dtype=bool)
    boost = np.zeros(relax.n.size) if first is None else np.where(first, np.inf, 0.0)
    while active.size:
        wa = w[active]
        keep = (plan.need[wa] > 0) & ~done[wa] & (plan.rem[res[active]] >= used[active] - _TOL)
        keep &= ~(plan.blocked[relax.gid[active]] & spread[wa])
        active = active[keep]
        if not active.size:
            break
        wa = w[active]
        head = _first_of_runs(wa)
        pos = np.flatnonzero(head)
        best = active[pos]
        bw = wa[pos]
        nxt = np.minimum(pos + 1, active.size - 1)
        has_next = (pos + 1 < active.size) & (w[active[nxt]] == bw)
        regret = np.where(has_next, adj[active[nxt]] - adj[best], 1e18)
        give_up = adj[best] >= relax.pen[bw]
        done[bw[give_up]] = True
        best, bw, regret = best[~give_up], bw[~give_up], regret[~give_up]
        if not best.size:
            continue
        count = np.where(spread[bw], np.minimum(1.0, plan.need[bw]), plan.need[bw])
        k = _accept(res[best], used[best], count, regret + boost[bw], plan.rem)
        if not (k > 0).any():
            break  # cannot happen: the head of every resource fits at least one replica
        plan.apply(best[k > 0], k[k > 0])
    return plan


@dataclass
class _CheapestFit:
    """The cheapest pair with room of each workload that has pairs (``workload`` ascending)."""

    workload: np.ndarray
    cost: np.ndarray  # inf: no pair with room
    pair: np.ndarray

    @classmethod
    def of(cls, plan: _Plan) -> _CheapestFit:
        relax = plan.relax
        cost, pair = _segment_argmin(np.where(plan.fits(), relax.cost, np.inf), relax.wstart, relax.wlen)
        return cls(relax.w[relax.wstart], cost, pair)

    def per_workload(self, num_workloads: int) -> tuple[np.ndarray, np.ndarray]:
        """Cost and pair indexed by workload (inf and -1 for workloads without pairs)."""
        cost, pair = np.full(num_workloads, np.inf), np.full(num_workloads, -1)
        cost[self.workload], pair[self.workload] = self.cost, self.pair
        return cost, pair


@dataclass
class _Moves:
    """Proposed moves: replicas from pair ``source`` (-1: from unplaced) to pair ``target``, by gain."""

    source: list[np.ndarray] = field(default_factory=list)
    target: list[np.ndarray] = field(default_factory=list)
    amount: list[np.ndarray] = field(default_factory=list)
    gain: list[np.ndarray] = field(default_factory=list)

    def propose(self, source: np.ndarray, target: np.ndarray, amount: np.ndarray, gain: np.ndarray) -> None:
        self.source.append(source)
        self.target.append(target)
        self.amount.append(amount)
        self.gain.append(gain)


def _worst_pairs_to_improve(plan: _Plan, cheapest: _CheapestFit) -> np.ndarray:
    """The dearest placed pair of each workload, where a pair with room or the penalty is cheaper."""
    relax = plan.relax
    placed = np.flatnonzero(plan.counts > 0)
    if not placed.size:
        return placed
    workload = relax.w[placed]
    order = np.lexsort((-relax.cost[placed], workload))
    worst = placed[order][_first_of_runs(workload[order])]
    worst_workload = relax.w[worst]
    best_cost, _ = cheapest.per_workload(relax.n.size)
    penalty = relax.pen[worst_workload]
    alternative = np.minimum(best_cost[worst_workload], np.where(np.isinf(penalty), np.inf, penalty))
    return worst[alternative < relax.cost[worst] - 1e-9 * np.maximum(1.0, relax.cost[worst])]


def _unplace_where_penalty_is_cheaper(plan: _Plan, worst: np.ndarray, cheapest: _CheapestFit) -> np.ndarray:
    """Unplace the replicas of ``worst`` pairs whose penalty beats every pair with room; return the others."""
    relax = plan.relax
    best_cost, _ = cheapest.per_workload(relax.n.size)
    to_penalty = best_cost[relax.w[worst]] >= relax.pen[relax.w[worst]]
    if to_penalty.any():
        plan.apply(worst[to_penalty], -plan.counts[worst[to_penalty]])
    return worst[~to_penalty]


def _propose_cheaper_pairs(plan: _Plan, worst: np.ndarray, cheapest: _CheapestFit, moves: _Moves) -> None:
    """Move the replicas of ``worst`` pairs (one for spread workloads) to their workload's cheapest pair with room."""
    relax = plan.relax
    if not worst.size:
        return
    _, best_pair = cheapest.per_workload(relax.n.size)
    target = best_pair[relax.w[worst]]
    amount = np.where(relax.inp.spread[relax.w[worst]], 1.0, plan.counts[worst])
    moves.propose(worst, target, amount, relax.cost[worst] - relax.cost[target])


def _propose_placing_unplaced(plan: _Plan, cheapest: _CheapestFit, moves: _Moves) -> None:
    """Place unplaced replicas where a pair with room is cheaper than the penalty.

    One proposal per workload and round: a workload already moving is left out, as two
    proposals could claim the same region of a spread workload.
    """
    relax = plan.relax
    moving = np.zeros(relax.n.size, dtype=bool)
    for source in moves.source:
        moving[relax.w[source]] = True
    workload, cost = cheapest.workload, cheapest.cost
    waiting = workload[(plan.need[workload] > 0.5) & np.isfinite(cost) & (cost < relax.pen[workload])
                       & ~moving[workload]]
    if waiting.size:
        target = cheapest.pair[np.searchsorted(workload, waiting)]
        amount = np.where(relax.inp.spread[waiting], 1.0, plan.need[waiting])
        moves.propose(np.full(waiting.size, -1), target, amount, relax.pen[waiting] - relax.cost[target])


def _apply_moves(plan: _Plan, moves: _Moves) -> bool:
    """Accept moves by gain while capacity lasts and apply them; False when none could be made."""
    relax = plan.relax
    if not moves.target:
        return False
    source, target = np.concatenate(moves.source), np.concatenate(moves.target)
    accepted = _accept(relax.res[target], relax.used[target], np.concatenate(moves.amount),
                       np.concatenate(moves.gain), plan.rem)
    made = accepted > 0
    if not made.any():
        return False
    source, target, accepted = source[made], target[made], accepted[made]
    placed = source >= 0
    plan.apply(source[placed], -accepted[placed])
    plan.apply(target, accepted)
    return True


def local_search(plan: _Plan, *, rounds: int = 30, deadline: float = math.inf) -> _Plan:
    """Move replicas to cheaper pairs with room, place or unplace at the penalty.

    Each round, from the cheapest pair with room of every workload: unplace where the
    penalty is cheaper, propose moving each workload's dearest replicas to a cheaper
    pair, propose placing unplaced replicas, then apply the proposals by gain.
    """
    relax = plan.relax
    if relax.inp.budget is not None or relax.share is not None or relax.w.size == 0:
        return plan  # moves could break the budget or the share cap: keep the priced greedy's plan
    for _ in range(rounds):
        if time.perf_counter() > deadline:
            break
        cheapest = _CheapestFit.of(plan)
        worst = _unplace_where_penalty_is_cheaper(plan, _worst_pairs_to_improve(plan, cheapest), cheapest)
        moves = _Moves()
        _propose_cheaper_pairs(plan, worst, cheapest, moves)
        _propose_placing_unplaced(plan, cheapest, moves)
        if not _apply_moves(plan, moves):
            break
    return plan


def _violation(by_cloud: np.ndarray, total: np.ndarray, budget: float | None, share: float | None) -> np.ndarray:
    """Total excess over the budget and the share cap, per row of ``by_cloud`` (candidates x clouds)."""
    v = np.zeros(total.shape)
    if budget is not None:
        v += np.maximum(0.0, total - budget)
    if share is not None:
        v += np.maximum(0.0, by_cloud - share * total[:, None]).sum(axis=1)
    return v


def _repair_candidates(plan: _Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Moves for every placed replica: to its cheapest pair with room in each cloud, to its
    lowest-spend pair with room, and (with a penalty) dropping it.

    Returns ``(source pair, target pair, drop)``; ``target`` is -1 where ``drop``.
    """
    relax = plan.relax
    placed = np.flatnonzero(plan.counts > 0.5)
    if not placed.size:
        return placed, placed, np.zeros(0, dtype=bool)
    fits = plan.fits()
    placed_workload = relax.w[placed]
    targets = []
    in_cloud = [fits & (relax.cloud == c) for c in range(relax.nclouds)]
    for mask, key in [(m, relax.cost) for m in in_cloud] + [(fits, relax.spend)]:
        best_key, best_pair = _segment_argmin(np.where(mask, key, np.inf), relax.wstart, relax.wlen)
        best = np.full(relax.n.size, -1)
        found = np.isfinite(best_key)
        best[relax.w[relax.wstart][found]] = best_pair[found]
        targets.append(best[placed_workload])
    target = np.stack(targets + [np.full(placed.size, -1)], axis=1)  # last column: drop the replica
    source = np.repeat(placed, target.shape[1])
    target = target.ravel()
    drop = np.tile(np.r_[np.zeros(relax.nclouds + 1, dtype=bool), True], placed.size)
    valid = (target >= 0) | (drop & np.isfinite(relax.pen[relax.w[source]]))
    return source[valid], target[valid], drop[valid]


def _cheapest_repair(plan: _Plan, source: np.ndarray, target: np.ndarray, drop: np.ndarray, violation: float,
                     total: float, by_cloud: np.ndarray) -> int:
    """Index of the candidate with the least added cost per USD of violation removed; -1 if none removes any."""
    relax = plan.relax
    budget, share = relax.inp.budget, relax.share
    to = np.maximum(target, 0)
    spend_to = np.where(drop, 0.0, relax.spend[to])
    new_by_cloud = np.tile(by_cloud, (source.size, 1))
    rows = np.arange(source.size)
    new_by_cloud[rows, relax.cloud[source]] -= relax.spend[source]
    np.add.at(new_by_cloud, (rows[~drop], relax.cloud[to][~drop]), spend_to[~drop])
    new_total = total - relax.spend[source] + spend_to
    removed = violation - _violation(new_by_cloud, new_total, budget, share)
    extra = np.where(drop, relax.pen[relax.w[source]], relax.cost[to]) - relax.cost[source]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(removed > 1e-9 * max(1.0, total), extra / removed, np.inf)
    i = int(np.argmin(ratio))
    return i if np.isfinite(ratio[i]) else -1


def repair_side_constraints(plan: _Plan, *, deadline: float = math.inf, max_moves: int = 2_000) -> _Plan:
    """Move or drop replicas, one at a time, until the budget and the cloud-share cap hold.

    Candidates for every placed replica: its cheapest pair with room in each
    cloud, its lowest-spend pair with room, and (with a penalty) dropping it.
    Each step takes the candidate with the least added cost per USD of total
    violation (budget excess plus share excess) removed.
    """
    relax = plan.relax
    budget, share = relax.inp.budget, relax.share
    if (budget is None and share is None) or relax.w.size == 0:
        return plan
    for _ in range(max_moves):
        total, by_cloud = plan.spend()
        violation = float(_violation(by_cloud[None, :], np.array([total]), budget, share)[0])
        if violation <= 1e-9 * max(1.0, total) or time.perf_counter() > deadline:
            break
        source, target, drop = _repair_candidates(plan)
        if not source.size:
            break
        i = _cheapest_repair(plan, source, target, drop, violation, total, by_cloud)
        if i < 0:
            break
        plan.apply(source[[i]], np.array([-1.0]))
        if not drop[i]:
            plan.apply(target[[i]], np.array([1.0]))
    return plan


def _plan_from_multipliers(relax: Relaxation, mult: Multipliers, deadline: float) -> _Plan:
    adj = relax.priced(mult.lam, mult.nu, mult.mu)
    plan = greedy(relax, adj)
    for _ in range(3):  # repair: workloads left without capacity go first
        stuck = (plan.need > 0.5) & np.isinf(relax.pen)
        if not stuck.any():
            break
        plan = greedy(relax, adj, first=stuck | (plan.need > 0.5) & np.isinf(relax.pen))
    return repair_side_constraints(local_search(plan, deadline=deadline), deadline=deadline)


class _RestrictedMaster:
    """The LP relaxation restricted to a growing subset of pairs (column generation).

    Rows: one per workload (its replicas, placed or unplaced), one per finite
    capacity, the budget, the cloud-share rows, and one per spread group once it
    holds two columns (a lone column's upper bound of 1 plays that role).
    Columns: one per workload for its unplaced replicas (at the penalty, or at a
    big-M cost for must-place workloads, which keeps the master feasible before
    it holds a feasible plan), then pairs as they are added. HiGHS re-solves
    from the previous basis after each addition.
    """

    def __init__(self, relax: Relaxation) -> None:
        self.relax = relax
        self.lp = lp = IncrementalLP()
        inf = np.inf
        W = relax.n.size
        finite = np.flatnonzero(relax.finite)
        self.cap_row = np.full(relax.cap.size, -1)
        self.cap_row[finite] = W + np.arange(finite.size)
        lower = [relax.n, np.full(finite.size, -inf)]
        upper = [relax.n, relax.cap[finite]]
        nrow = W + finite.size
        self.budget_row = -1
        if relax.inp.budget is not None:
            self.budget_row, nrow = nrow, nrow + 1
            lower.append(np.array([-inf]))
            upper.append(np.array([relax.inp.budget]))
        self.share_row0 = -1
        if relax.share is not None:
            self.share_row0, nrow = nrow, nrow + relax.nclouds
            lower.append(np.full(relax.nclouds, -inf))
            upper.append(np.zeros(relax.nclouds))
        lp.add_rows(np.concatenate(lower).astype(np.float64), np.concatenate(upper).astype(np.float64))
        self.group_row = np.full(relax.gstart.size, -1)
        self.group_spread = relax.inp.spread[relax.group_workload]
        self.in_master = np.zeros(relax.w.size, dtype=bool)
        self.col_pair = np.empty(0, np.int64)  # pair index of each pair column
        big = 10.0 * float(relax.cost.max(initial=0.0)) + 1.0
        extra_cost = np.where(np.isfinite(relax.pen), relax.pen, big)  # the penalty, or elastic at a big-M cost
        self.num_extra = W
        lp.add_cols(extra_cost, np.zeros(W), np.full(W, inf), np.arange(W), np.arange(W), np.ones(W))

    def add(self, pairs_idx: np.ndarray) -> int:
        """Add the pairs not in the master yet; return how many were added."""
        relax = self.relax
        idx = np.unique(pairs_idx[~self.in_master[pairs_idx]])
        if not idx.size:
            return 0
        self.in_master[idx] = True
        g = relax.gid[idx]
        touched = np.unique(g[self.group_spread[g]])
        per_group = np.bincount(relax.gid[self.in_master], minlength=self.group_row.size)
        need = touched[(per_group[touched] > 1) & (self.group_row[touched] < 0)]
        if need.size:  # spread groups that now hold two columns get their row (with their older columns)
            num_rows = self.lp.num_rows
            self.group_row[need] = num_rows + np.arange(need.size)
            older = np.flatnonzero(self.group_row[relax.gid[self.col_pair]] >= num_rows)
            row = self.group_row[relax.gid[self.col_pair[older]]] - num_rows
            order = np.argsort(row, kind="stable")
            starts = np.searchsorted(row[order], np.arange(need.size))
            self.lp.add_rows(np.full(need.size, -np.inf), np.ones(need.size), starts, self.num_extra + older[order],
                             np.ones(older.size))
        k = idx.size
        cols = np.arange(k)
        rows, at, vals = [relax.w[idx]], [cols], [np.ones(k)]
        for row, value in ((self.cap_row[relax.res[idx]], relax.used[idx]), (self.group_row[g], np.ones(k))):
            has = row >= 0
            rows.append(row[has])
            at.append(cols[has])
            vals.append(value[has])
        spend = relax.spend[idx]
        if self.budget_row >= 0:
            rows.append(np.full(k, self.budget_row))
            at.append(cols)
            vals.append(spend)
        if self.share_row0 >= 0:
            for c in range(relax.nclouds):
                rows.append(np.full(k, self.share_row0 + c))
                at.append(cols)
                vals.append(spend * ((relax.cloud[idx] == c) - relax.share))
        A = sp.csc_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(at))),
                         shape=(self.lp.num_rows, k))
        A.sort_indices()
        upper = np.where(self.group_spread[g], 1.0, np.inf)  # the workload row bounds the others
        self.lp.add_cols(relax.cost[idx], np.zeros(k), upper, A.indptr[:-1], A.indices, A.data)
        self.col_pair = np.concatenate([self.col_pair, idx])
        return k

    def solve(self, time_limit: float) -> tuple[bool, float, Multipliers | None, np.ndarray | None,
                                                np.ndarray | None]:
        """Solve; return ``(optimal, objective, multipliers, workload duals, spread-group duals)``.

        HiGHS reports ``row_dual = y`` with reduced costs ``c - A'y``: a binding
        ``<=`` row of a minimization has ``y <= 0``, so the multipliers are ``-y``.
        """
        relax = self.relax
        out = self.lp.solve(time_limit)
        optimal, y = out.optimal, out.row_dual
        if y.size != self.lp.num_rows:
            return False, math.nan, None, None, None
        lam = np.zeros(relax.cap.size)
        has = self.cap_row >= 0
        lam[has] = np.maximum(0.0, -y[self.cap_row[has]])
        nu = max(0.0, -float(y[self.budget_row])) if self.budget_row >= 0 else 0.0
        mu = np.zeros(relax.nclouds)
        if self.share_row0 >= 0:
            mu = np.maximum(0.0, -y[self.share_row0:self.share_row0 + relax.nclouds])
        sigma = np.where(self.group_row >= 0, -y[np.maximum(self.group_row, 0)], 0.0)
        # a spread group with one column: the dual of its upper bound 1 is the group's price
        col_dual = out.col_dual[self.num_extra:]
        g = relax.gid[self.col_pair]
        lone = self.group_spread[g] & (self.group_row[g] < 0)
        np.maximum.at(sigma, g[lone], -col_dual[lone])
        objective = out.objective
        return optimal, objective, Multipliers(lam, nu, mu), y[:relax.n.size], np.maximum(sigma, 0.0)


def _cheapest_per_workload(relax: Relaxation, score: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` candidate pairs of each workload, the lowest ``score`` first."""
    order = candidates[np.lexsort((score[candidates], relax.w[candidates]))]
    wo = relax.w[order]
    first = np.flatnonzero(_first_of_runs(wo))
    rank = np.arange(wo.size) - np.repeat(first, np.diff(np.append(first, wo.size)))
    return order[rank < k]


def lp_bound(relax: Relaxation, start: Multipliers | None = None, columns: np.ndarray | None = None, *,
             time_budget: float = 30.0, tol: float = 1e-7, per_workload: int = 3,
             initial_per_workload: int = 4) -> LPBound:
    """The LP bound by column generation over the pairs, certified by the Lagrangian function.

    The master LP starts with ``columns`` and the ``initial_per_workload``
    cheapest pairs of each workload at the prices ``start`` (four rather than two:
    at 10^5 replicas x 200 offerings the first master takes longer, but the
    re-solve after the first round, whose dual phase 1 dominated, gets far
    shorter: 8.5 s instead of 12.5 s in all); each round adds up
    to ``per_workload`` pairs of negative reduced cost per workload. The capacity,
    budget and share duals of every master solution are multipliers of the
    Lagrangian relaxation, whose value, computed here over *all* pairs, is a
    valid lower bound whatever the LP solver's tolerances. When no pair prices
    out, the master is the LP relaxation and the bound is the LP bound.

    Returns ``(bound, multipliers at the bound, converged, rounds)``; the bound
    is never below the Lagrangian function at ``start`` (a master stopped by the
    time limit has duals that may be far worse).
    """
    deadline = time.perf_counter() + time_budget
    start = start or Multipliers.zero(relax)
    master = _RestrictedMaster(relax)
    adj = relax.priced(start.lam, start.nu, start.mu)
    first = _cheapest_per_workload(relax, adj, np.arange(relax.w.size), initial_per_workload)
    master.add(first if columns is None else np.concatenate([first, columns]))
    best, best_mult, converged, rounds = relax.subproblem(start.lam, start.nu, start.mu)[0], start, False, 0
    while time.perf_counter() < deadline:
        optimal, objective, mult, pi, sigma = master.solve(deadline - time.perf_counter())
        rounds += 1
        if mult is None:
            break
        value = relax.subproblem(mult.lam, mult.nu, mult.mu)[0]
        if value > best:
            best, best_mult = value, mult
        if not optimal:
            break
        if objective - best <= tol * max(1.0, abs(objective)):
            converged = True
            break
        adj = relax.priced(mult.lam, mult.nu, mult.mu)
        reduced = adj - pi[relax.w] + sigma[relax.gid]
        negative = np.flatnonzero((reduced < -1e-9 * np.maximum(1.0, np.abs(adj))) & ~master.in_master)
        if not master.add(_cheapest_per_workload(relax, reduced, negative, per_workload)):
            converged = True  # nothing prices out: the master's optimum is the LP's (up to tolerances)
            break
    return LPBound(best, best_mult, converged, rounds)


def _sample_relaxation(inp: PlacementInput, pairs: Pairs, size: int, seed: int = 0) -> Relaxation:
    """A random sample of workloads with proportionally scaled capacity and budget (the POP argument)."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(inp.num_workloads, size, replace=False))
    demand = inp.gpus * inp.replicas
    frac = float(demand[idx].sum() / demand.sum())
    sub = inp.subset(idx, capacity=inp.capacity * frac,
                     budget=None if inp.budget is None else inp.budget * frac)
    keep = np.zeros(inp.num_workloads, dtype=bool)
    keep[idx] = True
    sample_pairs = pairs.take(np.flatnonzero(keep[pairs.w]))
    remap = np.full(inp.num_workloads, -1)
    remap[idx] = np.arange(idx.size)
    sample_pairs.w = remap[sample_pairs.w]
    return Relaxation(sub, sample_pairs)


#: Over this many workloads, the column generation starts from the LP prices of a random 10% sample.
SAMPLE_ABOVE_WORKLOADS = 20_000


def solve_heuristic(instance: PlacementInstance, options: SolveOptions, *, iterations: int = 1000) -> Solution:
    """LP bound by column generation + greedy/repair/local search: the ``"heuristic"`` backend.

    The bound is the Lagrangian function at the duals of the LP relaxation,
    reached by column generation (:func:`lp_bound`, up to 60% of the budget);
    instances over ``SAMPLE_ABOVE_WORKLOADS`` workloads start it from the LP
    prices of a random 10% sample. Should the LP not finish, the subgradient
    continues from its best prices until it stops improving the bound, proves the
    plan within ``min(options.mip_gap, 1e-4)``, or 75% of the budget has passed.
    The plan is the greedy's at the LP duals; without them (or when that plan
    misses a side constraint) also at the start prices and along the subgradient.

    The budget is ``options.remaining()``; without a time limit the phases are
    paced on :data:`~.schema.NOMINAL_TIME_LIMIT` seconds. ``Solution.x`` holds the
    replicas per pair in the order of ``instance.pairs``; ``attr["multipliers"]``
    the :class:`Multipliers` at the bound (capacity prices for POP's whole bound).
    Without a feasible plan the status is ``time_limit`` when a budget was given
    and spent, else ``error`` (the heuristic proves no infeasibility).
    """
    t0 = time.perf_counter()
    inp, pairs = instance.data, instance.pairs
    timings: dict[str, float] = {}
    left = options.remaining()
    budget = NOMINAL_TIME_LIMIT if left is None else left
    gap_target = _SUBGRADIENT_GAP if options.mip_gap is None else min(options.mip_gap, _SUBGRADIENT_GAP)
    relax = Relaxation(inp, pairs)
    deadline = t0 + budget
    best_plan: list[_Plan] = []

    def try_plan(mult: Multipliers) -> float:
        t = time.perf_counter()
        plan = _plan_from_multipliers(relax, mult, deadline)
        timings["plan"] = timings.get("plan", 0.0) + time.perf_counter() - t
        if not plan.violations():
            if not best_plan or plan.objective() < best_plan[0].objective():
                best_plan[:] = [plan]
            return plan.objective()
        return math.inf

    start = Multipliers.zero(relax)
    if inp.num_workloads > SAMPLE_ABOVE_WORKLOADS:
        t = time.perf_counter()
        sample = _sample_relaxation(inp, pairs, max(5_000, inp.num_workloads // 10))
        start = lp_bound(sample, time_budget=0.1 * budget).multipliers
        timings["warm_start"] = time.perf_counter() - t
    t = time.perf_counter()
    bound, best_mult, converged, rounds = lp_bound(
        relax, start, time_budget=max(0.0, 0.6 * budget - (time.perf_counter() - t0)))
    timings["lp"] = time.perf_counter() - t
    how = f"LP duals, {rounds} column generation round(s)"
    if converged:
        try_plan(best_mult)
    if not converged or not best_plan:
        upper = try_plan(start)
        if not converged and math.isfinite(bound):
            upper = min(upper, try_plan(best_mult))
    if not converged:
        t = time.perf_counter()
        value, mult, last_mult, upper = lagrangian_bound(
            relax, iterations=iterations, time_budget=max(0.0, 0.75 * budget - (time.perf_counter() - t0)),
            upper=upper, on_improve=try_plan, tol=gap_target, theta=0.5 if math.isfinite(bound) else 2.0,
            patience=20, start=best_mult if math.isfinite(bound) else None,
            improve_every=25 if relax.w.size < 200_000 else 100)
        if value > bound:
            bound, best_mult = value, mult
            try_plan(best_mult)
        try_plan(last_mult)
        timings["subgradient"] = time.perf_counter() - t
        how = f"LP unfinished after {rounds} column generation round(s), then subgradient"
    attr = {"multipliers": best_mult}
    if not best_plan:
        plan = _plan_from_multipliers(relax, best_mult, deadline)
        text = "heuristic found no feasible plan: " + "; ".join(plan.violations()) + \
            " (not proven infeasible; try an exact backend)"
        status = Status.TIME_LIMIT if options.expired() else Status.ERROR
        return Solution(status, None, math.nan, bound, text, timings, attr)
    plan = best_plan[0]
    objective = plan.objective()
    bound = min(bound, objective)
    gap = relative_gap(objective, bound)
    status = Status.OPTIMAL if gap == 0.0 else Status.FEASIBLE
    replicas = np.empty_like(plan.counts)
    replicas[relax.order] = plan.counts
    text = f"heuristic: Lagrangian bound {bound:.6g} ({how}), plan {objective:.6g}, gap {gap:.3%}"
    return Solution(status, replicas, objective, bound, text, timings, attr)
