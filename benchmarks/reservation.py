"""Benchmark reservation sizing: the exact method at scale, and against the HiGHS LP.

Prints medians over ``--repeats`` runs and the ratios the issue sets as goals:

1. ``pools x scenarios x hours`` (default 100 x 1,000 x 168 = 16.8 million
   scenario-hours) with the exact method. The baseline is ONE ``np.sort`` of
   the same demand, timed in the same process; every time is printed as wall
   and CPU seconds (``time.process_time``) and as a multiple of that sort.

   - the array fast path: median wall time (goal <= 3 s) and peak memory traced
     by ``tracemalloc`` during the call, as a multiple of the demand array's
     size (goal <= 2x);
   - the long table through ``size_reservations``, validation included, in
     three shapes: ``pool`` categorical (goal <= 6x the sort), ``pool`` as text
     (object dtype, as read from a CSV; goal <= 10x), and the weekly plan's
     shape (``ForecastResult.scenarios``: categorical ``pool``, integer
     ``scenario`` and ``hour``, a ``timestamp`` column; goal <= 6x). Every
     answer is checked equal to the array API's.
2. ``lp-pools x lp-scenarios x hours`` (default 10 x 100 x 168) with the exact
   method against the HiGHS LP (goal: exact >= 50x faster). Two baselines: the
   whole ``backend="highs"`` call (two to four solves: cost optimum, tie-break,
   and again where the service level binds), and one solve of the backend's
   first LP, built once. Fractional demand (forecast means) has a distinct
   level per scenario-hour; whole-unit demand compresses to a few hundred
   levels per pool, so the LP shrinks and the ratio with it.

The machine is shared: the load average before and after is printed; compare
ratios, not absolute times, across runs.

The HiGHS runs at the default size take minutes (fractional demand gives
~250k LP columns); ``--lp-repeats`` sets how many of each, ``--no-lp`` skips them.

Usage: ``python3 benchmarks/reservation.py [--repeats 5] [--lp-repeats 1] [--no-lp] [--quick]``
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

import resopt
from resopt.backends.highs import solve_highs
from resopt.problems.reservation import size_reservations_array
from resopt.problems.reservation.api import _least_levels, _round_up
from resopt.problems.reservation.formulation import build_model
from resopt.problems.reservation.inputs import read_arrays


def instance(pools: int, scenarios: int, hours: int, *, seed: int, whole: bool) -> tuple[np.ndarray, pd.DataFrame]:
    """Diurnal demand per pool with a per-scenario level and hourly noise; a mixed price catalog."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    base = rng.uniform(20, 400, size=(pools, 1, 1))
    cycle = 1 + 0.3 * np.sin(2 * np.pi * (t - 8) / 24)
    demand = base * rng.lognormal(0, 0.15, size=(pools, scenarios, 1)) * cycle
    demand += rng.normal(0, 1, size=(pools, scenarios, hours)) * 0.08 * base
    np.maximum(demand, 0, out=demand)
    if whole:
        np.round(demand, out=demand)
    od = rng.uniform(1.0, 4.0, pools)
    every = np.arange(pools)
    prices = pd.DataFrame({
        "pool": [f"pool-{i:03d}" for i in every],
        "reserved": od * rng.uniform(0.45, 0.75, pools),
        "on_demand": od,
        "spot": np.where(every % 2 == 0, od * rng.uniform(0.3, 1.2, pools), np.nan),
        "spot_limit": np.where(every % 2 == 0, np.round(base.ravel() * 0.1), np.nan),
        "on_demand_limit": np.where(every % 3 == 0, np.round(base.ravel() * 0.5), np.nan),
        "shortfall_penalty": np.where(every % 5 == 0, od * 3, np.nan),
        "existing": np.where(every % 4 == 0, np.round(base.ravel() * 0.3), 0.0),
    })
    return demand, prices


def median_time(fn, repeats: int) -> tuple[float, object]:
    wall, _, out = median_times(fn, repeats)
    return wall, out


def median_times(fn, repeats: int) -> tuple[float, float, object]:
    """Median wall and CPU (``time.process_time``) seconds of ``fn()`` over ``repeats`` runs."""
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        out = None
        gc.collect()
        cpu, start = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), out


def long_table(demand: np.ndarray, prices: pd.DataFrame, shape: str = "categorical") -> pd.DataFrame:
    """The demand as a long table in (pool, scenario, hour) order.

    ``shape``: ``categorical`` pool, ``text`` pool (object dtype, as ``read_csv``
    gives it) or ``forecast`` (the weekly plan's: categorical pool plus a
    ``timestamp`` column, as :attr:`ForecastResult.scenarios` builds it).
    """
    P, S, T = demand.shape
    codes = np.repeat(np.arange(P), S * T)
    names = prices["pool"].to_numpy(dtype=object)
    frame = {
        "pool": names[codes] if shape == "text" else pd.Categorical.from_codes(codes, names),
        "scenario": np.tile(np.repeat(np.arange(S), T), P),
        "hour": np.tile(np.arange(T), P * S),
    }
    if shape == "forecast":
        frame["timestamp"] = pd.date_range("2026-03-02", periods=T, freq="h", tz="UTC")[frame["hour"]]
    frame["demand"] = demand.ravel()
    return pd.DataFrame(frame)


