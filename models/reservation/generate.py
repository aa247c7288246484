"""Write the demand and price tables of the reference instances (seeded, deterministic).

``python3 models/reservation/generate.py`` rewrites the CSV files;
``python3 models/reservation/brute_force.py`` then proves their optima into
``expected.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def diurnal(pools: dict[str, float], scenarios: int, hours: int, seed: int) -> pd.DataFrame:
    """Whole-unit demand with a daily cycle, a per-scenario level and hourly noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    cycle = 1 + 0.35 * np.sin(2 * np.pi * (t - 8) / 24)
    parts = []
    for pool, base in pools.items():
        level = rng.lognormal(0.0, 0.15, size=(scenarios, 1))
        noise = rng.normal(0.0, 0.12 * base, size=(scenarios, hours))
        demand = np.maximum(np.round(base * level * cycle + noise), 0)
        s, h = np.meshgrid(np.arange(scenarios), t, indexing="ij")
        parts.append(pd.DataFrame({"pool": pool, "scenario": s.ravel(), "hour": h.ravel(),
                                   "demand": demand.ravel().astype(int)}))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    diurnal({"h100-us-east": 12, "a100-eu-west": 7}, scenarios=3, hours=24, seed=7).to_csv(
        HERE / "two_pools_demand.csv", index=False)
    diurnal({"h100-us-east": 16, "l4-us-central": 9, "tpu-v5e-eu": 6}, scenarios=4, hours=48, seed=11).to_csv(
        HERE / "limits_demand.csv", index=False)


if __name__ == "__main__":
    main()
