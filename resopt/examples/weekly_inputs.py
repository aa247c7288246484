"""The weekly-plan example: a realistic input directory, bundled and reproducible.

The bundled example (``resopt/examples/weekly/``) is ``write_weekly_inputs(dir)`` with its
defaults. Prices are public list prices per GPU-hour (on-demand from the clouds' pricing
pages, 2024-2025; reserved at each cloud's one-year commitment discount); capacities,
usage and workloads are invented but shaped like an AI company's fleet: serving pools with
daily and weekly cycles and steady growth, training pools with step changes when a large
job starts or ends, short spikes, and a quiet pool.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["weekly_example", "write_weekly_inputs", "POOL_TEMPLATES"]

#: First hour of the example's history (a Monday, UTC).
HISTORY_START = pd.Timestamp("2026-10-05T00:00:00Z")

#: One-year commitment price as a share of on-demand, per cloud.
RESERVED_SHARE = {"aws": 0.62, "gcp": 0.63, "azure": 0.60, "lambda": 0.80}


@dataclass(frozen=True)
class PoolTemplate:
    """A reservable pool and the shape of its hourly usage."""

    cloud: str
    region: str
    accelerator: str
    instance_type: str
    base: float  # GPUs in use at the start of the history
    daily: float = 0.0  # relative amplitude of the daily cycle
    weekend_dip: float = 0.0  # relative drop on Saturday and Sunday
    growth: float = 0.0  # relative growth per week
    step_week: float | None = None  # a big job starts (+) or ends (-) in this week
    step: float = 0.0  # GPUs added at the step
    noise: float = 0.05  # relative noise (AR(1), 0.8 hour to hour)
    spikes: int = 0  # short spikes (2-5 hours, +40-80%)
    peak_hour: int = 16  # UTC hour of the daily peak
    existing: int = 0  # GPUs already reserved
    spot_limit: float | None = None  # GPUs of spot per hour (None: no spot)

    @property
    def name(self) -> str:
        return f"{self.accelerator.lower()}-{self.cloud}-{self.region}"


POOL_TEMPLATES: tuple[PoolTemplate, ...] = (
    PoolTemplate("aws", "us-east-1", "H100", "p5.48xlarge", 48, daily=0.05, growth=0.02, step_week=6.3,
                 step=24, existing=16, spot_limit=8),
    PoolTemplate("aws", "us-west-2", "H100", "p5.48xlarge", 20, daily=0.35, weekend_dip=0.2, growth=0.07),
    PoolTemplate("aws", "us-east-1", "A100", "p4d.24xlarge", 24, daily=0.1, weekend_dip=0.3, step_week=5.4,
                 step=-8, spot_limit=8),
    PoolTemplate("aws", "us-west-2", "L4", "g6.xlarge", 30, daily=0.4, weekend_dip=0.25, growth=0.05,
                 spot_limit=6),
    PoolTemplate("gcp", "us-central1", "H100", "a3-highgpu-8g", 32, daily=0.05, growth=0.04, spikes=3,
                 existing=8, spot_limit=8),
    PoolTemplate("gcp", "us-central1", "A100", "a2-highgpu-8g", 10, daily=0.5, weekend_dip=0.5, noise=0.1),
    PoolTemplate("gcp", "europe-west4", "L4", "g2-standard-4", 16, daily=0.45, weekend_dip=0.2, growth=0.06,
                 peak_hour=13),
    PoolTemplate("gcp", "europe-west4", "H100", "a3-highgpu-8g", 8, daily=0.3, peak_hour=13, spikes=2),
    PoolTemplate("azure", "eastus", "H100", "Standard_ND96isr_H100_v5", 24, daily=0.05, step_week=7.1,
                 step=16),
    PoolTemplate("azure", "eastus", "A100", "Standard_ND96asr_v4", 2, noise=0.5, spikes=4),
    PoolTemplate("azure", "westeurope", "A10G", "Standard_NV36ads_A10_v5", 12, daily=0.4, weekend_dip=0.15,
                 peak_hour=13, spot_limit=4),
    PoolTemplate("lambda", "us-east-1", "H100", "gpu_8x_h100_sxm5", 16, weekend_dip=0.4, growth=0.03,
                 noise=0.12),
)

#: The offerings of the example: cloud, region, instance type, accelerator, GPUs per
#: instance, on-demand and spot USD per instance-hour, GPUs of on-demand and spot
#: capacity for next week's new workloads (empty: unlimited), relative throughput, board
#: power (W) and grid intensity (g CO2 per kWh).
CATALOG = """\
cloud,region,instance_type,accelerator,accelerator_count,price_per_hour,spot_price_per_hour,capacity_gpus,spot_capacity_gpus,throughput,gpu_watts,carbon_g_per_kwh
aws,us-east-1,p5.48xlarge,H100,8,55.04,31.46,64,32,1.0,700,379
aws,us-east-1,p4d.24xlarge,A100,8,32.77,12.25,64,64,0.45,400,379
aws,us-east-1,g6.xlarge,L4,1,0.805,0.35,,,1.0,72,379
aws,us-east-1,g5.xlarge,A10G,1,1.006,0.42,,,0.8,150,379
aws,us-west-2,p5.48xlarge,H100,8,55.04,29.80,32,16,1.0,700,91
aws,us-west-2,p4d.24xlarge,A100,8,32.77,11.80,32,32,0.45,400,91
aws,us-west-2,g6.xlarge,L4,1,0.805,0.33,,,1.0,72,91
aws,eu-north-1,g5.xlarge,A10G,1,1.106,0.45,,,0.8,150,41
gcp,us-central1,a3-highgpu-8g,H100,8,88.25,26.48,32,64,1.0,700,413
gcp,us-central1,a2-highgpu-8g,A100,8,29.39,8.82,48,48,0.45,400,413
gcp,us-central1,g2-standard-4,L4,1,0.71,0.28,,,1.0,72,413
gcp,europe-west4,a3-highgpu-8g,H100,8,97.08,29.12,16,32,1.0,700,328
gcp,europe-west4,a2-highgpu-8g,A100,8,32.33,9.70,16,16,0.45,400,328
gcp,europe-west4,g2-standard-4,L4,1,0.78,0.31,,,1.0,72,328
azure,eastus,Standard_ND96isr_H100_v5,H100,8,98.32,,32,,1.0,700,379
azure,eastus,Standard_ND96asr_v4,A100,8,27.20,10.88,32,32,0.45,400,379
azure,westeurope,Standard_ND96isr_H100_v5,H100,8,108.15,,16,,1.0,700,328
azure,westeurope,Standard_NV36ads_A10_v5,A10G,1,3.20,1.28,,,0.8,150,328
lambda,us-east-1,gpu_8x_h100_sxm5,H100,8,23.92,,16,,1.0,700,379
lambda,us-west-1,gpu_8x_a100_80gb_sxm4,A100,8,14.32,,16,,0.45,400,254
lambda,us-west-1,gpu_1x_a10,A10G,1,0.75,,8,,0.8,150,254
"""

#: Kinds of next-week workloads: name, GPUs per replica, hours, accelerators, replicas,
#: spread, allowed regions, spot allowed, unplaced penalty (USD; empty: must run), data GB.
WORKLOAD_KINDS = (
    ("pretrain", 32, 96, "H100", 1, False, "", False, None, 2000),
    ("finetune", 8, 12, "H100|A100", 2, False, "", True, None, 300),
    ("rl-sweep", 8, 6, "H100|A100", 3, False, "", True, 2500, 50),
    ("serve-chat", 8, 168, "H100", 2, True, "", False, None, 20),
    ("serve-embed", 1, 168, "L4|A10G", 3, True, "", False, None, 5),
    ("eval", 4, 3, "A100|L4", 2, False, "", True, 400, 100),
    ("eu-inference", 1, 168, "*", 2, True, "europe-west4|westeurope|eu-north-1", False, None, 10),
    ("batch-embed", 4, 24, "A10G|L4", 2, False, "", True, 600, 500),
)

POLICY = """\
# The planning policy. Every key is optional; see the README for each default.
service_level: 0.35       # reserved capacity covers at least the 35th percentile of hourly demand
safety_margin: 0.0
carbon_price: 50          # USD per tonne of CO2
max_cloud_share: 0.85     # no cloud takes more than 85% of next week's placement spend
scenarios: 200
seed: 0
horizon_hours: 168
time_limit: 60
forecast_method: auto
headroom_quantile: 0.9
discounts:
  aws: 0.05               # negotiated discount on on-demand and reserved prices