#: Long-table shapes timed, with their goal as a multiple of one sort.
TABLE_GOALS = {"categorical": 6.0, "text": 10.0, "forecast": 6.0}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pools", type=int, default=100)
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=168)
    parser.add_argument("--lp-pools", type=int, default=10)
    parser.add_argument("--lp-scenarios", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5, help="runs of the exact method (median)")
    parser.add_argument("--lp-repeats", type=int, default=1, help="runs of each HiGHS baseline (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--service-level", type=float, default=0.9)
    parser.add_argument("--no-lp", action="store_true", help="skip part 2 (exact against HiGHS)")
    parser.add_argument("--quick", action="store_true", help="a 10x smaller scale run, for a smoke test")
    args = parser.parse_args()
    if args.quick:
        args.pools, args.scenarios, args.repeats, args.lp_scenarios = 10, 100, 2, 20
    alpha = args.service_level
    print(f"reservation sizing benchmark: {os.cpu_count()} cores, load average {load()} (1, 5, 15 min)")

    # 1. Scale.
    demand, prices = instance(args.pools, args.scenarios, args.hours, seed=args.seed, whole=False)
    cells = demand.size
    sort_s, sort_cpu, _ = median_times(lambda: np.sort(demand.ravel()), args.repeats)
    exact_s, exact_cpu, res = median_times(lambda: size_reservations_array(demand, prices, service_level=alpha),
                                           args.repeats)
    assert res.status == "optimal", res.message
    tracemalloc.start()
    size_reservations_array(demand, prices, service_level=alpha)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    phases = ", ".join(f"{k} {v:.3f}" for k, v in res.timings.items() if not k.startswith("solver_"))
    print(f"\n1. exact, {args.pools} pools x {args.scenarios} scenarios x {args.hours} hours "
          f"= {cells / 1e6:.1f} M scenario-hours, service level {alpha}; medians of {args.repeats}")
    print(f"   {'':<34}{'wall s':>8}{'cpu s':>8}{'wall/sort':>11}{'cpu/sort':>10}  goal")

    def line(label: str, wall: float, cpu: float, goal: str) -> None:
        print(f"   {label:<34}{wall:8.3f}{cpu:8.3f}{wall / sort_s:10.2f}x{cpu / sort_cpu:9.2f}x  {goal}")

    line("one np.sort of the demand", sort_s, sort_cpu, "(baseline)")
    line("array API", exact_s, exact_cpu, f"<= 3 s: {'met' if exact_s <= 3 else 'MISSED'} (wall)")
    for shape, goal in TABLE_GOALS.items():
        table = long_table(demand, prices, shape)
        table_s, table_cpu, res_t = median_times(
            lambda: resopt.size_reservations(table, prices, service_level=alpha), args.repeats)
        pd.testing.assert_frame_equal(res_t.reservations, res.reservations)
        assert res_t.objective == res.objective
        verdict = "met" if max(table_s / sort_s, table_cpu / sort_cpu) <= goal else "MISSED"
        line(f"table API, {shape} pool" if shape != "forecast" else "table API, forecast shape", table_s,
             table_cpu, f"<= {goal:g}x: {verdict}")
        del table, res_t
    print(f"   array API phases of the last run (wall s): {phases}")
    print(f"   peak traced memory {peak / 1e6:8.1f} MB = {peak / demand.nbytes:.2f} x the demand array "
          f"({demand.nbytes / 1e6:.0f} MB) (goal <= 2x: {'met' if peak <= 2 * demand.nbytes else 'MISSED'})")
    print(f"   every table answer equals the array API's; load average now {load()}")
    if args.no_lp:
        return

    # 2. Exact against the HiGHS LP.
    print(f"\n2. exact vs HiGHS, {args.lp_pools} pools x {args.lp_scenarios} scenarios x {args.hours} hours")
    print(f"   {'demand':<22}{'exact s':>9}{'highs call s':>14}{'one LP s':>10}{'LP cols':>10}"
          f"{'call/exact':>12}{'LP/exact':>10}")
    for label, whole in (("fractional", False), ("whole units (GPUs)", True)):
        small, small_prices = instance(args.lp_pools, args.lp_scenarios, args.hours, seed=args.seed + 1, whole=whole)
        for integer in (False, True):
            kw = {"service_level": alpha, "integer": integer}
            ex_s, ex = median_time(lambda: size_reservations_array(small, small_prices, **kw), args.repeats)
            lp_s, lp = median_time(lambda: size_reservations_array(small, small_prices, backend="highs", **kw),
                                   args.lp_repeats)
            assert abs(lp.objective - ex.objective) <= 1e-6 * abs(ex.objective), (lp.objective, ex.objective)
            data = read_arrays(small, small_prices, hours=None, service_level=alpha, safety_margin=0.0,
                               integer=integer)
            least_feasible, _, _ = _least_levels(data)  # the bounds of the backend's first solve
            lower = np.maximum(least_feasible, _round_up(-data.existing, integer))
            model = build_model(data, lower, np.full(data.num_pools, np.inf), np.ones(data.num_pools, bool))
            one_s, _ = median_time(lambda: solve_highs(model, mip_gap=1e-9 if integer else None), args.lp_repeats)
            kind = f"{label}, {'MILP' if integer else 'LP'}"
            print(f"   {kind:<22}{ex_s:9.4f}{lp_s:14.3f}{one_s:10.3f}{model.num_cols:10,d}"
                  f"{lp_s / ex_s:11.0f}x{one_s / ex_s:9.0f}x")
    print(f"\n   goal: exact >= 50x faster than the HiGHS LP. load average now {load()}")


if __name__ == "__main__":
    main()
