"""Reservation sizing through the long table: every layout and dtype gives the array API's answer.

The long-table reader takes shortcuts (categorical codes read as they are, runs
of equal labels hashed once, a table already in cell order viewed instead of
scattered); each is checked here against an independent route: the
``(pools, scenarios, hours)`` array API, and :func:`pandas.factorize` /
:func:`numpy.quantile` for the helpers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import resopt
from resopt import InputError
from resopt.problems.reservation import size_reservations_array
from resopt.problems.reservation import inputs as reading
from resopt.problems.reservation.exact import inverted_cdf_index
from resopt.problems.reservation.inputs import read_inputs

POOLS = ["gpu-a", "gpu-b", "gpu-c", "gpu-d"]
S, T = 5, 12  # 240 rows: long enough for the run-length route (RUN_ROWS)
OPTIONS = {"service_level": 0.9, "integer": True}


def _instance(seed: int = 3) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cube = rng.gamma(3.0, 4.0, size=(len(POOLS), S, T))
    prices = pd.DataFrame({
        "pool": POOLS,
        "reserved": [1.0, 1.4, 0.6, 0.9],
        "on_demand": [2.0, 2.0, 1.0, 1.5],
        "spot": [1.2, np.nan, 0.8, np.nan],
        "spot_limit": [3.0, np.nan, np.nan, np.nan],
        "shortfall_penalty": [np.nan, np.nan, np.nan, 4.0],
        "existing": [0.0, 2.0, 0.0, 1.0],
    })
    return cube, prices


def _cell_order(cube: np.ndarray) -> pd.DataFrame:
    """The long table in (pool, scenario, hour) order, as the forecast writes it."""
    P = cube.shape[0]
    return pd.DataFrame({
        "pool": pd.Categorical.from_codes(np.repeat(np.arange(P), S * T), POOLS),
        "scenario": np.tile(np.repeat(np.arange(S), T), P),
        "hour": np.tile(np.arange(T), P * S),
        "demand": cube.ravel(),
    })


def _layouts(cube: np.ndarray) -> dict[str, pd.DataFrame]:
    base = _cell_order(cube)
    shuffled = base.sample(frac=1.0, random_state=7)
    as_text = base.assign(pool=base["pool"].astype(str).astype(object))
    hour_major = base.sort_values(["hour", "scenario", "pool"], kind="stable")
    layouts = {
        "categorical in cell order": base,
        "categorical with unused and reordered categories": base.assign(
            pool=pd.Categorical(base["pool"].astype(str), categories=["zzz", *POOLS[::-1], "unused"])),
        "categorical shuffled": shuffled,
        "text in cell order": as_text,
        "text shuffled": as_text.loc[shuffled.index],
        "text hour-major": as_text.loc[hour_major.index],
        "forecast shape with timestamps": base.assign(
            timestamp=pd.date_range("2026-03-02", periods=T, freq="h")[base["hour"]]),
        "narrow integers starting above zero": base.assign(
            scenario=(base["scenario"] + 10).astype(np.int16), hour=(base["hour"] + 100).astype(np.int32)),
        "timestamps as hours": base.assign(hour=pd.date_range("2026-03-02", periods=T, freq="h")[base["hour"]]),
        "text scenarios": as_text.assign(scenario="s" + base["scenario"].astype(str)),
    }
    if _has_pyarrow():
        layouts["arrow strings"] = base.assign(pool=base["pool"].astype(str).astype("string[pyarrow]"))
    return layouts


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _by_pool(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


CUBE, PRICES = _instance()
EXPECTED = size_reservations_array(CUBE, PRICES, **OPTIONS)


@pytest.mark.parametrize("layout", list(_layouts(CUBE)))
def test_every_layout_gives_the_array_answer(layout):
    table = _layouts(CUBE)[layout]
    res = resopt.size_reservations(table, PRICES, **OPTIONS)
    assert res.status == "optimal"
    assert res.objective == EXPECTED.objective
    pd.testing.assert_frame_equal(_by_pool(res.reservations, ["pool"]), _by_pool(EXPECTED.reservations, ["pool"]))
    got = _by_pool(res.hourly, ["pool"])
    want = _by_pool(EXPECTED.hourly, ["pool"])
    value_columns = [c for c in want.columns if c != "hour"]
    pd.testing.assert_frame_equal(got[value_columns], want[value_columns])


def test_a_table_in_cell_order_is_viewed_not_copied_and_left_alone():
    table = _cell_order(CUBE)
    before = table.copy()
    data = read_inputs(table, PRICES, service_level=0.9, safety_margin=0.0, integer=True)
    column = table["demand"].to_numpy()
    assert all(np.shares_memory(block, column) and not block.flags.writeable for block in data.blocks)
    resopt.size_reservations(table, PRICES, **OPTIONS)
    pd.testing.assert_frame_equal(table, before)


def test_pools_come_in_order_of_first_appearance():
    base = _cell_order(CUBE)
    order = ["gpu-c", "gpu-a", "gpu-d", "gpu-b"]
    reordered = pd.concat([base[base["pool"] == name] for name in order], ignore_index=True)
    for table in (reordered, reordered.assign(pool=reordered["pool"].astype(str).astype(object))):
        res = resopt.size_reservations(table, PRICES, **OPTIONS)
        assert list(res.reservations["pool"]) == order
        pd.testing.assert_frame_equal(res.reservations.set_index("pool"),
                                      EXPECTED.reservations.set_index("pool").loc[order])


@pytest.mark.parametrize("shuffle", [False, True])
def test_missing_pool_labels_name_the_first_row(shuffle):
    table = _cell_order(CUBE)
    if shuffle:
        table = table.sample(frac=1.0, random_state=1)
    first, second = table.index[40], table.index[100]
    as_text = table.assign(pool=table["pool"].astype(str).astype(object))
    as_text.loc[[first, second], "pool"] = None
    with pytest.raises(InputError, match=rf"The 'pool' column of demand must not have missing values\. "
                                         rf"Got None at row {first}\."):
        resopt.size_reservations(as_text, PRICES, **OPTIONS)
    categorical = table.copy()
    categorical.loc[[first, second], "pool"] = np.nan
    with pytest.raises(InputError, match=rf"must not have missing values\. Got nan at row {first}\."):
        resopt.size_reservations(categorical, PRICES, **OPTIONS)


def test_duplicates_and_gaps_are_still_found_in_long_tables():
    table = _cell_order(CUBE).assign(pool=lambda f: f["pool"].astype(str).astype(object))
    doubled = pd.concat([table, table.iloc[[57]]], ignore_index=True)
    with pytest.raises(InputError, match=r"Got pool 'gpu-a', scenario 4, hour 9 at rows 57 and 240\."):
        resopt.size_reservations(doubled, PRICES, **OPTIONS)
    with pytest.raises(InputError, match=r"Got \(pool 'gpu-b', scenario 1\) lacking hours \[3\]\.$"):
        resopt.size_reservations(table.drop(index=75), PRICES, **OPTIONS)


def test_pools_with_different_scenario_sets_match_the_array_per_pool():
    table = _cell_order(CUBE)
    fewer = table[(table["pool"] != "gpu-b") | (table["scenario"] < 3)]
    res = resopt.size_reservations(fewer, PRICES, **OPTIONS)
    alone = size_reservations_array(CUBE[1:2, :3], PRICES.iloc[[1]], **OPTIONS)
    pd.testing.assert_frame_equal(res.reservations.iloc[[1]].reset_index(drop=True), alone.reservations)


# ----------------------------------------------------------------------------- the helpers against pandas


def _same_as_factorize(got, raw, sort):
    codes, labels = pd.factorize(raw, sort=sort, use_na_sentinel=True)
    np.testing.assert_array_equal(np.asarray(got[0], dtype=np.int64), codes)
    assert list(got[1]) == list(pd.Index(labels))


labels_with_runs = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d", None, np.nan]), st.integers(1, 40)), min_size=1, max_size=12)


@given(labels_with_runs, st.booleans())
def test_run_codes_are_pandas_factorize(runs, sort):
    values = np.array([label for label, length in runs for _ in range(length)], dtype=object)
    got = reading._run_codes(values, sort)
    if got is not None:
        _same_as_factorize(got, values, sort)


@given(st.lists(st.integers(-1, 4), min_size=1, max_size=60), st.booleans())
def test_category_codes_are_pandas_factorize(codes, sorted_codes):
    codes = np.sort(codes) if sorted_codes else np.array(codes)
    raw = pd.Series(pd.Categorical.from_codes(codes, ["v", "w", "x", "y", "z"]))
    got = reading._category_codes(raw)
    if got is None:
        assert not (np.diff(codes) >= 0).all()
    elif (codes >= 0).all():
        _same_as_factorize(got, raw, False)
    else:
        assert got[0][0] == -1  # missing values: the caller names the first row


@given(st.lists(st.integers(-3, 40), min_size=1, max_size=60),
       st.sampled_from([np.int8, np.int16, np.int64, np.uint8, np.uint64]))
def test_dense_codes_are_sorted_pandas_factorize(values, dtype):
    info = np.iinfo(dtype)
    raw = np.clip(np.array(values), info.min, info.max).astype(dtype)
    got = reading._dense_codes(raw)
    assert got is not None
    _same_as_factorize(got, raw, True)


def test_dense_codes_leave_wide_ranges_to_hashing():
    assert reading._dense_codes(np.array([0, 10**12])) is None
    assert reading._dense_codes(np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64)) is None


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50),
       st.one_of(st.sampled_from([1e-12, 0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 1.0]),
                 st.floats(1e-9, 1.0)))
def test_inverted_cdf_index_is_numpy_quantile(values, q):
    values = np.array(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = np.quantile(values, q, method="inverted_cdf")
    assert np.sort(values)[inverted_cdf_index(values.size, q)] == expected
