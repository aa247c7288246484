"""Vectorized placement heuristic with a certified lower bound.

Bound: Lagrangian relaxation of the coupling rows of the MILP in
:mod:`.formulation` (capacity per offering and mode, budget, cloud-share cap)
with multipliers ``lam >= 0``. What remains separates by workload: each
replica takes its cheapest pair at the *priced* cost
``cost + lam[res] * gpus_used + spend * (nu + mu[cloud] - share * sum(mu))`` or
stays unplaced at its penalty, with spread workloads taking their cheapest
distinct regions. For any ``lam >= 0`` that minimum minus ``lam @ rhs`` is a
lower bound on the optimum; projected subgradient steps (Polyak's rule,
target = the best plan found) raise it. The Lagrangian dual equals the LP
bound, so on moderate instances the LP relaxation's duals (HiGHS) give the best
multipliers at once; on large ones a random 10% sample warms the prices up.

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
from dataclasses import dataclass

import numpy as np

from ...result import Status, relative_gap
from .formulation import Pairs, group_keys
from .schema import PlacementInput

__all__ = ["solve_heuristic", "lagrangian_bound", "Relaxation"]

_TOL = 1e-9


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
    ``group_cap`` replicas (1 for spread, all replicas otherwise).
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
        self.gw = self.w[self.gstart]
        n = inp.replicas.astype(np.float64)
        self.gcap = np.where(inp.spread[self.gw], 1.0, n[self.gw])
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
        self.sp = np.flatnonzero(inp.spread[self.gw])
        sp_w = self.gw[self.sp]
        sp_first = _first_of_runs(sp_w)
        self.sp_start = np.flatnonzero(sp_first)
        self.sp_len = np.diff(np.append(self.sp_start, sp_w.size))
        self.sp_w = sp_w[self.sp_start]
        self.sp_max = int(inp.replicas[self.sp_w].max()) if self.sp_w.size else 0

    # -- the Lagrangian subproblem -------------------------------------------------
    def priced(self, lam: np.ndarray, nu: float, mu: np.ndarray) -> np.ndarray:
        """Cost of every pair with the multipliers folded in."""
        adj = self.cost + lam[self.res] * self.used
        extra = nu + (mu[self.cloud] - self.share * mu.sum() if self.share is not None else 0.0)
        if np.any(extra != 0):
            adj = adj + self.spend * extra
        return adj

    def subproblem(self, lam: np.ndarray, nu: float, mu: np.ndarray):
        """Solve the relaxed problem; return (value, pair per group, replicas per group, unplaced per workload)."""
        adj = self.priced(lam, nu, mu)
        if self.gstart.size == 0:
            return (float(self.n @ self.pen) - float(lam @ self.cap_f), np.empty(0, np.int64), np.empty(0),
                    self.n.copy())
        gmin, garg = _segment_argmin(adj, self.gstart, self.glen)
        pen_g = self.pen[self.gw]
        take = np.where(gmin < pen_g, self.gcap, 0.0)  # whole workload on its best pair (non-spread)
        if self.sp.size:  # spread: the n cheapest distinct regions below the penalty
            v = np.where(take[self.sp] > 0, gmin[self.sp], np.inf)
            remaining = self.n[self.sp_w].copy()
            chosen = np.zeros(self.sp.size, dtype=bool)
            for _ in range(self.sp_max):
                mins, first = _segment_argmin(v, self.sp_start, self.sp_len)
                ok = np.isfinite(mins) & (remaining > 0)
                if not ok.any():
                    break
                chosen[first[ok]] = True
                v[first[ok]] = np.inf
                remaining[ok] -= 1
            take[self.sp] = chosen
        placed = np.bincount(self.gw, weights=take, minlength=self.n.size)
        left = self.n - placed
        with np.errstate(invalid="ignore"):
            pen_cost = np.where(left > 0, left * self.pen, 0.0)
        value = float(take @ gmin) + float(pen_cost.sum())
        value -= float(lam @ self.cap_f)
        if self.inp.budget is not None:
            value -= nu * self.inp.budget
        return value, garg, take, left

    def usage(self, sel: np.ndarray, take: np.ndarray):
        """GPUs per resource, total spend and spend per cloud of a selection."""
        gpus = np.bincount(self.res[sel], weights=take * self.used[sel], minlength=self.cap.size)
        spend_c = np.bincount(self.cloud[sel], weights=take * self.spend[sel], minlength=self.nclouds)
        return gpus, float(spend_c.sum()), spend_c


@dataclass
class _Multipliers:
    lam: np.ndarray
    nu: float
    mu: np.ndarray


def lagrangian_bound(relax: Relaxation, *, iterations: int = 200, time_budget: float = 30.0,
                     upper: float = math.nan, on_improve=None, tol: float = 1e-4, theta: float = 2.0,
                     patience: int = 20, start: _Multipliers | None = None, improve_every: int = 25):
    """Projected subgradient ascent on the Lagrangian dual.

    Returns ``(best bound, multipliers at the best bound, last multipliers)``.
    ``upper`` (a known plan's cost) is the Polyak target; ``on_improve(mult)``
    may return a better upper value (e.g. by running the greedy).
    """
    inp = relax.inp
    if start is None:
        lam, nu, mu = np.zeros(relax.cap.size), 0.0, np.zeros(relax.nclouds)
    else:
        lam, nu, mu = start.lam.copy(), start.nu, start.mu.copy()
    best = -math.inf
    best_mult = _Multipliers(lam.copy(), nu, mu.copy())
    stall = 0
    deadline = time.perf_counter() + time_budget
    for it in range(iterations):
        value, sel, take, left = relax.subproblem(lam, nu, mu)
        if not math.isfinite(value):
            break  # a must-place workload has no pair: the caller diagnoses it
        if best == -math.inf or value > best + 1e-12 * max(1.0, abs(best)):
            best, stall = value, 0
            best_mult = _Multipliers(lam.copy(), nu, mu.copy())
        else:
            stall += 1
            if stall >= patience:
                theta, stall = theta / 2, 0
        if on_improve is not None and (it % improve_every == improve_every - 1):
            cand = on_improve(_Multipliers(lam.copy(), nu, mu.copy()))
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
    return best, best_mult, _Multipliers(lam, nu, mu), upper


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
        rx = self.relax
        np.add.at(self.counts, idx, k)
        self.rem -= np.bincount(rx.res[idx], weights=k * rx.used[idx], minlength=self.rem.size)
        self.need -= np.bincount(rx.w[idx], weights=k, minlength=self.need.size)
        spread = self.relax.inp.spread[rx.w[idx]]
        self.blocked[rx.gid[idx[spread & (k > 0)]]] = True
        gone = spread & (k < 0)
        if gone.any():
            self.blocked[rx.gid[idx[gone]]] = False

    def fits(self) -> np.ndarray:
        """Pairs that could take one more replica now."""
        rx = self.relax
        return (self.rem[rx.res] >= rx.used - _TOL) & ~(self.blocked[rx.gid] & rx.inp.spread[rx.w])

    def objective(self) -> float:
        rx = self.relax
        left = self.need
        pen = float(np.where(left > 0, left * np.where(np.isinf(rx.pen), 0.0, rx.pen), 0.0).sum())
        return float(self.counts @ rx.cost) + pen

    def spend(self) -> tuple[float, np.ndarray]:
        rx = self.relax
        by_cloud = np.bincount(rx.cloud, weights=self.counts * rx.spend, minlength=rx.nclouds)
        return float(by_cloud.sum()), by_cloud

    def violations(self) -> list[str]:
        rx = self.relax
        out = []
        missing = (self.need > 0.5) & np.isinf(rx.pen)
        if missing.any():
            out.append(f"{int(self.need[missing].sum())} replica(s) that must be placed found no capacity")
        total, by_cloud = self.spend()
        if rx.inp.budget is not None and total > rx.inp.budget * (1 + 1e-9) + 1e-9:
            out.append(f"spend {total:.2f} USD exceeds the budget {rx.inp.budget:.2f}")
        if rx.share is not None and total > 0 and by_cloud.max() > rx.share * total * (1 + 1e-9) + 1e-9:
            out.append(f"a cloud takes {by_cloud.max() / total:.1%} of the spend (cap {rx.share:.0%})")
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


def local_search(plan: _Plan, *, rounds: int = 30, deadline: float = math.inf) -> _Plan:
    """Move replicas to cheaper pairs with room, place or unplace at the penalty."""
    rx = plan.relax
    if rx.inp.budget is not None or rx.share is not None or rx.w.size == 0:
        return plan  # moves could break the budget or the share cap: keep the priced greedy's plan
    for _ in range(rounds):
        if time.perf_counter() > deadline:
            break
        ok = plan.fits()
        cand_cost = np.where(ok, rx.cost, np.inf)
        cmin, carg = _segment_argmin(cand_cost, rx.wstart, rx.wlen)
        cw = rx.w[rx.wstart]
        # worst placed pair of each workload
        placed = np.flatnonzero(plan.counts > 0)
        moves_from, moves_to, amount, gain = [], [], [], []
        if placed.size:
            pw = rx.w[placed]
            order = np.lexsort((-rx.cost[placed], pw))
            worst = placed[order][_first_of_runs(pw[order])]
            ww = rx.w[worst]
            best_cost = np.full(rx.n.size, np.inf)
            best_idx = np.full(rx.n.size, -1)
            best_cost[cw] = cmin
            best_idx[cw] = carg
            alt = np.minimum(best_cost[ww], np.where(np.isinf(rx.pen[ww]), np.inf, rx.pen[ww]))
            better = alt < rx.cost[worst] - 1e-9 * np.maximum(1.0, rx.cost[worst])
            src = worst[better]
            to_pen = best_cost[ww[better]] >= rx.pen[ww[better]]
            # unplace where the penalty is the cheaper choice
            if to_pen.any():
                s = src[to_pen]
                plan.apply(s, -plan.counts[s])
            src = src[~to_pen]
            if src.size:
                dst = best_idx[rx.w[src]]
                cnt = np.where(rx.inp.spread[rx.w[src]], 1.0, plan.counts[src])
                moves_from.append(src)
                moves_to.append(dst)
                amount.append(cnt)
                gain.append(rx.cost[src] - rx.cost[dst])
        # place penalized replicas where a pair is cheaper than the penalty
        # (one proposal per workload and round: two could claim the same region of a spread workload)
        moving = np.zeros(rx.n.size, dtype=bool)
        for src_ in moves_from:
            moving[rx.w[src_]] = True
        waiting = cw[(plan.need[cw] > 0.5) & np.isfinite(cmin) & (cmin < rx.pen[cw]) & ~moving[cw]]
        if waiting.size:
            pos = np.searchsorted(cw, waiting)
            dst = carg[pos]
            moves_from.append(np.full(waiting.size, -1))
            moves_to.append(dst)
            amount.append(np.where(rx.inp.spread[waiting], 1.0, plan.need[waiting]))
            gain.append(rx.pen[waiting] - rx.cost[dst])
        if not moves_to:
            break
        src, dst = np.concatenate(moves_from), np.concatenate(moves_to)
        cnt, g = np.concatenate(amount), np.concatenate(gain)
        k = _accept(rx.res[dst], rx.used[dst], cnt, g, plan.rem)
        mv = k > 0
        if not mv.any():
            break
        src, dst, k = src[mv], dst[mv], k[mv]
        real = src >= 0
        plan.apply(src[real], -k[real])
        plan.apply(dst, k)
    return plan


def _violation(by_cloud: np.ndarray, total: np.ndarray, budget: float | None, share: float | None) -> np.ndarray:
    """Total excess over the budget and the share cap, per row of ``by_cloud`` (candidates x clouds)."""
    v = np.zeros(total.shape)
    if budget is not None:
        v += np.maximum(0.0, total - budget)
    if share is not None:
        v += np.maximum(0.0, by_cloud - share * total[:, None]).sum(axis=1)
    return v


def repair_side_constraints(plan: _Plan, *, deadline: float = math.inf, max_moves: int = 2_000) -> _Plan:
    """Move or drop replicas, one at a time, until the budget and the cloud-share cap hold.

    Candidates for every placed replica: its cheapest pair with room in each
    cloud, its lowest-spend pair with room, and (with a penalty) dropping it.
    Each step takes the candidate with the least added cost per USD of total
    violation (budget excess plus share excess) removed.
    """
    rx = plan.relax
    budget, share = rx.inp.budget, rx.share
    if (budget is None and share is None) or rx.w.size == 0:
        return plan
    nc = rx.nclouds
    for _ in range(max_moves):
        total, by_cloud = plan.spend()
        now = float(_violation(by_cloud[None, :], np.array([total]), budget, share)[0])
        if now <= 1e-9 * max(1.0, total) or time.perf_counter() > deadline:
            break
        placed = np.flatnonzero(plan.counts > 0.5)
        if not placed.size:
            break
        ok = plan.fits()
        wp = rx.w[placed]
        dests = []
        masks = [ok & (rx.cloud == c) for c in range(nc)]
        for mask, key in [(m, rx.cost) for m in masks] + [(ok, rx.spend)]:
            amin, aarg = _segment_argmin(np.where(mask, key, np.inf), rx.wstart, rx.wlen)
            best = np.full(rx.n.size, -1)
            fin = np.isfinite(amin)
            best[rx.w[rx.wstart][fin]] = aarg[fin]
            dests.append(best[wp])
        dst = np.stack(dests + [np.full(placed.size, -1)], axis=1)  # last column: drop the replica
        src = np.repeat(placed, dst.shape[1])
        dst = dst.ravel()
        drop = np.tile(np.r_[np.zeros(nc + 1, dtype=bool), True], placed.size)
        valid = (dst >= 0) | (drop & np.isfinite(rx.pen[rx.w[src]]))
        src, dst, drop = src[valid], dst[valid], drop[valid]
        if not src.size:
            break
        d = np.maximum(dst, 0)
        spend_to = np.where(drop, 0.0, rx.spend[d])
        new_by = np.tile(by_cloud, (src.size, 1))
        rows = np.arange(src.size)
        new_by[rows, rx.cloud[src]] -= rx.spend[src]
        np.add.at(new_by, (rows[~drop], rx.cloud[d][~drop]), spend_to[~drop])
        new_total = total - rx.spend[src] + spend_to
        gain = now - _violation(new_by, new_total, budget, share)
        extra = np.where(drop, rx.pen[rx.w[src]], rx.cost[d]) - rx.cost[src]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(gain > 1e-9 * max(1.0, total), extra / gain, np.inf)
        i = int(np.argmin(ratio))
        if not np.isfinite(ratio[i]):
            break
        plan.apply(src[[i]], np.array([-1.0]))
        if not drop[i]:
            plan.apply(dst[[i]], np.array([1.0]))
    return plan


def _plan_from_multipliers(relax: Relaxation, mult: _Multipliers, deadline: float) -> _Plan:
    adj = relax.priced(mult.lam, mult.nu, mult.mu)
    plan = greedy(relax, adj)
    for _ in range(3):  # repair: workloads left without capacity go first
        stuck = (plan.need > 0.5) & np.isinf(relax.pen)
        if not stuck.any():
            break
        plan = greedy(relax, adj, first=stuck | (plan.need > 0.5) & np.isinf(relax.pen))
    return repair_side_constraints(local_search(plan, deadline=deadline), deadline=deadline)


def _sample_start(inp: PlacementInput, pairs: Pairs, size: int, time_budget: float, seed: int = 0) -> _Multipliers:
    """Capacity prices from a random sample of workloads with proportionally scaled capacity.

    Prices of a random sample are close to those of the whole (the POP argument),
    and each subgradient step on the sample is ``W / size`` times cheaper: a warm start.
    """
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(inp.num_workloads, size, replace=False))
    demand = inp.gpus * inp.replicas
    frac = float(demand[idx].sum() / demand.sum())
    sub = inp.subset(idx, capacity=inp.capacity * frac,
                     budget=None if inp.budget is None else inp.budget * frac)
    keep = np.zeros(inp.num_workloads, dtype=bool)
    keep[idx] = True
    sp = pairs.take(np.flatnonzero(keep[pairs.w]))
    remap = np.full(inp.num_workloads, -1)
    remap[idx] = np.arange(idx.size)
    sp.w = remap[sp.w]
    srx = Relaxation(sub, sp)

    def plan_value(mult: _Multipliers) -> float:
        plan = local_search(greedy(srx, srx.priced(mult.lam, mult.nu, mult.mu)))
        return plan.objective() if not plan.violations() else math.inf

    upper = plan_value(_Multipliers(np.zeros(srx.cap.size), 0.0, np.zeros(srx.nclouds)))
    _, best, _, _ = lagrangian_bound(srx, iterations=400, time_budget=time_budget, upper=upper,
                                     on_improve=plan_value, theta=2.0, patience=20)
    return best


def _lp_prices(inp: PlacementInput, pairs: Pairs, relax: Relaxation, time_limit: float) -> _Multipliers | None:
    """Multipliers from the duals of the LP relaxation (HiGHS), for instances of moderate size.

    The Lagrangian dual of this relaxation equals the LP bound, so the LP's row
    duals are optimal multipliers. Their value is re-evaluated with our own
    subproblem, so the bound does not rest on the LP solver's tolerances.
    """
    import highspy

    from ...backends.highs import build_highs
    from .formulation import build_model

    model, layout = build_model(inp, pairs)
    model.integrality[:] = False
    h = build_highs(model)
    h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    duals = np.asarray(h.getSolution().row_dual, dtype=np.float64)
    best, best_value = None, -math.inf
    for sign in (-1.0, 1.0):  # HiGHS's sign convention for the duals of <= rows, checked by evaluation
        lam = np.zeros(relax.cap.size)
        lam[layout.capacity_resources] = np.maximum(0.0, sign * duals[layout.capacity_rows])
        nu = max(0.0, sign * duals[layout.budget_row]) if layout.budget_row >= 0 else 0.0
        mu = np.zeros(relax.nclouds)
        if layout.share_rows.size:
            mu[:] = np.maximum(0.0, sign * duals[layout.share_rows])
        mult = _Multipliers(lam, nu, mu)
        value = relax.subproblem(lam, nu, mu)[0]
        if value > best_value:
            best, best_value = mult, value
    return best


#: Up to this many pairs, the heuristic also solves the LP relaxation for its prices and bound.
LP_MAX_PAIRS = 150_000


def solve_heuristic(inp: PlacementInput, pairs: Pairs, *, time_limit: float = 60.0, iterations: int = 1000,
                    return_multipliers: bool = False):
    """Lagrangian bound + greedy/repair/local search; same return shape as the exact backends.

    Moderate instances (up to ``LP_MAX_PAIRS`` pairs) start from the duals of the
    LP relaxation, whose Lagrangian value is the LP bound; large ones (over 20,000
    workloads) from the capacity prices of a random 10% sample. The subgradient
    gets 45% of ``time_limit``.

    Returns ``(status, counts per pair, bound, message, timings)`` with the
    counts in the order of ``pairs``.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    relax = Relaxation(inp, pairs)
    deadline = t0 + time_limit
    best_plan: list[_Plan] = []

    def try_plan(mult: _Multipliers) -> float:
        plan = _plan_from_multipliers(relax, mult, deadline)
        if not plan.violations():
            if not best_plan or plan.objective() < best_plan[0].objective():
                best_plan[:] = [plan]
            return plan.objective()
        return math.inf

    t = time.perf_counter()
    start = None
    if inp.num_workloads > 20_000:
        start = _sample_start(inp, pairs, max(5_000, inp.num_workloads // 10), 0.1 * time_limit)
        timings["warm_start"] = time.perf_counter() - t
    elif pairs.size <= LP_MAX_PAIRS:
        start = _lp_prices(inp, pairs, relax, 0.2 * time_limit)
        timings["lp"] = time.perf_counter() - t
    upper = try_plan(start or _Multipliers(np.zeros(relax.cap.size), 0.0, np.zeros(relax.nclouds)))
    remaining = max(0.0, 0.45 * time_limit - (time.perf_counter() - t0))
    bound, best_mult, last_mult, upper = lagrangian_bound(
        relax, iterations=iterations, time_budget=remaining, upper=upper, on_improve=try_plan,
        theta=0.5 if start is not None else 2.0, patience=20, start=start,
        improve_every=25 if relax.w.size < 200_000 else 100)
    timings["bound"] = time.perf_counter() - t
    t = time.perf_counter()
    try_plan(best_mult)
    try_plan(last_mult)
    timings["plan"] = time.perf_counter() - t
    if not best_plan:
        plan = _plan_from_multipliers(relax, best_mult, deadline)
        text = "heuristic found no feasible plan: " + "; ".join(plan.violations()) + \
            " (not proven infeasible; try an exact backend)"
        out = (Status.ERROR, None, bound, text, timings)
        return (*out, best_mult) if return_multipliers else out
    plan = best_plan[0]
    objective = plan.objective()
    bound = min(bound, objective)
    gap = relative_gap(objective, bound)
    status = Status.OPTIMAL if gap == 0.0 else Status.FEASIBLE
    counts = np.empty_like(plan.counts)
    counts[relax.order] = plan.counts
    text = f"heuristic: Lagrangian bound {bound:.6g}, plan {objective:.6g}, gap {gap:.3%}"
    out = (status, counts, bound, text, timings)
    return (*out, best_mult) if return_multipliers else out
