"""The one canonical placement model: compatible pairs, their costs, and the MILP.

Replicas of one workload are interchangeable, so the model counts them: for each
compatible *pair* ``p = (workload w, offering o, mode m)``, ``y[p]`` is the number
of replicas of ``w`` placed on ``o`` in mode ``m``, and ``u[w]`` the number left
unplaced (only for workloads with a finite ``unplaced_penalty``)::

    minimize    sum_p cost[p] y[p] + sum_w penalty[w] u[w]
    subject to  sum_{p of w} y[p] + u[w] = replicas[w]                 (every replica once)
                sum_{p on (o, m)} gpus_used[p] y[p] <= capacity[o, m]  (finite capacities)
                sum_{p of w in region g} y[p] <= 1                     (spread workloads)
                sum_p spend[p] y[p] <= budget
                sum_p spend[p] y[p] (1[cloud(p) = c] - share) <= 0      (every cloud c)
                y, u integer >= 0;  y[p] <= 1 for spread workloads

This is the 0/1 model ``z[r, o, m]`` (docs/design.md) with the replicas of a
workload aggregated, which is exact (they are identical) and much smaller.
``spend`` is the money paid (compute + egress); ``cost`` adds the carbon price.
Pairs are generated in bulk: one boolean mask per workload *profile* (accelerator,
clouds, regions) against the catalog, expanded with ``repeat``/``tile``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...model import LinearModel
from .schema import MODES, PlacementInput

__all__ = ["Pairs", "build_pairs", "build_model", "plan_tables", "ASSIGNMENT_COLUMNS", "UNPLACED_COLUMNS"]

ASSIGNMENT_COLUMNS = ["workload", "replica", "cloud", "region", "instance_type", "mode", "instances", "gpus",
                      "compute_cost", "egress_cost", "emissions_kg", "cost"]
UNPLACED_COLUMNS = ["workload", "replica", "penalty"]
_TOL = 1e-9


@dataclass
class Pairs:
    """Compatible (workload, offering, mode) pairs, sorted by workload, with their costs."""

    w: np.ndarray
    o: np.ndarray
    mode: np.ndarray
    instances: np.ndarray
    used: np.ndarray  # GPUs of capacity taken per replica
    compute: np.ndarray
    egress: np.ndarray
    emissions: np.ndarray  # kg CO2 per replica
    cost: np.ndarray
    loc: np.ndarray
    cloud: np.ndarray

    @property
    def size(self) -> int:
        return int(self.w.size)

    @property
    def res(self) -> np.ndarray:
        """Resource index ``3 * offering + mode`` of each pair."""
        return self.o * 3 + self.mode

    @property
    def spend(self) -> np.ndarray:
        """Money paid per replica (compute + egress), what the budget and share cap limit."""
        return self.compute + self.egress

    def take(self, idx: np.ndarray) -> Pairs:
        return Pairs(**{k: getattr(self, k)[idx] for k in self.__dataclass_fields__})


def _cartesian_by_profile(inp: PlacementInput) -> tuple[np.ndarray, np.ndarray]:
    """All (workload, offering) pairs allowed by the profiles, sorted by workload."""
    order = np.argsort(inp.profile, kind="stable")
    bounds = np.searchsorted(inp.profile[order], np.arange(inp.allowed.shape[0] + 1))
    ws, os_ = [], []
    for p in range(inp.allowed.shape[0]):
        members = order[bounds[p]:bounds[p + 1]]
        offers = np.flatnonzero(inp.allowed[p])
        if members.size and offers.size:
            ws.append(np.repeat(members, offers.size))
            os_.append(np.tile(offers, members.size))
    if not ws:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    w, o = np.concatenate(ws), np.concatenate(os_)
    idx = np.argsort(w, kind="stable")
    return w[idx], o[idx]


def instances_needed(gpus: np.ndarray, per_instance: np.ndarray) -> np.ndarray:
    """Whole instances to rent for ``gpus`` GPUs: ``ceil(gpus / per_instance)``.

    >>> instances_needed(np.array([1, 8, 9]), np.array([8, 8, 0.5]))
    array([ 1.,  1., 18.])
    """
    return np.ceil(gpus / per_instance - 1e-9)


def build_pairs(inp: PlacementInput, *, reduce: bool = True) -> Pairs:
    """Generate every compatible pair with its cost, vectorized.

    A pair exists when the workload's profile allows the offering, the mode has
    capacity for at least one replica (spot also needs ``spot_ok`` and a spot
    price). With ``reduce``, pairs that can never beat a cheaper pair of the same
    workload (and region, for spread workloads) on an offering of unlimited
    capacity are dropped; this keeps the optimum (it is skipped under a cloud-share cap).
    """
    w, o = _cartesian_by_profile(inp)
    inst = instances_needed(inp.gpus[w], inp.accel_count[o])
    used = inst * inp.accel_count[o]
    fits = inp.capacity[o] >= (used - _TOL)[:, None]
    fits[:, 2] &= inp.spot_ok[w] & ~np.isnan(inp.spot_price[o])
    row, mode = np.nonzero(fits)  # row-major: keeps the workload order
    w, o, inst, used = w[row], o[row], inst[row], used[row]
    run_hours = inp.hours[w] / inp.throughput[o]
    unit = np.stack([np.zeros_like(inp.price), inp.price, np.nan_to_num(inp.spot_price)], axis=1)
    compute = inst * unit[o, mode] * run_hours
    egress = np.zeros_like(compute)
    has_data = inp.data_loc[w] >= 0
    if has_data.any():
        egress[has_data] = inp.data_gb[w[has_data]] * inp.egress_rate[inp.data_loc[w[has_data]],
                                                                      inp.off_loc[o[has_data]]]
    emissions = used * inp.gpu_watts[o] * run_hours * inp.carbon[o] / 1e6
    cost = compute + egress + inp.carbon_price * emissions / 1000.0
    pairs = Pairs(w, o, mode.astype(np.int8), inst, used, compute, egress, emissions, cost,
                  inp.off_loc[o], inp.off_cloud_code[o])
    if reduce and inp.max_cloud_share is None and pairs.size:
        pairs = pairs.take(_undominated(inp, pairs))
    return pairs


def group_keys(inp: PlacementInput, pairs: Pairs) -> np.ndarray:
    """Key of the spread group of each pair: workload and region for spread workloads, else workload."""
    nloc = len(inp.locations) + 1
    return pairs.w * nloc + np.where(inp.spread[pairs.w], pairs.loc, nloc - 1)


def _undominated(inp: PlacementInput, pairs: Pairs) -> np.ndarray:
    """Indices of pairs not dominated by the cheapest unlimited pair of their group."""
    key = group_keys(inp, pairs)
    unlimited = np.isinf(inp.capacity[pairs.o, pairs.mode])
    cu = np.where(unlimited, pairs.cost, np.inf)
    order = np.lexsort((cu, key))
    ks = key[order]
    new = np.empty(ks.size, dtype=bool)
    new[0] = True
    new[1:] = ks[1:] != ks[:-1]
    gid_sorted = np.cumsum(new) - 1
    gid = np.empty_like(gid_sorted)
    gid[order] = gid_sorted
    best = order[new]  # the cheapest unlimited pair of each group (if any)
    best_cost = cu[best]
    spend = pairs.spend
    keep = (pairs.cost < best_cost[gid] - _TOL) | np.isinf(best_cost[gid])
    if inp.budget is not None:
        keep |= spend < spend[best][gid] - _TOL
    keep[best[np.isfinite(best_cost)]] = True
    return np.flatnonzero(keep)


@dataclass
class ModelLayout:
    """Where the parts of the placement MILP sit in its column vector."""

    num_pairs: int
    unplaced_workloads: np.ndarray  # workload index of each u column
    capacity_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    capacity_resources: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # 3 * offering + mode
    budget_row: int = -1
    share_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # one per cloud code


def _coo(rows: list[np.ndarray], cols: list[np.ndarray], vals: list[np.ndarray], shape: tuple[int, int]):
    return sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape)


def build_model(inp: PlacementInput, pairs: Pairs) -> tuple[LinearModel, ModelLayout]:
    """The placement MILP (module docstring) as a sparse :class:`LinearModel`."""
    n = pairs.size
    W = inp.num_workloads
    pen_w = np.flatnonzero(np.isfinite(inp.penalty))
    ncol = n + pen_w.size
    cols = np.arange(n)
    rows_l: list[np.ndarray] = [pairs.w, pen_w]
    cols_l: list[np.ndarray] = [cols, n + np.arange(pen_w.size)]
    vals_l: list[np.ndarray] = [np.ones(n), np.ones(pen_w.size)]
    lo_l = [inp.replicas.astype(float)]
    hi_l = [inp.replicas.astype(float)]
    nrow = W
    layout = ModelLayout(n, pen_w)
    # capacity per offering and mode
    cap = inp.capacity[pairs.o, pairs.mode]
    finite = np.isfinite(cap)
    if finite.any():
        res_codes, res_idx = np.unique(pairs.res[finite], return_inverse=True)
        rows_l.append(nrow + res_idx)
        cols_l.append(cols[finite])
        vals_l.append(pairs.used[finite])
        lo_l.append(np.full(res_codes.size, -np.inf))
        hi_l.append(inp.capacity.ravel()[res_codes])
        layout.capacity_rows = nrow + np.arange(res_codes.size)
        layout.capacity_resources = res_codes
        nrow += res_codes.size
    # spread: at most one replica of a workload per region
    spread = inp.spread[pairs.w]
    if spread.any():
        key = group_keys(inp, pairs)[spread]
        uniq, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
        multi = counts[inv] > 1
        if multi.any():
            _, gidx = np.unique(inv[multi], return_inverse=True)
            rows_l.append(nrow + gidx)
            cols_l.append(cols[spread][multi])
            vals_l.append(np.ones(int(multi.sum())))
            ng = int(gidx.max()) + 1
            lo_l.append(np.full(ng, -np.inf))
            hi_l.append(np.ones(ng))
            nrow += ng
    spend = pairs.spend
    if inp.budget is not None:
        rows_l.append(np.full(n, nrow))
        cols_l.append(cols)
        vals_l.append(spend)
        lo_l.append(np.array([-np.inf]))
        hi_l.append(np.array([inp.budget]))
        layout.budget_row = nrow
        nrow += 1
    if inp.max_cloud_share is not None and inp.max_cloud_share < 1:
        nc = inp.clouds.size
        s = inp.max_cloud_share
        rows_l.append(np.repeat(nrow + np.arange(nc), n))
        cols_l.append(np.tile(cols, nc))
        own = pairs.cloud[None, :] == np.arange(nc)[:, None]
        vals_l.append((spend[None, :] * (own - s)).ravel())
        lo_l.append(np.full(nc, -np.inf))
        hi_l.append(np.zeros(nc))
        layout.share_rows = nrow + np.arange(nc)
        nrow += nc
    A = _coo(rows_l, cols_l, vals_l, (nrow, ncol))
    col_upper = np.concatenate([np.where(spread, 1.0, inp.replicas[pairs.w].astype(float)),
                                inp.replicas[pen_w].astype(float)])
    model = LinearModel(
        c=np.concatenate([pairs.cost, inp.penalty[pen_w]]),
        A=A,
        row_lower=np.concatenate(lo_l),
        row_upper=np.concatenate(hi_l),
        col_lower=np.zeros(ncol),
        col_upper=col_upper,
        integrality=np.ones(ncol, dtype=bool),
        name="placement",
    )
    return model, layout


def plan_tables(inp: PlacementInput, pairs: Pairs, counts: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expand replica counts per pair into the assignments and unplaced tables.

    Replicas of a workload are numbered 0, 1, ... over its placed rows (cheapest
    first), then over its unplaced ones.
    """
    counts = np.rint(np.asarray(counts, dtype=float)).astype(np.int64)
    nz = np.flatnonzero(counts > 0)
    nz = nz[np.lexsort((pairs.cost[nz], pairs.w[nz]))]
    rows = np.repeat(nz, counts[nz])
    w = pairs.w[rows]
    placed_per_w = np.bincount(w, minlength=inp.num_workloads)
    first = np.concatenate([[0], np.cumsum(placed_per_w)[:-1]])
    replica = np.arange(rows.size) - first[w]
    o, mode = pairs.o[rows], pairs.mode[rows]
    assignments = pd.DataFrame({
        "workload": inp.workload_ids[w],
        "replica": replica,
        "cloud": inp.off_cloud[o],
        "region": inp.off_region[o],
        "instance_type": inp.off_type[o],
        "mode": np.asarray(MODES, dtype=object)[mode],
        "instances": pairs.instances[rows].astype(np.int64),
        "gpus": pairs.used[rows],
        "compute_cost": pairs.compute[rows],
        "egress_cost": pairs.egress[rows],
        "emissions_kg": pairs.emissions[rows],
        "cost": pairs.cost[rows],
    }, columns=ASSIGNMENT_COLUMNS)
    missing = inp.replicas - placed_per_w
    uw = np.repeat(np.arange(inp.num_workloads), np.maximum(missing, 0))
    ufirst = np.concatenate([[0], np.cumsum(np.maximum(missing, 0))[:-1]])
    unplaced = pd.DataFrame({
        "workload": inp.workload_ids[uw],
        "replica": placed_per_w[uw] + np.arange(uw.size) - ufirst[uw],
        "penalty": inp.penalty[uw],
    }, columns=UNPLACED_COLUMNS)
    return assignments, unplaced
