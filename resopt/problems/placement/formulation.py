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

__all__ = ["Pairs", "PlacementInstance", "build_pairs", "build_model", "plan_tables", "plan_objective",
           "ASSIGNMENT_COLUMNS", "UNPLACED_COLUMNS"]

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


@dataclass(frozen=True)
class PlacementInstance:
    """What every placement backend solves: the validated input and its compatible pairs.

    A backend's ``solve(instance, options)`` returns a :class:`~resopt.model.Solution`
    whose ``x`` holds the replicas placed on each pair, in the order of ``pairs``.
    """

    data: PlacementInput
    pairs: Pairs

    @classmethod
    def of(cls, data: PlacementInput) -> PlacementInstance:
        """The instance of ``data``, its pairs built by :func:`build_pairs`."""
        return cls(data, build_pairs(data))


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
    unlimited_cost = np.where(unlimited, pairs.cost, np.inf)
    order = np.lexsort((unlimited_cost, key))
    ks = key[order]
    new = np.empty(ks.size, dtype=bool)
    new[0] = True
    new[1:] = ks[1:] != ks[:-1]
    gid_sorted = np.cumsum(new) - 1
    gid = np.empty_like(gid_sorted)
    gid[order] = gid_sorted
    best = order[new]  # the cheapest unlimited pair of each group (if any)
    best_cost = unlimited_cost[best]
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


class _RowBlocks:
    """The constraint rows of the MILP, gathered block by block as sparse triplets and bounds."""

    def __init__(self, num_cols: int) -> None:
        self.num_cols = num_cols
        self.num_rows = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, lower: np.ndarray,
            upper: np.ndarray) -> np.ndarray:
        """Append ``lower.size`` rows (``rows`` counts from 0 within the block); return their indices."""
        first = self.num_rows
        self.rows.append(first + rows)
        self.cols.append(cols)
        self.vals.append(vals)
        self.lower.append(lower)
        self.upper.append(upper)
        self.num_rows += lower.size
        return first + np.arange(lower.size)

    def matrix(self) -> sp.csr_array:
        return sp.csr_array((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                            shape=(self.num_rows, self.num_cols))


def _replica_rows(blocks: _RowBlocks, inp: PlacementInput, pairs: Pairs, penalized: np.ndarray) -> None:
    """Every replica once: ``sum_{p of w} y[p] + u[w] = replicas[w]``."""
    n = pairs.size
    replicas = inp.replicas.astype(float)
    blocks.add(np.concatenate([pairs.w, penalized]), np.concatenate([np.arange(n), n + np.arange(penalized.size)]),
               np.concatenate([np.ones(n), np.ones(penalized.size)]), replicas, replicas)


def _capacity_rows(blocks: _RowBlocks, inp: PlacementInput, pairs: Pairs, layout: ModelLayout) -> None:
    """GPUs used per offering and mode within its finite capacity."""
    finite = np.isfinite(inp.capacity[pairs.o, pairs.mode])
    if not finite.any():
        return
    resources, row_of_pair = np.unique(pairs.res[finite], return_inverse=True)
    layout.capacity_rows = blocks.add(row_of_pair, np.flatnonzero(finite), pairs.used[finite],
                                      np.full(resources.size, -np.inf), inp.capacity.ravel()[resources])
    layout.capacity_resources = resources


def _spread_rows(blocks: _RowBlocks, inp: PlacementInput, pairs: Pairs) -> None:
    """At most one replica of a spread workload per region (groups with a single pair need no row)."""
    spread = inp.spread[pairs.w]
    if not spread.any():
        return
    _, group, group_size = np.unique(group_keys(inp, pairs)[spread], return_inverse=True, return_counts=True)
    shared = group_size[group] > 1
    if not shared.any():
        return
    _, row = np.unique(group[shared], return_inverse=True)
    num_groups = int(row.max()) + 1
    blocks.add(row, np.flatnonzero(spread)[shared], np.ones(int(shared.sum())), np.full(num_groups, -np.inf),
               np.ones(num_groups))


def _budget_row(blocks: _RowBlocks, inp: PlacementInput, pairs: Pairs, layout: ModelLayout) -> None:
    """The spend within the budget (one dense row)."""
    if inp.budget is None:
        return
    n = pairs.size
    layout.budget_row = int(blocks.add(np.zeros(n, np.int64), np.arange(n), pairs.spend, np.array([-np.inf]),
                                       np.array([inp.budget]))[0])


def _share_rows(blocks: _RowBlocks, inp: PlacementInput, pairs: Pairs, layout: ModelLayout) -> None:
    """Each cloud's spend within ``max_cloud_share`` of the total (one dense row per cloud)."""
    if inp.max_cloud_share is None or inp.max_cloud_share >= 1:
        return
    n, num_clouds, share = pairs.size, inp.clouds.size, inp.max_cloud_share
    own = pairs.cloud[None, :] == np.arange(num_clouds)[:, None]
    layout.share_rows = blocks.add(np.repeat(np.arange(num_clouds), n), np.tile(np.arange(n), num_clouds),
                                   (pairs.spend[None, :] * (own - share)).ravel(), np.full(num_clouds, -np.inf),
                                   np.zeros(num_clouds))


def build_model(inp: PlacementInput, pairs: Pairs) -> tuple[LinearModel, ModelLayout]:
    """The placement MILP (module docstring) as a sparse :class:`LinearModel`.

    Columns: ``y`` per pair, then ``u`` per workload with a finite penalty. Rows, one
    builder per block: replicas, capacities, spread groups, budget, cloud shares.
    """
    penalized = np.flatnonzero(np.isfinite(inp.penalty))
    num_cols = pairs.size + penalized.size
    layout = ModelLayout(pairs.size, penalized)
    blocks = _RowBlocks(num_cols)
    _replica_rows(blocks, inp, pairs, penalized)
    _capacity_rows(blocks, inp, pairs, layout)
    _spread_rows(blocks, inp, pairs)
    _budget_row(blocks, inp, pairs, layout)
    _share_rows(blocks, inp, pairs, layout)
    col_upper = np.concatenate([np.where(inp.spread[pairs.w], 1.0, inp.replicas[pairs.w].astype(float)),
                                inp.replicas[penalized].astype(float)])
    model = LinearModel(
        c=np.concatenate([pairs.cost, inp.penalty[penalized]]),
        A=blocks.matrix(),
        row_lower=np.concatenate(blocks.lower),
        row_upper=np.concatenate(blocks.upper),
        col_lower=np.zeros(num_cols),
        col_upper=col_upper,
        integrality=np.ones(num_cols, dtype=bool),
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


def plan_objective(assignments: pd.DataFrame, unplaced: pd.DataFrame) -> float:
    """The cost of a plan from its tables: placed replicas' cost plus unplaced replicas' penalty."""
    return float(assignments["cost"].sum() + unplaced["penalty"].sum())
