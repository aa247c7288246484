"""Benchmark demand forecasting: the money a reservation level costs, and the speed.

**Decision quality.** Rolling weekly origins over multi-week hourly histories. At
each origin and for each pool, a reservation level is chosen from the history
so far and paid for on the week that actually follows: reserved units cost 0.6
per unit-hour for every hour (40% below on-demand), demand above them costs 1.0
per unit-hour on demand. Levels compared:

- ``hindsight``: the best whole level for the week that actually happened;
- each forecast method (``auto``, ``seasonal``, ``seasonal_naive``; statsforecast's
  ``mstl`` in a table of its own on the first ``--mstl-pools`` pools, being slow):
  ``size_reservations`` (exact, whole units) on the
  forecast's 200 scenarios x 168 hours (the array entry point
  ``size_reservations_array``, which gives the same answer as the long table);
- ``last7`` / ``last30``: the savings-maximizing level over the last 7 / 30 days
  of hourly usage, as the cloud recommenders compute it (the same critical
  fractile, on the past);
- ``min14``: the minimum hourly usage of the last 14 days;
- ``on_demand``: reserve nothing.

Regret = realized cost / hindsight cost - 1, summed over pools and origins of a
history. The first origin is the fifth week (so the 30-day rule has its 30 days).
Forecast accuracy on the same weeks: median MASE (scenario median against the
in-sample seasonal-naive error), the 0.9 pinball loss divided by mean demand, and
the share of hours inside the 90% band.

Histories: the bundled example's (``resopt/examples/weekly/usage.csv``, when it
exists) and synthetic fleets from :mod:`resopt.planning.synthetic` (12 weeks):
two mixed fleets (inference, training, mixed and quiet pools), and one of each
kind alone (growing inference, stepping training, mixed, quiet: there every lookback
rule reserves nothing, which is optimal, so the forecast can at best tie).

**Speed.** ``forecast_demand`` (long table in, validation and cleaning included)
and ``forecast_arrays`` on 50 pools x 8 weeks -> 200 scenarios x 168 hours
(goal <= 2 s), and ``forecast_arrays`` on 1,000 pools (goal <= 20 s); medians of
``--repeats`` runs. statsforecast's MSTL on the same 50 pools is the baseline.

Usage: ``python3 benchmarks/forecast.py [--quick] [--skip-speed] [--skip-regret] [--repeats 5]
[--usage your_usage.csv]``
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import resopt
from resopt.planning import forecast_arrays, synthetic_fleet
from resopt.planning.usage import read_usage
from resopt.problems.reservation import size_reservations_array

RESERVED, ON_DEMAND = 0.6, 1.0
WEEK = 168
EXAMPLE = Path(resopt.__file__).parent / "examples" / "weekly" / "usage.csv"
RULES = ("last7", "last30", "min14", "on_demand")


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- costs and levels


def cost(level: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Realized cost per pool of ``level`` reserved units on the hours of ``actual`` (pools x hours)."""
    return RESERVED * actual.shape[1] * level + ON_DEMAND * np.maximum(actual - level[:, None], 0).sum(axis=1)


def best_level(sample: np.ndarray) -> np.ndarray:
    """The cheapest whole level on ``sample`` (pools x hours): the critical fractile, floor or ceiling."""
    q = np.quantile(sample, 1 - RESERVED / ON_DEMAND, axis=1, method="inverted_cdf")
    lo, hi = np.floor(q), np.ceil(q)
    return np.where(cost(hi, sample) < cost(lo, sample), hi, lo)


def rule_levels(history: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "last7": best_level(history[:, -7 * 24:]),
        "last30": best_level(history[:, -30 * 24:]),
        "min14": np.floor(history[:, -14 * 24:].min(axis=1)),
        "on_demand": np.zeros(history.shape[0]),
    }


