"""Reservation sizing: properties that hold on every instance (hypothesis)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resopt import Status
from resopt.problems.reservation import size_reservations_array

from oracles.reservation import brute_force_pool

price = st.integers(1, 400).map(lambda c: c / 100)
maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731


@st.composite
def instances(draw):
    scenarios, hours = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    demand = np.array(draw(st.lists(st.integers(0, 20), min_size=scenarios * hours, max_size=scenarios * hours)),
                      dtype=float).reshape(1, scenarios, hours)
    row = {"pool": "p", "reserved": draw(price), "on_demand": draw(price),
           "existing": float(draw(st.integers(0, 6))),
           "on_demand_limit": draw(maybe(st.integers(0, 8).map(float))),
           "shortfall_penalty": draw(maybe(price))}
    spot = draw(maybe(price))
    if spot is not None:
        row.update(spot=spot, spot_limit=draw(maybe(st.integers(0, 8).map(float))))
    options = {"service_level": draw(maybe(st.sampled_from([0.25, 0.5, 0.8, 0.9, 0.95, 1.0]))),
               "safety_margin": draw(st.sampled_from([0.0, 0.0, 0.1, 0.25, 0.5]))}
    prices = pd.DataFrame([{k: (math.nan if v is None else v) for k, v in row.items()}])
    return demand, prices, options


def _solve(demand, prices, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return size_reservations_array(demand, prices, **options)


@given(instances())
def test_service_level_always_met(case):
    demand, prices, options = case
    for integer in (True, False):
        res = _solve(demand, prices, integer=integer, **options)
        assert res.status is Status.OPTIMAL
        row = res.reservations.iloc[0]
        if options["service_level"] is not None:
            q = np.quantile(demand[0], options["service_level"], method="inverted_cdf")
            assert row["total_reserved"] >= (1 + options["safety_margin"]) * q - 1e-9
        assert row["reserve"] >= row["cost_optimal_reserve"] >= 0
        if integer:
            assert float(row["reserve"]).is_integer()


@given(instances())
def test_cost_never_below_the_bound_and_equal_to_brute_force(case):
    demand, prices, options = case
    res = _solve(demand, prices, **options)
    ref = brute_force_pool(demand[0], prices.iloc[0].to_dict(), **options)
    assert res.objective >= res.bound - 1e-9 * max(1.0, abs(res.objective))
    assert res.bound <= ref["expected_cost"] + 1e-9 * max(1.0, ref["expected_cost"])
    assert res.objective == pytest.approx(ref["expected_cost"], rel=1e-9, abs=1e-9)
    assert res.reservations["reserve"].item() == ref["reserve"]
    assert res.reservations["binding"].item() == ref["binding"]


@given(instances(), st.data())
def test_more_demand_never_lowers_the_reserve(case, data):
    demand, prices, options = case
    extra = np.array(data.draw(st.lists(st.integers(0, 6), min_size=demand.size, max_size=demand.size)),
                     dtype=float).reshape(demand.shape)
    for integer in (True, False):
        low = _solve(demand, prices, integer=integer, **options).reservations.iloc[0]
        high = _solve(demand + extra, prices, integer=integer, **options).reservations.iloc[0]
        assert high["reserve"] >= low["reserve"] - 1e-9
        assert high["cost_optimal_reserve"] >= low["cost_optimal_reserve"] - 1e-9


@given(instances())
def test_tables_balance(case):
    demand, prices, options = case
    res = _solve(demand, prices, integer=False, **options)
    h = res.hourly
    np.testing.assert_allclose(h["reserved_used"] + h["on_demand"] + h["spot"] + h["shortfall"], h["demand"],
                               atol=1e-9)
    np.testing.assert_allclose(h["demand"], demand[0].mean(axis=0))
    row = res.reservations.iloc[0]
    parts = row[["reserved_cost", "on_demand_cost", "spot_cost", "shortfall_cost"]].sum()
    assert parts == pytest.approx(row["expected_cost"], rel=1e-12, abs=1e-12)
    assert res.objective == pytest.approx(row["expected_cost"], rel=1e-12)
    limit = prices["on_demand_limit"].item()
    if not math.isnan(limit):
        assert (h["on_demand"] <= limit + 1e-9).all()
    # The curve agrees with the answer and never dips below it at allowed levels.
    curve = res.curve("p")
    allowed = curve[curve["reserve"] >= row["reserve"] - 1e-9]
    assert allowed["expected_cost"].min() >= row["expected_cost"] - 1e-9 * max(1.0, row["expected_cost"])


@given(instances())
def test_highs_agrees_with_exact(case):
    demand, prices, options = case
    exact = _solve(demand, prices, **options)
    lp = _solve(demand, prices, backend="highs", **options)
    assert lp.status is Status.OPTIMAL
    assert lp.objective == pytest.approx(exact.objective, rel=1e-7, abs=1e-7)
    assert lp.objective >= lp.bound - 1e-6 * max(1.0, abs(lp.objective))
    assert lp.reservations["reserve"].item() == exact.reservations["reserve"].item()
