"""Reservation sizing: reference instances, brute force, closed forms, backends and result tables."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import resopt
from resopt import InputError, Status
from resopt.problems.reservation import ReservationResult, size_reservations_array

import golden
from oracles.reservation import brute_force

BACKENDS = ["exact", "highs", "cvxpy", "pulp"]


def _tables(instance):
    """Fresh copies of the demand and price tables of a golden instance ("limits", "two_pools")."""
    case = next(case for case in golden.cases("reservation") if case.name.startswith(f"{instance}-"))
    return case.inputs["demand"].copy(), case.inputs["prices"].copy()


def _long(block_by_pool):
    """Long demand table from {pool: (scenarios, hours) array}."""
    parts = []
    for pool, block in block_by_pool.items():
        block = np.asarray(block, dtype=float)
        s, h = np.meshgrid(np.arange(block.shape[0]), np.arange(block.shape[1]), indexing="ij")
        parts.append(pd.DataFrame({"pool": pool, "scenario": s.ravel(), "hour": h.ravel(), "demand": block.ravel()}))
    return pd.concat(parts, ignore_index=True)


def _one(demand, **price):
    """Single pool 'p' with demand given as a (scenarios, hours) array."""
    return _long({"p": demand}), pd.DataFrame([{"pool": "p", **price}])


def _row(result, pool="p"):
    return result.reservations.set_index("pool").loc[pool]


# ----------------------------------------------------------------------------- reference instances


@pytest.mark.parametrize("case, backend", golden.params("reservation", BACKENDS))
def test_reference_instances(case, backend):
    demand, prices, expected = case.inputs["demand"], case.inputs["prices"], case.expected
    res = resopt.size_reservations(demand, prices, backend=backend, **case.options)
    assert res.status is Status.OPTIMAL
    assert res.backend == backend
    assert res.objective == pytest.approx(expected["objective"], rel=1e-7, abs=1e-6)
    assert res.gap == pytest.approx(0.0, abs=1e-7)
    table = res.reservations.set_index("pool")
    for pool, reserve in expected["reserve"].items():
        assert table.loc[pool, "reserve"] == pytest.approx(reserve, abs=1e-6)
        assert table.loc[pool, "binding"] == expected["binding"][pool]
    assert res.reservations["expected_cost"].sum() == pytest.approx(expected["objective"], rel=1e-7)


def test_reference_instances_match_brute_force_here():
    case = golden.case("reservation", "limits-2")
    demand, prices, options = case.inputs["demand"], case.inputs["prices"], case.options
    ref = brute_force(demand, prices, **options)
    table = resopt.size_reservations(demand, prices, **options).reservations.set_index("pool")
    for pool, r in ref.items():
        assert table.loc[pool, "reserve"] == r["reserve"]
        assert table.loc[pool, "cost_optimal_reserve"] == r["cost_optimal_reserve"]
        assert table.loc[pool, "expected_cost"] == pytest.approx(r["expected_cost"], rel=1e-12)


# ----------------------------------------------------------------------------- brute force, random


def random_instance(seed, *, pools=2):
    rng = np.random.default_rng(seed)
    scenarios, hours = int(rng.integers(1, 4)), int(rng.integers(2, 8))
    blocks, rows = {}, []
    for i in range(pools):
        name = f"pool{i}"
        blocks[name] = rng.integers(0, 15, size=(scenarios, hours)).astype(float)
        od = float(rng.uniform(1, 4))
        row = {"pool": name, "reserved": round(float(rng.uniform(0.2, 1.1)) * od, 3), "on_demand": round(od, 3),
               "existing": float(rng.integers(0, 5)) if rng.random() < 0.5 else 0.0}
        if rng.random() < 0.5:
            row["spot"] = round(float(rng.uniform(0.3, 1.4)) * od, 3)
            row["spot_limit"] = float(rng.integers(0, 6)) if rng.random() < 0.7 else math.nan
        if rng.random() < 0.5:
            row["on_demand_limit"] = float(rng.integers(0, 6))
        if rng.random() < 0.4:
            row["shortfall_penalty"] = round(float(rng.uniform(0.5, 6)), 3)
        rows.append(row)
    options = {}
    if rng.random() < 0.4:
        options["service_level"] = float(rng.choice([0.5, 0.75, 0.9, 1.0]))
    if rng.random() < 0.5:
        options["safety_margin"] = float(rng.choice([0.05, 0.1, 0.3]))
    return _long(blocks), pd.DataFrame(rows), options


@pytest.mark.filterwarnings("ignore:The reserved price is above")
@pytest.mark.parametrize("seed", range(40))
def test_exact_matches_brute_force(seed):
    demand, prices, options = random_instance(seed)
    res = resopt.size_reservations(demand, prices, backend="exact", **options)
    ref = brute_force(demand, prices, **options)
    assert res.status is Status.OPTIMAL
    table = res.reservations.set_index("pool")
    for pool, r in ref.items():
        assert table.loc[pool, "reserve"] == r["reserve"], (pool, r)
        assert table.loc[pool, "cost_optimal_reserve"] == r["cost_optimal_reserve"]
        assert table.loc[pool, "binding"] == r["binding"]
        assert table.loc[pool, "expected_cost"] == pytest.approx(r["expected_cost"], rel=1e-9, abs=1e-9)
    assert res.objective == pytest.approx(sum(r["expected_cost"] for r in ref.values()), rel=1e-9)
    assert res.bound == res.objective


@pytest.mark.filterwarnings("ignore:The reserved price is above")
@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_all_backends_agree(seed, integer):
    demand, prices, options = random_instance(100 + seed, pools=3)
    runs = {b: resopt.size_reservations(demand, prices, backend=b, integer=integer, **options) for b in BACKENDS}
    exact = runs["exact"]
    assert exact.status is Status.OPTIMAL
    for backend, run in runs.items():
        assert run.status is Status.OPTIMAL, (backend, run.message)
        assert run.objective == pytest.approx(exact.objective, rel=1e-7, abs=1e-7), backend
        assert run.bound <= run.objective + 1e-6 * max(1, abs(run.objective))
        np.testing.assert_allclose(run.reservations["reserve"], exact.reservations["reserve"], atol=1e-6)
        np.testing.assert_allclose(run.reservations["cost_optimal_reserve"],
                                   exact.reservations["cost_optimal_reserve"], atol=1e-6)
        assert list(run.reservations["binding"]) == list(exact.reservations["binding"])


def test_continuous_optimum_sits_at_a_breakpoint_and_beats_integer():
    rng = np.random.default_rng(3)
    block = rng.gamma(3.0, 4.0, size=(5, 24))
    demand, prices = _one(block, reserved=1.0, on_demand=2.2, spot=1.5, spot_limit=2.5, existing=0.7)
    cont = resopt.size_reservations(demand, prices, integer=False)
    whole = resopt.size_reservations(demand, prices)
    highs = resopt.size_reservations(demand, prices, integer=False, backend="highs")
    C = _row(cont)["total_reserved"]
    # The optimal capacity is a demand value, or a demand value less the spot limit.
    assert np.min(np.abs(np.concatenate([block.ravel(), block.ravel() - 2.5]) - C)) < 1e-9
    assert cont.objective <= whole.objective + 1e-12
    assert highs.objective == pytest.approx(cont.objective, rel=1e-9)
    assert _row(highs)["reserve"] == pytest.approx(_row(cont)["reserve"], abs=1e-6)


# ----------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("existing", [0.0, 3.0])
@pytest.mark.parametrize("ratio", [0.1, 0.35, 0.5, 0.8])
def test_critical_fractile(ratio, existing):
    rng = np.random.default_rng(int(ratio * 100))
    block = rng.poisson(20, size=(30, 24)).astype(float)
    demand, prices = _one(block, reserved=ratio * 2.0, on_demand=2.0, existing=existing)
    res = resopt.size_reservations(demand, prices)
    # Smallest R with P(demand > R + existing) <= reserved / on_demand (R >= 0).
    closed = next(r for r in range(0, 100) if np.mean(block > r + existing) <= ratio + 1e-12)
    assert _row(res)["reserve"] == closed
    # Continuous: the smallest capacity C with P(demand > C) <= ratio is an order statistic.
    values = np.sort(block.ravel())
    C = next(v for v in values if np.mean(block > v) <= ratio + 1e-12)
    cont = resopt.size_reservations(demand, prices, integer=False)
    assert _row(cont)["reserve"] == pytest.approx(max(C - existing, 0.0), abs=1e-12)


def test_reserving_never_pays_when_reserved_is_dearer_and_recourse_unlimited():
    demand, prices = _one([[3, 9, 5]], reserved=3.0, on_demand=2.0)
    with pytest.warns(UserWarning, match=r"reserved price is above the on-demand price in pool\(s\) 'p'"):
        res = resopt.size_reservations(demand, prices)
    assert _row(res)["reserve"] == 0
    assert res.objective == pytest.approx(2.0 * 17)


# ----------------------------------------------------------------------------- features, by hand


def test_on_demand_limit_forces_reservations_even_when_dear():
    demand, prices = _one([[10, 10, 10, 10]], reserved=3.0, on_demand=2.0, on_demand_limit=4)
    with pytest.warns(UserWarning):
        res = resopt.size_reservations(demand, prices)
    assert _row(res)["reserve"] == 6
    assert _row(res)["binding"] == "cost"
    assert res.objective == pytest.approx(3.0 * 4 * 6 + 2.0 * 4 * 4)
    np.testing.assert_allclose(res.hourly["on_demand"], 4.0)


def test_spot_dearer_than_on_demand_fills_after_it():
    # Hour 1 needs 10 units: on-demand (3/h, at most 2) fills before spot (5/h).
    demand, prices = _one([[0, 10]], reserved=2.0, on_demand=3.0, on_demand_limit=2, spot=5.0)
    res = resopt.size_reservations(demand, prices)
    row = _row(res)
    assert row["reserve"] == 8
    assert row["expected_cost"] == pytest.approx(2.0 * 2 * 8 + 3.0 * 2)
    assert row["spot_cost"] == 0.0 and row["on_demand_cost"] == pytest.approx(6.0)
    np.testing.assert_allclose(res.hourly["on_demand"], [0.0, 2.0])
    np.testing.assert_allclose(res.hourly["spot"], [0.0, 0.0])


def test_cheap_spot_is_used_before_on_demand_and_lowers_the_reserve():
    block = [[4, 8, 12, 12]]
    plain = resopt.size_reservations(*_one(block, reserved=1.0, on_demand=2.0))
    spot = resopt.size_reservations(*_one(block, reserved=1.0, on_demand=2.0, spot=0.5, spot_limit=4))
    assert _row(plain)["reserve"] == 8
    # Above R the first 4 units per hour go to spot at 0.5 < reserved price: R = 12 - 4 = 8 costs
    # 32 + spot on hours 3 and 4; R = 4 costs 16 + 0.5*(4+4+4) + 2*(4+4) = 38.
    row = _row(spot)
    assert row["reserve"] == 8
    assert row["expected_cost"] == pytest.approx(32 + 0.5 * 8)
    np.testing.assert_allclose(spot.hourly["spot"], [0, 0, 4, 4])


def test_existing_units_count_as_capacity_but_cost_nothing():
    demand, prices = _one([[10, 10, 10]], reserved=1.0, on_demand=2.0, existing=4)
    res = resopt.size_reservations(demand, prices)
    row = _row(res)
    assert (row["reserve"], row["total_reserved"]) == (6, 10.0)
    assert row["reserved_cost"] == pytest.approx(1.0 * 3 * 6)
    assert row["coverage"] == 1.0 and row["reserved_utilization"] == 1.0
    lots = resopt.size_reservations(*_one([[10, 10, 10]], reserved=1.0, on_demand=2.0, existing=40), safety_margin=0.5)
    assert _row(lots)["reserve"] == 0 and _row(lots)["binding"] == "cost"
    assert _row(lots)["reserved_utilization"] == pytest.approx(0.25)


def test_shortfall_penalty_is_recourse_in_price_order():
    # On-demand 2/h for at most 1 unit, then shortfall at 3/h; reserved 2.5/h.
    demand, prices = _one([[4]], reserved=2.5, on_demand=2.0, on_demand_limit=1, shortfall_penalty=3.0)
    with pytest.warns(UserWarning, match="reserved price is above"):
        res = resopt.size_reservations(demand, prices)
    row = _row(res)
    assert row["reserve"] == 3
    assert row["expected_cost"] == pytest.approx(7.5 + 2.0)
    assert row["shortfall_cost"] == 0.0
    # A penalty below on-demand and reserved prices: falling short is the cheapest recourse.
    with pytest.warns(UserWarning):
        cheap = resopt.size_reservations(*_one([[4]], reserved=2.5, on_demand=2.0, on_demand_limit=1,
                                               shortfall_penalty=1.0))
    assert _row(cheap)["reserve"] == 0
    assert _row(cheap)["shortfall_cost"] == pytest.approx(4.0) and _row(cheap)["on_demand_cost"] == 0.0
    np.testing.assert_allclose(cheap.hourly["shortfall"], [4.0])


def test_demand_that_cannot_be_met_is_infeasible_by_name():
    demand = _long({"ok": [[5, 6]], "tight": [[10, 20]]})
    prices = pd.DataFrame({"pool": ["ok", "tight"], "reserved": [1, 1], "on_demand": [2, 2],
                           "on_demand_limit": [np.nan, 5], "reserve_limit": [np.nan, 12]})
    res = resopt.size_reservations(demand, prices)
    assert res.status is Status.INFEASIBLE
    assert "'tight'" in res.message and "15 new units" in res.message and "12" in res.message
    assert "'ok'" not in res.message
    with pytest.raises(resopt.InfeasibleError, match="tight"):
        res.raise_for_status()
    table = res.reservations.set_index("pool")
    assert table.loc["ok", "reserve"] == 5 and np.isnan(table.loc["tight", "reserve"])
    # Enough room: the floor of 15 units binds through cost (infinite below it).
    prices.loc[1, "reserve_limit"] = 15
    assert _row(resopt.size_reservations(demand, prices), "tight")["reserve"] == 15


def test_service_level_beyond_reserve_limit_is_infeasible():
    demand, prices = _one([[2, 4, 6, 8]], reserved=1.0, on_demand=1.5, reserve_limit=5)
    res = resopt.size_reservations(demand, prices, service_level=1.0)
    assert res.status is Status.INFEASIBLE
    assert "service level" in res.message and "'p'" in res.message
    ok = resopt.size_reservations(demand, prices, service_level=0.5)
    assert ok.status is Status.OPTIMAL and _row(ok)["reserve"] == 4


@pytest.mark.parametrize("alpha", [0.5, 0.7, 0.9, 0.95, 1.0])
def test_service_level_uses_the_inverted_cdf_quantile(alpha):
    rng = np.random.default_rng(1)
    block = rng.integers(0, 40, size=(7, 13)).astype(float)
    demand, prices = _one(block, reserved=1.9, on_demand=2.0, existing=2)
    res = resopt.size_reservations(demand, prices, service_level=alpha, safety_margin=0.1)
    q = np.quantile(block, alpha, method="inverted_cdf")
    row = _row(res)
    assert row["total_reserved"] >= 1.1 * q - 1e-9
    assert (row["reserve"] - 1) + 2 < 1.1 * q  # one unit less would miss the floor
    assert row["binding"] in ("service_level", "safety_margin")


def test_service_floor_rounds_up_without_float_noise():
    # 1.1 * 10 is 11.000000000000002 in floating point; the floor is 11 units, not 12.
    demand, prices = _one([[10, 10]], reserved=1.9, on_demand=2.0)
    res = resopt.size_reservations(demand, prices, service_level=1.0, safety_margin=0.1)
    assert _row(res)["reserve"] == 11
    assert _row(res)["binding"] == "safety_margin"
    cont = resopt.size_reservations(demand, prices, service_level=1.0, safety_margin=0.1, integer=False)
    assert _row(cont)["reserve"] == pytest.approx(11.0)


def test_safety_margin_without_service_level_scales_the_cost_optimal_capacity():
    demand, prices = _one([[10, 10, 10]], reserved=1.0, on_demand=2.0, existing=4)
    res = resopt.size_reservations(demand, prices, safety_margin=0.25)
    row = _row(res)
    assert row["cost_optimal_reserve"] == 6
    # Cost-optimal capacity 10; 1.25 * 10 = 12.5 total, i.e. 8.5 new units, rounded up to 9.
    assert (row["reserve"], row["total_reserved"]) == (9, 13.0)
    assert row["binding"] == "safety_margin"


def test_ties_go_to_the_smallest_level():
    # reserved / on_demand = 1/2 and exactly half the hours exceed any R in [2, 5]: flat cost there.
    demand, prices = _one([[2, 2, 6, 6]], reserved=1.0, on_demand=2.0)
    for backend in BACKENDS:
        res = resopt.size_reservations(demand, prices, backend=backend)
        assert _row(res)["reserve"] == 2, backend
        cont = resopt.size_reservations(demand, prices, backend=backend, integer=False)
        assert _row(cont)["reserve"] == pytest.approx(2.0, abs=1e-6), backend
    curve = res.curve("p", levels=range(0, 9))
    np.testing.assert_allclose(curve["expected_cost"], [32, 28, 24, 24, 24, 24, 24, 28, 32])


def test_zero_demand_and_free_reservations():
    res = resopt.size_reservations(*_one([[0, 0, 0]], reserved=1.0, on_demand=2.0), service_level=0.9)
    assert _row(res)["reserve"] == 0 and res.objective == 0.0
    assert np.isnan(_row(res)["reserved_utilization"])
    free = resopt.size_reservations(*_one([[3, 5]], reserved=0.0, on_demand=2.0))
    assert _row(free)["reserve"] == 5 and free.objective == 0.0


# ----------------------------------------------------------------------------- tables and API


def test_tables_columns_and_balances():
    demand, prices = _tables("limits")
    res = resopt.size_reservations(demand, prices, service_level=0.8, safety_margin=0.25)
    assert isinstance(res, ReservationResult) and isinstance(res, resopt.Result)
    assert list(res.reservations.columns) == [
        "pool", "reserve", "total_reserved", "cost_optimal_reserve", "binding", "expected_cost",
        "reserved_cost", "on_demand_cost", "spot_cost", "shortfall_cost", "reserved_utilization",
        "coverage", "savings_vs_on_demand"]
    assert res.to_frame() is res.reservations
    assert res.reservations["reserve"].dtype == np.int64
    assert list(res.hourly.columns) == ["pool", "hour", "demand", "reserved", "reserved_used", "on_demand",
                                        "spot", "shortfall"]
    assert len(res.hourly) == 3 * 48
    h = res.hourly
    np.testing.assert_allclose(h["reserved_used"] + h["on_demand"] + h["spot"] + h["shortfall"], h["demand"])
    mean = demand.groupby(["pool", "hour"], sort=False)["demand"].mean()
    np.testing.assert_allclose(h.set_index(["pool", "hour"])["demand"], mean.loc[h.set_index(["pool", "hour"]).index])
    t = res.reservations
    parts = t[["reserved_cost", "on_demand_cost", "spot_cost", "shortfall_cost"]].sum(axis=1)
    np.testing.assert_allclose(parts, t["expected_cost"])
    assert ((t["coverage"] >= 0) & (t["coverage"] <= 1)).all()
    # Savings against serving the expected demand on demand.
    od = prices.set_index("pool")["on_demand"]
    total = demand.groupby("pool")["demand"].sum() / demand.groupby("pool")["scenario"].nunique()
    expected = od.loc[t["pool"]].to_numpy() * total.loc[t["pool"]].to_numpy() - t["expected_cost"].to_numpy()
    np.testing.assert_allclose(t["savings_vs_on_demand"], expected)
    text = repr(res)
    assert "status: optimal" in text and "pools: 3" in text
    assert "<table>" in res._repr_html_()
    assert res.timings["validate"] > 0 and "solve" in res.timings


def test_curve_marks_optimum_floor_and_knee():
    demand, prices = _tables("two_pools")
    res = resopt.size_reservations(demand, prices, service_level=0.9, safety_margin=0.1)
    curve = res.curve("h100-us-east")
    row = _row(res, "h100-us-east")
    assert curve["optimum"].sum() == 1 and curve["knee"].sum() == 1
    assert curve.loc[curve["optimum"], "reserve"].item() == row["reserve"]
    assert curve.loc[curve["optimum"], "expected_cost"].item() == pytest.approx(row["expected_cost"])
    assert curve.loc[curve["cost_optimum"], "reserve"].item() == row["cost_optimal_reserve"]
    assert curve.loc[curve["service_floor"], "reserve"].item() == row["reserve"]
    # The cost optimum is the cheapest level on the curve, the answer the cheapest at or above the floor.
    assert curve["expected_cost"].min() == pytest.approx(curve.loc[curve["cost_optimum"], "expected_cost"].item())
    above = curve[curve["reserve"] >= row["reserve"]]
    assert above["expected_cost"].min() == pytest.approx(row["expected_cost"])
    marginal = curve["marginal_cost"].to_numpy()[1:]
    assert np.all(np.diff(marginal) >= -1e-9)  # convex
    knee = int(np.flatnonzero(curve["knee"])[0])
    bends = np.diff(curve["marginal_cost"].to_numpy())
    assert bends[knee] == pytest.approx(np.nanmax(bends))
    with pytest.raises(InputError, match="Unknown pool 'nope'"):
        res.curve("nope")


def test_array_fast_path_matches_the_table_path():
    rng = np.random.default_rng(5)
    cube = rng.gamma(2.0, 5.0, size=(3, 6, 24)).round()
    prices = pd.DataFrame({"pool": ["a", "b", "c"], "reserved": [1.0, 1.5, 0.5], "on_demand": [2.0, 2.0, 1.0],
                           "spot": [1.2, np.nan, 0.8], "spot_limit": [3, np.nan, np.nan]})
    fast = size_reservations_array(cube, prices, service_level=0.9)
    slow = resopt.size_reservations(_long(dict(zip("abc", cube))), prices, service_level=0.9)
    pd.testing.assert_frame_equal(fast.reservations, slow.reservations)
    pd.testing.assert_frame_equal(fast.hourly, slow.hourly, check_dtype=False)
    assert fast.objective == slow.objective


def test_timestamps_and_uneven_scenario_sets():
    hours = pd.date_range("2026-01-05", periods=4, freq="h")
    demand = pd.DataFrame({
        "pool": ["a"] * 8 + ["b"] * 4,
        "scenario": ["lo"] * 4 + ["hi"] * 4 + ["only"] * 4,
        "hour": list(hours) * 3,
        "demand": [1, 2, 3, 4, 3, 4, 5, 6, 7, 7, 7, 7],
    })
    prices = {"pool": ["b", "a", "unused"], "reserved": [1, 1, 1], "on_demand": [3, 3, 3]}
    res = resopt.size_reservations(demand, prices)
    assert list(res.reservations["pool"]) == ["a", "b"]
    assert list(res.hourly["hour"][:4]) == list(hours)
    assert _row(res, "b")["reserve"] == 7
    # Pool a: 8 scenario-hours, ratio 1/3: smallest R with P(d > R) <= 1/3 is 4.
    assert _row(res, "a")["reserve"] == 4
    np.testing.assert_allclose(res.hourly.loc[res.hourly["pool"] == "a", "demand"], [2, 3, 4, 5])


def test_auto_runs_exact_and_time_limit_is_accepted():
    demand, prices = _tables("two_pools")
    res = resopt.size_reservations(demand, prices, time_limit=30)
    assert res.backend == "exact"
    lp = resopt.size_reservations(demand, prices, backend="highs", time_limit=30)
    assert lp.objective == pytest.approx(res.objective)


def test_certificate_rejects_a_level_that_is_not_optimal():
    from resopt.problems.reservation.api import _certify
    from resopt.problems.reservation.inputs import read_inputs
    from resopt.problems.reservation.result import Decisions

    demand, prices = _one([[2, 4, 4, 8]], reserved=1.0, on_demand=2.5)
    data = read_inputs(demand, prices, service_level=None, safety_margin=0.0, integer=True)
    for level, optimal in ((4.0, True), (3.0, False), (6.0, False), (0.0, False)):
        d = Decisions(*(np.array([v]) for v in (level, 4.0, -np.inf, -np.inf, np.inf)))
        cost = 4 * level + 2.5 * np.maximum(np.array([2, 4, 4, 8]) - level, 0).sum()
        failed = _certify(data, d, {0: cost}, np.array([0.0]))
        assert (failed == []) is optimal, (level, failed)
    # At a floor, only the levels above count: 6 is certified when nothing below 6 is allowed.
    d = Decisions(*(np.array([v]) for v in (6.0, 4.0, 6.0, -np.inf, np.inf)))
    assert _certify(data, d, {0: 24 + 2.5 * 2}, np.array([6.0])) == []


@pytest.mark.parametrize("backend", ["highs", "cvxpy"])
def test_time_limited_lp_is_never_called_optimal_without_proof(backend):
    rng = np.random.default_rng(9)
    demand = _long({f"p{i}": rng.gamma(3.0, 10.0, size=(10, 168)) for i in range(4)})
    prices = pd.DataFrame({"pool": [f"p{i}" for i in range(4)], "reserved": 1.0, "on_demand": 2.0,
                           "spot": 1.5, "spot_limit": 5.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cvxpy: "Solution may be inaccurate"
        res = resopt.size_reservations(demand, prices, backend=backend, time_limit=1e-4, integer=False)
    exact = resopt.size_reservations(demand, prices, integer=False)
    assert res.status in (Status.TIME_LIMIT, Status.FEASIBLE, Status.OPTIMAL), res.message
    if res.status is Status.TIME_LIMIT:
        assert "Time limit" in res.message and math.isnan(res.objective)
    elif res.status is Status.FEASIBLE:
        assert "Not proven optimal" in res.message
        assert res.objective == pytest.approx(res.reservations["expected_cost"].sum())
        assert res.objective >= exact.objective - 1e-9 * exact.objective
        assert not res.bound > res.objective
    else:
        assert res.objective == pytest.approx(exact.objective, rel=1e-7)