def forecast_level(scenarios: np.ndarray) -> np.ndarray:
    P = scenarios.shape[0]
    prices = {"pool": [f"p{i}" for i in range(P)], "reserved": [RESERVED] * P, "on_demand": [ON_DEMAND] * P}
    res = size_reservations_array(scenarios, prices).raise_for_status()
    return res.reservations["reserve"].to_numpy(dtype=np.float64)


# ----------------------------------------------------------------------------- histories


def histories(quick: bool, extra: list[str]) -> dict[str, np.ndarray]:
    pools, weeks = (12, 7) if quick else (40, 12)
    out: dict[str, np.ndarray] = {}
    for path in ([EXAMPLE] if EXAMPLE.exists() else []) + [Path(p) for p in extra]:
        out["example" if path == EXAMPLE else path.stem] = read_usage(pd.read_csv(path)).used
    out["fleet-1"] = synthetic_fleet(pools, weeks, seed=101).used
    out["fleet-2"] = synthetic_fleet(pools, weeks, seed=102).used
    if not quick:
        for seed, kind in enumerate(("inference", "training", "mixed", "quiet"), start=203):
            out[kind] = synthetic_fleet(30, weeks, seed=seed, kinds=kind).used
    return out


def backtest_history(used: np.ndarray, methods: list[str], scenarios: int) -> pd.DataFrame:
    """One row per (origin, pool): realized cost of every level, and forecast accuracy."""
    P, n = used.shape
    rows = []
    first = max(5, -(-30 * 24 // WEEK))
    for week in range(first, n // WEEK):
        history, actual = used[:, : week * WEEK], used[:, week * WEEK:(week + 1) * WEEK]
        started = ~np.isnan(history[:, :-WEEK * 2]).all(axis=1) if history.shape[1] > 2 * WEEK else np.ones(P, bool)
        keep = np.flatnonzero(started & ~np.isnan(actual).any(axis=1))
        history, actual = history[keep], actual[keep]
        levels = {"hindsight": best_level(actual), **rule_levels(np.nan_to_num(history))}
        accuracy = {}
        for name in methods:
            fc = forecast_arrays(history, method=name, scenarios=scenarios, backtest=False)
            levels[name] = forecast_level(fc.scenarios)
            q = np.quantile(fc.scenarios, [0.05, 0.5, 0.9, 0.95], axis=1)
            scale = np.nanmean(np.abs(history[:, WEEK:] - history[:, :-WEEK]), axis=1)
            accuracy[f"{name}:mase"] = np.abs(actual - q[1]).mean(axis=1) / scale
            diff = actual - q[2]
            accuracy[f"{name}:pinball90"] = np.maximum(0.9 * diff, -0.1 * diff).mean(axis=1)
            accuracy[f"{name}:coverage"] = ((actual >= q[0]) & (actual <= q[3])).mean(axis=1)
        frame = pd.DataFrame({f"cost:{k}": cost(v, actual) for k, v in levels.items()})
        frame = frame.assign(**accuracy, week=week, pool=keep, mean_demand=actual.mean(axis=1))
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def regret_table(results: dict[str, pd.DataFrame], methods: list[str]) -> pd.DataFrame:
    columns = [*methods, *RULES]
    table = []
    for name, frame in [*results.items(), ("all", pd.concat(results.values(), ignore_index=True))]:
        hind = frame["cost:hindsight"].sum()
        row = {"history": name, "pool-weeks": len(frame)}
        row.update({c: frame[f"cost:{c}"].sum() / hind - 1 for c in columns})
        for m in methods:
            row[f"{m} MASE"] = float(np.nanmedian(frame[f"{m}:mase"].replace(np.inf, np.nan)))
            row[f"{m} pinball90/mean"] = frame[f"{m}:pinball90"].sum() / frame["mean_demand"].sum()
            row[f"{m} coverage90"] = frame[f"{m}:coverage"].mean()
        table.append(row)
    return pd.DataFrame(table)


# ----------------------------------------------------------------------------- speed


def median_time(fn, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds (CPU time is less sensitive to other jobs on a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeats):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def speed(repeats: int, quick: bool) -> list[tuple[str, tuple[float, float], str]]:
    fleet = synthetic_fleet(50, 8, seed=7)
    usage = fleet.to_frame()
    rows = []
    for method in ("auto", "seasonal"):
        t = median_time(lambda: resopt.forecast_demand(usage, method=method), repeats)
        rows.append((f"50 pools x 8 weeks, forecast_demand (long table, {len(usage):,} rows), {method}", t, "<= 2 s"))
        t = median_time(lambda: forecast_arrays(fleet.used, method=method), repeats)
        rows.append((f"50 pools x 8 weeks, forecast_arrays, {method}", t, "<= 2 s"))
    try:
        import statsforecast  # noqa: F401

        t = median_time(lambda: forecast_arrays(fleet.used, method="mstl", backtest=False), 1)
        rows.append(("50 pools x 8 weeks, forecast_arrays, mstl (statsforecast; one run)", t, "baseline"))
    except ImportError:
        pass
    big = synthetic_fleet(200 if quick else 1000, 8, seed=8).used
    for method in ("auto", "seasonal"):
        t = median_time(lambda: forecast_arrays(big, method=method), 1 if quick else max(1, repeats // 2))
        rows.append((f"{big.shape[0]} pools x 8 weeks, forecast_arrays, {method}", t, "<= 20 s"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small histories and sizes (a smoke test)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-regret", action="store_true")
    parser.add_argument("--usage", action="append", default=[], metavar="CSV",
                        help="also backtest this usage table (timestamp, pool, used); repeatable")
    parser.add_argument("--methods", default="auto,seasonal,seasonal_naive", help="comma-separated")
    parser.add_argument("--mstl-pools", type=int, default=12,
                        help="MSTL (slow: ~1-2 s per pool and origin) runs on the first this many pools of each "
                             "history, in a table of its own; 0 to skip")
    args = parser.parse_args()
    methods = args.methods.split(",")
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        args.mstl_pools = 0
    log(f"load average before: {os.getloadavg()}")
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    if not args.skip_regret:
        results = {}
        for name, used in histories(args.quick, args.usage).items():
            log(f"history {name}: {used.shape[0]} pools x {used.shape[1] // WEEK} weeks")
            results[name] = backtest_history(used, methods, args.scenarios)
        table = regret_table(results, methods)
        print("# regret (realized cost / hindsight cost - 1); reserved price 0.6, on-demand 1.0")
        print(table[["history", "pool-weeks", *methods, *RULES]].to_string(index=False, float_format="{:.4f}".format))
        print()
        print("# forecast accuracy on the same weeks")
        acc = [c for c in table.columns if ":" not in c and any(c.startswith(f"{m} ") for m in methods)]
        print(table[["history", *acc]].to_string(index=False, float_format="{:.3f}".format))
        print()
        if args.mstl_pools:
            small = {name: used[: args.mstl_pools] for name, used in histories(args.quick, args.usage).items()}
            mstl = {}
            for name, used in small.items():
                log(f"mstl on history {name}: {used.shape[0]} pools")
                mstl[name] = backtest_history(used, ["seasonal", "mstl"], args.scenarios)
            table = regret_table(mstl, ["seasonal", "mstl"])
            print(f"# regret with statsforecast's MSTL, first {args.mstl_pools} pools of each history")
            cols = ["history", "pool-weeks", "mstl", "seasonal", *RULES, "mstl MASE", "mstl coverage90"]
            print(table[cols].to_string(index=False, float_format="{:.4f}".format))
            print()
    if not args.skip_speed:
        print("# speed (median wall and CPU seconds)")
        for label, (wall, cpu), goal in speed(args.repeats, args.quick):
            print(f"{label}: {wall:.3f} s wall, {cpu:.3f} s CPU  (goal {goal})")
    log(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
