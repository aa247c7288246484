"""Write the golden cases of reservation sizing in ``models/reservation/``.

``python3 tests/reservation_golden.py`` (with ``resopt`` importable) rewrites

- the demand tables ``two_pools_demand.csv`` and ``limits_demand.csv`` (seeded, deterministic;
  the price tables next to them are written by hand), and
- ``golden.yaml``: every case of :data:`INSTANCES` solved by the exact, highs, cvxpy and pulp
  backends, which must agree, and for whole units by the brute force of
  :mod:`oracles.reservation`, which must agree too; the proven optimum is recorded.

The file then holds the same figures as before unless the data or the model changed.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import resopt
from oracles.reservation import brute_force
from resopt.io import write_atomic, write_frame

FOLDER = Path(__file__).resolve().parents[1] / "models" / "reservation"
BACKENDS = ("exact", "highs", "cvxpy", "pulp")

#: The instances: demand pools (base level per pool) and seed, the hand-written price table,
#: and the options of each case (keyword arguments of ``size_reservations``).
INSTANCES = {
    "two_pools": {
        "description": (
            "Two GPU pools, 3 scenarios x 24 hours. h100: reserve or pay on demand, no limits "
            "(the critical fractile). a100: 2 units already reserved, spot cheaper than the "
            "reserved price but capped at 3 units per hour."),
        "pools": {"h100-us-east": 12, "a100-eu-west": 7}, "scenarios": 3, "hours": 24, "seed": 7,
        "demand": "two_pools_demand.csv",
        "prices": "two_pools_prices.csv",
        "cases": [{}, {"service_level": 0.95}, {"service_level": 0.9, "safety_margin": 0.1},
                  {"safety_margin": 0.2}, {"integer": False}],
    },
    "limits": {
        "description": (
            "Three pools, 4 scenarios x 48 hours. h100: spot priced above on-demand, both "
            "capped (4 on-demand, 3 spot), no shortfall allowed, 5 units already reserved. "
            "l4: unlimited on-demand. tpu: on-demand capped at 2, unmet demand at a "
            "penalty, at most 8 new units."),
        "pools": {"h100-us-east": 16, "l4-us-central": 9, "tpu-v5e-eu": 6}, "scenarios": 4, "hours": 48,
        "seed": 11,
        "demand": "limits_demand.csv",
        "prices": "limits_prices.csv",
        "cases": [{}, {"service_level": 0.99}, {"service_level": 0.8, "safety_margin": 0.25},
                  {"safety_margin": 0.1}, {"integer": False},
                  {"integer": False, "service_level": 0.9, "safety_margin": 0.05}],
    },
}


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


def proven_case(name: str, index: int, demand: pd.DataFrame, prices: pd.DataFrame, case: dict) -> dict:
    """One golden case: every backend solves it and must agree (and the brute force, for whole units)."""
    options = dict(case)
    integer = options.pop("integer", True)
    runs = {b: resopt.size_reservations(demand, prices, integer=integer, backend=b, **options) for b in BACKENDS}
    exact = runs["exact"].raise_for_status(require_optimal=True)
    for b, run in runs.items():
        assert math.isclose(run.objective, exact.objective, rel_tol=1e-7), (name, case, b)
        assert np.allclose(run.reservations["reserve"], exact.reservations["reserve"], atol=1e-6), (name, b)
    table = exact.reservations.set_index("pool")
    if integer:
        for pool, ref in brute_force(demand, prices, **options).items():
            assert ref["reserve"] == table.loc[pool, "reserve"], (name, case, pool, ref)
            assert ref["binding"] == table.loc[pool, "binding"], (name, case, pool, ref)
            assert math.isclose(ref["expected_cost"], table.loc[pool, "expected_cost"], rel_tol=1e-9)
    inst = INSTANCES[name]
    return {
        "name": f"{name}-{index}",
        "proof": ("brute force over R; exact, highs, cvxpy and pulp agree" if integer
                  else "exact (certified) and highs, cvxpy, pulp LPs agree"),
        "inputs": {"demand": inst["demand"], "prices": inst["prices"]},
        "options": case,
        "expected": {
            "objective": round(float(exact.objective), 6),
            "reserve": {p: round(float(v), 6) for p, v in table["reserve"].items()},
            "binding": {p: str(v) for p, v in table["binding"].items()},
        },
    }


def main() -> None:
    """Rewrite the demand tables and ``golden.yaml``."""
    cases = []
    header = ("Golden cases of reservation sizing, written by tests/reservation_golden.py from its "
              "instances (format: tests/golden.py); do not edit by hand. The instances:")
    lines = textwrap.wrap(header, 96)
    for name, inst in INSTANCES.items():
        demand = diurnal(inst["pools"], scenarios=inst["scenarios"], hours=inst["hours"], seed=inst["seed"])
        write_frame(demand, FOLDER / inst["demand"])
        demand, prices = pd.read_csv(FOLDER / inst["demand"]), pd.read_csv(FOLDER / inst["prices"])
        cases.extend(proven_case(name, i, demand, prices, case) for i, case in enumerate(inst["cases"]))
        lines += textwrap.wrap(f"- {name}: {inst['description']}", 96, subsequent_indent="  ")
    comment = "".join(f"# {line}\n" for line in lines)
    write_atomic(FOLDER / "golden.yaml", comment + yaml.safe_dump(cases, sort_keys=False, width=100))


if __name__ == "__main__":
    main()