"""


def weekly_example() -> Path:
    """The bundled weekly-plan example directory (inside the installed package).

    Examples
    --------
    >>> sorted(p.name for p in weekly_example().iterdir() if p.suffix in {".csv", ".yaml"})
    ['offerings.csv', 'policy.yaml', 'pools.csv', 'usage.csv', 'workloads.csv']
    """
    return Path(str(resources.files("resopt.examples") / "weekly"))


def _catalog() -> pd.DataFrame:
    import io

    return pd.read_csv(io.StringIO(CATALOG))


def _pools(templates: list[PoolTemplate], names: list[str], catalog: pd.DataFrame) -> pd.DataFrame:
    rows = []
    by_key = catalog.set_index(["cloud", "region", "instance_type"])
    for t, name in zip(templates, names):
        offer = by_key.loc[(t.cloud, t.region, t.instance_type)]
        per_gpu = float(offer["price_per_hour"]) / float(offer["accelerator_count"])
        spot = offer["spot_price_per_hour"] / offer["accelerator_count"]
        rows.append({
            "pool": name, "cloud": t.cloud, "region": t.region, "accelerator": t.accelerator,
            "instance_type": t.instance_type,
            "reserved": round(per_gpu * RESERVED_SHARE[t.cloud], 4), "on_demand": round(per_gpu, 4),
            "spot": round(float(spot), 4) if t.spot_limit and math.isfinite(spot) else None,
            "spot_limit": t.spot_limit if t.spot_limit and math.isfinite(spot) else None,
            "existing": t.existing,
        })
    return pd.DataFrame(rows)


def _usage(t: PoolTemplate, hours: int, rng: np.random.Generator) -> np.ndarray:
    h = np.arange(hours)
    hour_of_day = h % 24
    weekend = (h // 24) % 7 >= 5
    shape = 1 + t.daily * np.cos(2 * np.pi * (hour_of_day - t.peak_hour) / 24) - t.weekend_dip * weekend
    level = t.base * (1 + t.growth) ** (h / 168)
    if t.step_week is not None:
        level = level + t.step * (h >= t.step_week * 168)
    noise = np.empty(hours)
    eps = rng.normal(0.0, t.noise * math.sqrt(1 - 0.8**2), hours)
    noise[0] = rng.normal(0.0, t.noise)
    for i in range(1, hours):
        noise[i] = 0.8 * noise[i - 1] + eps[i]
    used = level * shape * (1 + noise)
    for _ in range(t.spikes):
        at, width = rng.integers(0, hours - 5), rng.integers(2, 6)
        used[at:at + width] *= 1 + rng.uniform(0.4, 0.8)
    return np.round(np.maximum(used, 0.0), 1)


def _workloads(count: int, catalog: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    regions = catalog[["cloud", "region"]].drop_duplicates().to_numpy()
    rows = []
    for i in range(count):
        kind, gpus, hours, acc, replicas, spread, allowed, spot_ok, penalty, data_gb = WORKLOAD_KINDS[
            i % len(WORKLOAD_KINDS)]
        cloud, region = regions[rng.integers(len(regions))]
        if allowed:
            cloud, region = "gcp", "europe-west4"
        rows.append({
            "workload": f"{kind}-{i // len(WORKLOAD_KINDS) + 1:02d}", "gpus": gpus,
            "hours": int(max(1, round(hours * rng.uniform(0.5, 1.0)))) if hours < 168 else hours,
            "accelerator": acc, "replicas": replicas, "spread": spread, "regions": allowed,
            "data_cloud": cloud, "data_region": region, "data_gb": data_gb, "spot_ok": spot_ok,
            "unplaced_penalty": penalty,
        })
    return pd.DataFrame(rows)


def write_weekly_inputs(
    directory: str | os.PathLike[str],
    *,
    pools: int = 12,
    workloads: int = 32,
    weeks: int = 8,
    seed: int = 7,
) -> Path:
    """Write a weekly-plan input directory: usage, pools, offerings, workloads and policy.

    Parameters
    ----------
    directory
        Where to write (created if missing).
    pools
        Number of pools; beyond the twelve templates, templates repeat with a suffix.
    workloads
        Number of next-week workloads. Offering capacities grow with it, so the
        placement stays feasible.
    weeks
        Weeks of hourly usage history, ending on a Monday 00:00 UTC.
    seed
        Seed of the usage noise, spikes and workload data.

    Returns
    -------
    pathlib.Path
        The directory.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    templates = [POOL_TEMPLATES[i % len(POOL_TEMPLATES)] for i in range(pools)]
    names = [t.name if i < len(POOL_TEMPLATES) else f"{t.name}-{i // len(POOL_TEMPLATES) + 1}"
             for i, t in enumerate(templates)]
    catalog = _catalog()
    hours = 168 * weeks
    stamps = pd.date_range(HISTORY_START, periods=hours, freq="h")
    usage = pd.DataFrame({
        "timestamp": np.tile(stamps.strftime("%Y-%m-%dT%H:%M:%SZ"), pools),
        "pool": np.repeat(names, hours),
        "used": np.concatenate([_usage(t, hours, rng) for t in templates]),
    })
    # Real exports have gaps: drop a few hours of two pools (the forecast fills them).
    gaps = usage.index[(usage["pool"] == names[1]) & usage["timestamp"].str.startswith("2026-11-03T0")]
    usage = usage.drop(gaps.union(usage.index[usage["pool"] == names[-1]][500:503]))
    scale = max(1.0, workloads / 32)
    capacity = catalog.copy()
    for col in ("capacity_gpus", "spot_capacity_gpus"):
        capacity[col] = np.ceil(capacity[col] * scale)
    _pools(templates, names, catalog).to_csv(out / "pools.csv", index=False)
    usage.to_csv(out / "usage.csv", index=False)
    capacity.to_csv(out / "offerings.csv", index=False)
    _workloads(workloads, catalog, rng).to_csv(out / "workloads.csv", index=False)
    (out / "policy.yaml").write_text(POLICY)
    return out
