"""A data generator: random placement instances shaped like a real GPU catalog.

Public so that benchmarks (``benchmarks/placement.py``), notebooks and tests can
make instances of any size; it is not part of solving. Prices start from public
on-demand list prices per GPU-hour (H100 about 6.9 USD, as in an 8 x H100
instance at 55 USD/h) and vary by cloud and region; the capacities and workloads
are random.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["synthetic_instance"]

_ACCELERATORS = {  # USD per GPU-hour on demand, relative throughput, board watts
    "H100": (6.88, 1.0, 700), "H200": (7.90, 1.3, 700), "A100": (4.10, 0.45, 400),
    "L40S": (1.86, 0.35, 350), "A10G": (1.01, 0.15, 150), "L4": (0.81, 0.12, 72),
    "T4": (0.53, 0.06, 70), "V100": (3.06, 0.25, 300),
}
_CLOUDS = {"aws": 1.0, "gcp": 1.05, "azure": 1.1, "oci": 0.85, "lambda": 0.5, "coreweave": 0.65}


def synthetic_instance(num_replicas: int, num_offerings: int, *, seed: int = 0, replicas_per_workload: str = "mixed",
                       regions_per_cloud: int = 12, tightness: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random ``(workloads, offerings)`` tables for :func:`resopt.place_workloads`.

    Parameters
    ----------
    num_replicas : int
        Replicas in all: the workloads' ``replicas`` sum to at least this (the last
        workload may overshoot by a few).
    num_offerings : int
        Rows of the offerings table, over six clouds and eight accelerators; 85% have
        finite on-demand capacity, 60% a spot market, 10% reserved GPUs, and every
        accelerator has one offering without a capacity limit.
    seed : int
        Seed of NumPy's generator: the same arguments give the same tables.
    replicas_per_workload : {"mixed", "one"}
        ``"mixed"``: 1 to 8 replicas per workload (serving fleets, sweeps); ``"one"``:
        one replica per workload.
    regions_per_cloud : int
        Regions each cloud's offerings are spread over. Workloads keep their data in
        region 0 of a cloud, so with more regions than offerings that region may not
        exist and :func:`~resopt.place_workloads` refuses the tables.
    tightness : float
        Finite capacities are scaled by ``1 / tightness``: larger is scarcer.

    Returns
    -------
    workloads, offerings : DataFrame
        In the columns :func:`resopt.place_workloads` reads (every optional column
        filled: spread, clouds, data location and size, spot_ok, unplaced_penalty).

    Examples
    --------
    >>> from resopt import place_workloads
    >>> w, o = synthetic_instance(100, 50, seed=1)
    >>> int(w["replicas"].sum()) >= 100, len(o)
    (True, 50)
    >>> w, o = synthetic_instance(40, 30, seed=2, regions_per_cloud=1)
    >>> str(place_workloads(w, o, backend="highs").status)
    'optimal'
    """
    rng = np.random.default_rng(seed)
    names = np.array(list(_ACCELERATORS))
    base = np.array([_ACCELERATORS[a][0] for a in names])
    thr = np.array([_ACCELERATORS[a][1] for a in names])
    watts = np.array([_ACCELERATORS[a][2] for a in names])
    clouds = np.array(list(_CLOUDS))
    cmult = np.array(list(_CLOUDS.values()))
    # offerings
    c = rng.integers(0, clouds.size, num_offerings)
    r = rng.integers(0, regions_per_cloud, num_offerings)
    a = rng.choice(names.size, num_offerings, p=[0.2, 0.05, 0.2, 0.1, 0.15, 0.15, 0.1, 0.05])
    count = rng.choice([1, 2, 4, 8], num_offerings, p=[0.35, 0.1, 0.2, 0.35])
    region_mult = 1.0 + 0.04 * r + rng.normal(0, 0.03, num_offerings)
    price = base[a] * count * cmult[c] * region_mult
    spot = np.where(rng.random(num_offerings) < 0.6, price * rng.uniform(0.3, 0.6, num_offerings), np.nan)
    limited = rng.random(num_offerings) < 0.85
    _, first_of_each = np.unique(a, return_index=True)
    limited[first_of_each] = False  # every accelerator has an offering without a capacity limit
    # capacity in instances, average ~ 2 x demand share when tightness = 1
    avg_gpus_per_offering = 3.2 * num_replicas / num_offerings
    inst = rng.poisson(np.maximum(avg_gpus_per_offering / count / tightness, 0.3), num_offerings)
    capacity = np.where(limited, inst * count, np.nan)
    spot_cap = np.where(np.isnan(spot), np.nan, rng.poisson(np.maximum(avg_gpus_per_offering / count / 2 / tightness,
                                                                        0.2), num_offerings) * count)
    reserved = np.where(rng.random(num_offerings) < 0.1, count * rng.integers(1, 4, num_offerings), 0)
    carbon = rng.choice([40, 90, 250, 330, 380, 420, 550], num_offerings)
    offerings = pd.DataFrame({
        "cloud": clouds[c], "region": np.char.add(np.char.add(clouds[c].astype(str), "-r"), r.astype(str)),
        "instance_type": [f"{clouds[ci]}.{names[ai]}x{n}.{i}" for i, (ci, ai, n) in enumerate(zip(c, a, count))],
        "accelerator": names[a], "accelerator_count": count, "price_per_hour": price.round(4),
        "spot_price_per_hour": spot.round(4), "capacity_gpus": capacity, "spot_capacity_gpus": spot_cap,
        "reserved_gpus": reserved, "throughput": thr[a] / thr[a].max() * 1.0 + 0.0, "gpu_watts": watts[a],
        "carbon_g_per_kwh": carbon,
    })
    # workloads
    if replicas_per_workload == "one":
        reps = np.ones(num_replicas, dtype=np.int64)
    else:
        reps = rng.choice([1, 1, 1, 2, 2, 3, 4, 8], int(num_replicas / 2.75) + 1)
    reps = reps[: np.searchsorted(np.cumsum(reps), num_replicas) + 1]
    nw = reps.size
    present = np.unique(a)
    wa = rng.integers(0, present.size, nw)
    wa_names = present[wa]
    wb = present[(wa + rng.integers(1, max(present.size, 2), nw)) % present.size]  # a different second choice
    kind = rng.random(nw)
    accel = np.where(kind < 0.7, names[wa_names],
                     np.where(kind < 0.92, np.char.add(np.char.add(names[wa_names], "|"), names[wb]), "*"))
    restrict = rng.random(nw) < 0.2
    c1 = rng.integers(0, clouds.size, nw)
    c2 = (c1 + rng.integers(1, clouds.size, nw)) % clouds.size
    cl = np.where(restrict, np.char.add(np.char.add(clouds[c1], "|"), clouds[c2]), "")
    gpus = rng.choice([1, 1, 2, 4, 8, 8, 16], nw)
    hours = np.round(rng.lognormal(2.5, 1.0, nw), 1) + 0.5
    spread = (reps > 1) & (reps <= 4) & (rng.random(nw) < 0.3)
    dc = rng.integers(0, clouds.size, nw)
    optional = (rng.random(nw) < 0.3) | restrict | spread  # restricted or spread work may be dropped
    penalty = np.where(optional, np.round(gpus * hours * base.max() * rng.uniform(0.5, 2.0, nw), 2),
                       np.nan)
    workloads = pd.DataFrame({
        "workload": np.char.add("w", np.arange(nw).astype(str)), "gpus": gpus, "hours": hours,
        "accelerator": accel, "replicas": reps, "spread": spread, "clouds": cl,
        "data_cloud": clouds[dc], "data_region": np.char.add(clouds[dc].astype(str), "-r0"),
        "data_gb": rng.choice([0, 10, 100, 1000], nw), "spot_ok": rng.random(nw) < 0.4,
        "unplaced_penalty": penalty,
    })
    return workloads, offerings
