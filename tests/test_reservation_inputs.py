"""Reservation sizing: every bad input raises InputError naming the column, the row and the value."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import resopt
from resopt import InputError
from resopt.problems.reservation import size_reservations_array

DEMAND = pd.DataFrame({"pool": ["a", "a", "b", "b"], "hour": [0, 1, 0, 1], "demand": [1.0, 2.0, 3.0, 4.0]},
                      index=["r0", "r1", "r2", "r3"])
PRICES = pd.DataFrame({"pool": ["a", "b"], "reserved": [1.0, 1.0], "on_demand": [2.0, 2.0]})


def _raises(match, demand=DEMAND, prices=PRICES, **options):
    with pytest.raises(InputError, match=match) as info:
        resopt.size_reservations(demand, prices, **options)
    assert isinstance(info.value, ValueError)
    return str(info.value)


@pytest.mark.parametrize("column", ["pool", "hour", "demand"])
def test_missing_demand_column(column):
    _raises(rf"demand is missing the required column\(s\) '{column}'", DEMAND.drop(columns=column))


@pytest.mark.parametrize("column", ["pool", "reserved", "on_demand"])
def test_missing_price_column(column):
    _raises(rf"prices is missing the required column\(s\) '{column}'", prices=PRICES.drop(columns=column))


def test_misspelt_column_gets_a_hint():
    _raises(r"did you mean 'demnd' for 'demand'", DEMAND.rename(columns={"demand": "demnd"}))


@pytest.mark.parametrize("value,rule", [
    (-3.0, "must be non-negative. Got -3.0 at row 'r1'"),
    (np.nan, r"must not have missing values \(NaN\). Got nan at row 'r1'"),
    ("lots", "must be numeric. Got 'lots' at row 'r1'"),
    (np.inf, "must be finite. Got inf at row 'r1'"),
])
def test_bad_demand_values(value, rule):
    demand = DEMAND.astype({"demand": object})
    demand.loc["r1", "demand"] = value
    _raises("The 'demand' column of demand " + rule, demand)


@pytest.mark.parametrize("column,value,rule", [
    ("reserved", np.nan, r"must not have missing values \(NaN\). Got nan at row 1"),
    ("reserved", -1.0, "must be non-negative. Got -1.0 at row 1"),
    ("on_demand", "cheap", "must be numeric. Got 'cheap' at row 1"),
    ("on_demand_limit", -2.0, "must be non-negative. Got -2.0 at row 1"),
    ("spot", -0.5, "must be non-negative. Got -0.5 at row 1"),
    ("existing", -1.0, "must be non-negative. Got -1.0 at row 1"),
    ("existing", np.nan, r"must not have missing values \(NaN\). Got nan at row 1"),
    ("shortfall_penalty", "high", "must be numeric. Got 'high' at row 1"),
    ("reserve_limit", -4.0, "must be non-negative. Got -4.0 at row 1"),
])
def test_bad_price_values(column, value, rule):
    prices = PRICES.copy()
    prices[column] = pd.Series([1.0, value], dtype=object)
    _raises(f"The '{column}' column of prices " + rule, prices=prices)


def test_pool_in_demand_but_not_in_prices():
    demand = DEMAND.assign(pool=["a", "a", "h100-west", "h100-west"])
    _raises(r"The 'pool' column of demand names a pool that is not in prices. Got 'h100-west' at row 'r2'", demand)


def test_duplicate_pool_in_prices():
    _raises(r"The 'pool' column of prices must be unique. Got 'a' at rows 0 and 2",
            prices=pd.concat([PRICES, PRICES.iloc[:1]], ignore_index=True))


def test_duplicate_scenario_hour():
    demand = pd.concat([DEMAND, DEMAND.loc[["r3"]].rename(index={"r3": "again"})])
    _raises(r"Each \(pool, scenario, hour\) must appear once in demand. Got pool 'b', scenario 0, hour 1 "
            r"at rows 'r3' and 'again'", demand)


def test_uneven_hours_say_which_pool_and_scenario():
    demand = pd.DataFrame({
        "pool": ["a"] * 6 + ["b"] * 5,
        "scenario": ["x", "x", "x", "y", "y", "y", "x", "x", "x", "z", "z"],
        "hour": [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 2],
        "demand": 1.0,
    })
    message = _raises("must cover the same hours", demand)
    assert "(pool 'b', scenario 'z') lacking hours [1]" in message
    assert "'a'" not in message


def test_scenarios_missing_a_whole_pool_is_fine_but_extra_hours_are_not():
    demand = pd.DataFrame({"pool": ["a", "a", "b"], "hour": [0, 1, 5], "demand": 1.0})
    message = _raises("must cover the same hours", demand)
    assert "(pool 'a', scenario 0) lacking hours [5]" in message
    assert "(pool 'b', scenario 0) lacking hours [0, 1]" in message


@pytest.mark.parametrize("hours,rule", [
    (["x", "y", "x", "y"], "must hold integers or timestamps. Got 'x' at row 'r0'"),
    ([0.5, 1, 0, 1], "must hold whole numbers. Got 0.5 at row 'r0'"),
    ([0, None, 0, 1], r"must not have missing values \(NaN\). Got nan at row 'r1'"),
])
def test_bad_hours(hours, rule):
    _raises("The 'hour' column of demand " + rule, DEMAND.assign(hour=hours))


def test_missing_labels():
    _raises(r"The 'pool' column of demand must not have missing values. Got None at row 'r1'",
            DEMAND.assign(pool=pd.Series(["a", None, "b", "b"], index=DEMAND.index, dtype=object)))
    with_scenario = DEMAND.assign(scenario=pd.Series([0, 0, np.nan, 0], index=DEMAND.index))
    _raises(r"The 'scenario' column of demand must not have missing values. Got nan at row 'r2'", with_scenario)


def test_spot_limit_without_spot_price():
    _raises(r"The 'spot_limit' column of prices must be empty where 'spot' is empty .* Got 1.0 at row 0",
            prices=PRICES.assign(spot=[np.nan, 1.0], spot_limit=[1.0, np.nan]))


@pytest.mark.parametrize("options,match", [
    ({"service_level": 0}, r"'service_level' must be > 0. Got 0"),
    ({"service_level": 1.5}, r"'service_level' must be <= 1. Got 1.5"),
    ({"service_level": "high"}, r"'service_level' must be a number. Got 'high'"),
    ({"safety_margin": -0.1}, r"'safety_margin' must be >= 0. Got -0.1"),
    ({"safety_margin": np.nan}, r"'safety_margin' must be finite"),
    ({"integer": "yes"}, r"'integer' must be True or False. Got 'yes'"),
    ({"backend": "gurobi"}, r"Unknown backend 'gurobi' for reservation sizing. Known backends: auto, exact, highs"),
    ({"time_limit": -1}, r"'time_limit' must be > 0. Got -1"),
])
def test_bad_options(options, match):
    _raises(match, **options)


def test_not_a_table_and_empty_table():
    _raises("demand must be a pandas DataFrame or a mapping", [1, 2, 3])
    _raises("demand has no rows", DEMAND.iloc[:0])
    _raises(r"The columns of prices must all have the same length", prices={"pool": ["a", "b"], "reserved": [1]})


def test_reserved_above_on_demand_warns_but_solves():
    prices = PRICES.assign(reserved=[1.0, 2.5])
    with pytest.warns(UserWarning, match=r"reserved price is above the on-demand price in pool\(s\) 'b' "
                                         r"\(e.g. 2.5 > 2 per unit-hour\)") as record:
        res = resopt.size_reservations(DEMAND, prices)
    assert record[0].filename == __file__  # points at the caller
    assert res.status == "optimal"
    assert res.reservations.set_index("pool").loc["b", "reserve"] == 0


def test_no_warning_for_sane_prices():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resopt.size_reservations(DEMAND, PRICES)


def test_array_path_checks():
    with pytest.raises(InputError, match=re.escape("Got -2.0 at pool 'a' (index 0), scenario index 0, hour index 1")):
        size_reservations_array(np.array([[[1.0, -2.0]], [[1.0, 2.0]]]), PRICES)
    with pytest.raises(InputError, match=re.escape("Got nan at pool 'b' (index 1), scenario index 0, hour index 0")):
        size_reservations_array(np.array([[[1.0, 2.0]], [[np.nan, 2.0]]]), PRICES)
    with pytest.raises(InputError, match=r"shape \(pools, scenarios, hours\) with one pool per row of prices \(2\)"):
        size_reservations_array(np.ones((3, 1, 2)), PRICES)
    with pytest.raises(InputError, match="real numeric array"):
        size_reservations_array(np.full((2, 1, 2), "x"), PRICES)
    with pytest.raises(InputError, match=r"hours must have one label per hour \(2\). Got 3"):
        size_reservations_array(np.ones((2, 1, 2)), PRICES, hours=[1, 2, 3])


def test_unsupported_feature_message():
    # Every backend handles both cases; the registry still names what runs.
    res = resopt.size_reservations(DEMAND, PRICES, backend="pulp", integer=False)
    assert res.backend == "pulp" and res.status == "optimal"
