"""forecast_demand: recovery of known profiles and trends, honest bands, messy input, bad input."""

from __future__ import annotations

import builtins
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import resopt
from resopt.errors import BackendUnavailableError, InputError
from resopt.planning import forecast_arrays, synthetic_fleet, synthetic_usage
from resopt.planning.methods import AUTO_MARGIN, _nanmedian_last, backtest_arrays
from resopt.planning.usage import fill_gaps, read_usage

matplotlib.use("Agg")
WEEK = 168


def known_series(pools: int, weeks: int, *, growth: float, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Level x hour-of-week profile x weekly growth x log-normal noise; returns (usage, noiseless mean)."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks * WEEK)
    day = 1 + 0.35 * np.cos(2 * np.pi * (t % 24 - 15) / 24)
    week = np.where((t // 24) % 7 >= 5, 0.75, 1.0)
    level = rng.uniform(50, 500, (pools, 1))
    mean = level * day * week * (1 + growth) ** (t / WEEK)
    usage = mean * rng.lognormal(-noise**2 / 2, noise, mean.shape)
    return usage, mean


def frame(values: np.ndarray, start: str = "2026-01-05") -> pd.DataFrame:
    P, n = values.shape
    times = pd.date_range(start, periods=n, freq="h", tz="UTC")
    return pd.DataFrame({"timestamp": np.tile(times, P), "pool": np.repeat([f"p{i}" for i in range(P)], n),
                         "used": values.ravel()})


# ----------------------------------------------------------------------------- the forecast itself


def test_scenario_mean_recovers_profile_and_trend():
    weeks, growth = 8, 0.08
    usage, _ = known_series(6, weeks + 1, growth=growth, noise=0.05, seed=3)
    _, truth = known_series(6, weeks + 1, growth=growth, noise=0.05, seed=3)
    fc = forecast_arrays(usage[:, : weeks * WEEK], method="seasonal", scenarios=300)
    mean = fc.scenarios.mean(axis=1)
    future = truth[:, weeks * WEEK:]
    # Level and trend: next week's total within 4% of the truth, 2% on average (a 7-day
    # lookback is ~8% low); the level is the median of the last 12 hours, about 2% noise here.
    total_error = np.abs(mean.sum(axis=1) / future.sum(axis=1) - 1)
    assert total_error.max() < 0.04 and total_error.mean() < 0.02
    # The hour-of-week profile: with 5% hourly noise and ~3 effective weeks, about 3% per hour.
    assert np.sqrt(np.mean((mean / future - 1) ** 2)) < 0.04
    # Growth across the week: the second half / first half ratio matches (1 + g)^(1/2).
    ratio = mean[:, 84:].sum(axis=1) / mean[:, :84].sum(axis=1)
    expected = future[:, 84:].sum(axis=1) / future[:, :84].sum(axis=1)
    assert np.abs(ratio / expected - 1).max() < 0.02


@pytest.mark.parametrize("method", ["seasonal", "seasonal_naive"])
def test_ninety_percent_band_covers_80_to_97_percent_of_held_out_hours(method):
    fleet = synthetic_fleet(24, weeks=9, seed=11, kinds="inference")
    history, actual = fleet.used[:, :-WEEK], fleet.used[:, -WEEK:]
    fc = forecast_arrays(history, method=method, scenarios=200, backtest=False)
    q05, q95 = np.quantile(fc.scenarios, [0.05, 0.95], axis=1)
    coverage = ((actual >= q05) & (actual <= q95)).mean()
    assert 0.80 <= coverage <= 0.97


def test_step_change_is_followed_within_a_week():
    rng = np.random.default_rng(0)
    n = 6 * WEEK
    usage = np.full(n, 100.0) * rng.lognormal(0, 0.03, n)
    usage[n - 72:] += 300  # a training job of 300 GPUs started three days ago
    fc = forecast_arrays(usage[None, :], method="seasonal", scenarios=200)
    median = np.median(fc.scenarios, axis=1)[0]
    assert abs(np.median(median) / 400 - 1) < 0.05


def test_trend_is_damped_far_ahead():
    usage, _ = known_series(1, 8, growth=0.10, noise=0.02, seed=5)
    fc = forecast_arrays(usage, method="seasonal", horizon_hours=12 * WEEK, scenarios=50, backtest=False)
    weekly = fc.scenarios.mean(axis=1)[0].reshape(12, WEEK).sum(axis=1)
    growth = weekly[1:] / weekly[:-1] - 1
    assert growth[0] == pytest.approx(0.10, abs=0.02)
    # Past the history's 8 weeks only the damped trend is left: growth slows, the forecast stays finite.
    assert growth[-1] < 0.5 * growth[0]
    assert weekly[-1] / weekly[0] < 1.10**11


def test_seed_reproduces_and_changes_scenarios():
    usage = synthetic_usage(3, weeks=3, seed=2)
    a = resopt.forecast_demand(usage, seed=7, scenarios=30)
    b = resopt.forecast_demand(usage, seed=7, scenarios=30)
    c = resopt.forecast_demand(usage, seed=8, scenarios=30)
    pd.testing.assert_frame_equal(a.scenarios, b.scenarios)
    assert not np.allclose(a.scenarios["demand"], c.scenarios["demand"])


def test_demand_is_never_negative_and_zero_pool_stays_zero():
    usage = np.vstack([np.zeros(2 * WEEK), np.abs(np.random.default_rng(1).normal(0, 3, 2 * WEEK))])
    for method in ("seasonal", "seasonal_naive"):
        fc = forecast_arrays(usage, method=method, scenarios=40)
        assert (fc.scenarios >= 0).all()
        assert (fc.scenarios[0] == 0).all()


def test_seasonal_naive_repeats_last_week_without_noise():
    week = np.tile(np.r_[np.full(8, 10.0), np.full(16, 30.0)], 7)
    fc = forecast_arrays(np.tile(week, 3)[None, :], method="seasonal_naive", scenarios=10)
    np.testing.assert_allclose(fc.scenarios[0], np.tile(week, (10, 1)))
    assert fc.backtest.loc[0, "mase"] == 0.0 and fc.backtest.loc[0, "coverage_90"] == 1.0


def test_auto_picks_per_pool_by_held_out_crps():
    fleet = synthetic_fleet(8, weeks=4, seed=4)
    fc = forecast_arrays(fleet.used, method="auto", scenarios=60)
    tables = {m: backtest_arrays(fleet.used, m, scenarios=60) for m in ("seasonal", "seasonal_naive")}
    clearly = tables["seasonal_naive"]["crps"] < (1 - AUTO_MARGIN) * tables["seasonal"]["crps"]
    expected = np.where(clearly, "seasonal_naive", "seasonal")
    assert list(fc.method) == list(expected)
    for p, name in enumerate(expected):
        assert fc.backtest.loc[p, "crps"] == pytest.approx(tables[name].loc[p, "crps"])


def test_backtest_pinball_and_coverage_against_direct_formulas():
    fleet = synthetic_fleet(3, weeks=3, seed=9, kinds="inference")
    table = backtest_arrays(fleet.used, "seasonal", scenarios=80, seed=1)
    sims = forecast_arrays(fleet.used[:, :-WEEK], method="seasonal", scenarios=80, seed=1, backtest=False).scenarios
    actual = fleet.used[:, -WEEK:]
    for p in range(3):
        q50 = np.quantile(sims[p], 0.5, axis=0)
        q90 = np.quantile(sims[p], 0.9, axis=0)
        lo, hi = np.quantile(sims[p], [0.05, 0.95], axis=0)
        pin50 = np.mean([0.5 * abs(a - q) for a, q in zip(actual[p], q50)])
        pin90 = np.mean([0.9 * (a - q) if a >= q else 0.1 * (q - a) for a, q in zip(actual[p], q90)])
        scale = np.mean(np.abs(fleet.used[p, WEEK:2 * WEEK] - fleet.used[p, :WEEK]))
        assert table.loc[p, "pinball_50"] == pytest.approx(pin50)
        assert table.loc[p, "pinball_90"] == pytest.approx(pin90)
        assert table.loc[p, "coverage_90"] == pytest.approx(np.mean((actual[p] >= lo) & (actual[p] <= hi)))
        assert table.loc[p, "mase"] == pytest.approx(np.mean(np.abs(actual[p] - q50)) / scale)


def test_one_week_of_history_forecasts_without_backtest():
    usage = synthetic_usage(2, weeks=1, seed=0)
    fc = resopt.forecast_demand(usage, scenarios=20, horizon_hours=48)
    assert list(fc.method) == ["seasonal", "seasonal"]
    assert fc.backtest[["mase", "coverage_90"]].isna().all().all()
    assert len(fc.scenarios) == 2 * 20 * 48


# ----------------------------------------------------------------------------- the result


def test_result_tables_and_size_reservations_on_scenarios():
    usage = synthetic_usage(3, weeks=3, seed=1)
    fc = resopt.forecast_demand(usage, scenarios=40, horizon_hours=48)
    sc = fc.scenarios
    assert list(sc.columns) == ["pool", "scenario", "hour", "timestamp", "demand"]
    assert sc["hour"].min() == 0 and sc["hour"].max() == 47
    last = pd.to_datetime(usage["timestamp"]).max()
    assert sc["timestamp"].min() == last + pd.Timedelta(hours=1)
    q = fc.quantiles
    assert list(q.columns) == ["pool", "timestamp", "mean", "p05", "p50", "p95"]
    assert (q["p05"] <= q["p50"]).all() and (q["p50"] <= q["p95"]).all()
    prices = pd.DataFrame({"pool": fc.pools, "reserved": 0.6, "on_demand": 1.0})
    res = resopt.size_reservations(sc, prices).raise_for_status()
    # Without limits the level is the critical fractile: the 0.4-quantile of the scenario-hours.
    for pool, reserve in zip(res.reservations["pool"], res.reservations["reserve"]):
        d = np.sort(sc.loc[sc["pool"] == pool, "demand"].to_numpy())
        cost = [0.6 * 48 * r + np.maximum(d - r, 0).sum() / 40 for r in range(int(d.max()) + 2)]
        assert reserve == int(np.argmin(np.round(cost, 9)))
    assert set(fc.backtest.columns) >= {"pool", "method", "mase", "pinball_50", "pinball_90", "coverage_90"}
    assert fc.method.index.tolist() == fc.pools
    assert list(fc.history.columns) == ["pool", "timestamp", "used", "filled"]
    assert (fc.filled_hours == 0).all()
    text = repr(fc)
    assert text.startswith("ForecastResult(horizon_hours=48, seed=0)") and "pools: 3" in text
    assert "<table" in fc._repr_html_()


def test_plot_draws_history_median_and_band():
    usage = synthetic_usage(2, weeks=2, seed=1)
    fc = resopt.forecast_demand(usage, scenarios=30, horizon_hours=24)
    pool = fc.pools[0]
    ax = fc.plot(pool)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"history", "forecast median"}
    assert len(lines["history"].get_xdata()) == 2 * WEEK
    q = fc.quantiles[fc.quantiles["pool"] == pool]
    np.testing.assert_allclose(lines["forecast median"].get_ydata(), q["p50"])
    assert len(ax.collections) == 1  # the band
    assert pool in ax.get_title()
    with pytest.raises(InputError, match="No pool 'nope'"):
        fc.plot("nope")


def test_mstl_joins_when_installed():
    pytest.importorskip("statsforecast")
    usage, _ = known_series(2, 3, growth=0.05, noise=0.03, seed=1)
    fc = forecast_arrays(usage, method="mstl", scenarios=30, horizon_hours=48, backtest=False)
    assert fc.scenarios.shape == (2, 30, 48) and list(fc.method) == ["mstl", "mstl"]
    _, truth = known_series(2, 4, growth=0.05, noise=0.03, seed=1)
    assert np.abs(fc.scenarios.mean(axis=1) / truth[:, 3 * WEEK: 3 * WEEK + 48] - 1).mean() < 0.1


def test_mstl_without_statsforecast_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith("statsforecast"):
            raise ImportError("No module named 'statsforecast'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(BackendUnavailableError, match=r"resopt\[forecast\]"):
        resopt.forecast_demand(synthetic_usage(1, weeks=1), method="mstl")


# ----------------------------------------------------------------------------- messy usage data


def test_unsorted_subhourly_duplicates_and_gaps():
    hours = 2 * WEEK
    times = pd.date_range("2026-03-02", periods=hours, freq="h", tz="UTC")
    rows = []
    for i, t in enumerate(times):
        if 100 <= i < 102 or 200 <= i < 210:  # a 2-hour and a 10-hour gap
            continue
        # two nodes at :00 and two at :30 -> per time sums 10 and 20 -> the hour's mean is 15 (+ i / 100)
        for minute, per_node in ((0, 5.0), (30, 10.0)):
            for node in range(2):
                rows.append((t + pd.Timedelta(minutes=minute), "a100", per_node + i / 200, f"node{node}"))
    df = pd.DataFrame(rows, columns=["timestamp", "pool", "used", "node"]).sample(frac=1, random_state=0)
    history = read_usage(df)
    assert history.num_hours == hours
    values = history.used[0]
    expected = 15.0 + np.arange(hours) / 100
    observed = ~history.filled[0]
    np.testing.assert_allclose(values[observed], expected[observed])
    assert history.filled_hours.to_dict() == {"a100": 12}
    # A short gap is interpolated; a long one takes the same hours of the week before.
    np.testing.assert_allclose(values[100:102], expected[100:102])
    np.testing.assert_allclose(values[200:210], expected[200 - WEEK: 210 - WEEK])
    fc = resopt.forecast_demand(df, scenarios=10)
    assert fc.filled_hours["a100"] == 12 and int(fc.history["filled"].sum()) == 12


def test_gap_at_the_end_of_one_pool_is_filled_and_counted():
    usage = frame(np.vstack([np.full(2 * WEEK, 4.0), np.full(2 * WEEK, 9.0)]))
    usage = usage.drop(usage.index[(usage["pool"] == "p1")][-5:])
    fc = resopt.forecast_demand(usage, scenarios=10, horizon_hours=24)
    assert fc.filled_hours.to_dict() == {"p0": 0, "p1": 5}
    np.testing.assert_allclose(fc.history.loc[fc.history["pool"] == "p1", "used"], 9.0)


def test_pool_that_starts_later_keeps_its_own_history():
    usage = frame(np.vstack([np.full(3 * WEEK, 4.0), np.full(3 * WEEK, 9.0)]))
    usage = usage.drop(usage.index[(usage["pool"] == "p1")][: WEEK + 10])
    fc = resopt.forecast_demand(usage, scenarios=10, horizon_hours=24)
    counts = fc.history.groupby("pool").size().to_dict()
    assert counts == {"p0": 3 * WEEK, "p1": 2 * WEEK - 10} and (fc.filled_hours == 0).all()
    np.testing.assert_allclose(fc.scenarios["demand"], np.repeat([4.0, 9.0], 10 * 24))


def fill_reference(row: np.ndarray, short: int = 3) -> np.ndarray:
    """A loop-by-loop reading of the documented fill rule."""
    out = row.copy()
    obs = ~np.isnan(row)
    first = int(np.argmax(obs))
    n = len(row)
    i = first
    while i < n:
        if obs[i]:
            i += 1
            continue
        j = i
        while j < n and not obs[j]:
            j += 1
        if j - i <= short and j < n:
            for t in range(i, j):
                out[t] = row[i - 1] + (row[j] - row[i - 1]) * (t - i + 1) / (j - i + 1)
        else:
            for t in range(i, j):
                value = math.nan
                for k in range(1, n // WEEK + 1):
                    for src in (t - k * WEEK, t + k * WEEK):
                        if 0 <= src < n and obs[src]:
                            value = row[src]
                            break
                    if not math.isnan(value):
                        break
                if math.isnan(value):
                    before = np.flatnonzero(obs[:t])
                    value = row[before[-1]] if before.size else row[np.flatnonzero(obs)[0]]
                out[t] = value
        i = j
    return out


@given(st.lists(st.tuples(st.integers(0, 3 * WEEK - 1), st.integers(1, 200)), max_size=6),
       st.integers(0, 40))
def test_fill_gaps_matches_reference(gaps, lead):
    rng = np.random.default_rng(len(gaps) + lead)
    row = rng.uniform(0, 10, 3 * WEEK)
    row[:lead] = np.nan
    for start, length in gaps:
        row[max(start, lead + 1): start + length] = np.nan
    filled, mask = fill_gaps(row[None, :])
    np.testing.assert_allclose(filled[0], fill_reference(row))
    assert mask[0].sum() == np.isnan(row[lead:]).sum()


def test_zoned_iso_strings_work_in_utc_and_display_in_their_zone():
    times = pd.date_range("2026-03-02", periods=WEEK, freq="h", tz="Europe/Berlin")
    iso = [t.isoformat() for t in times]  # "+01:00" offsets
    usage = pd.DataFrame({"timestamp": iso[::-1], "pool": "h100", "used": 3.0})
    fc = resopt.forecast_demand(usage, scenarios=5, horizon_hours=2)
    first = fc.quantiles["timestamp"].iloc[0]
    assert first == times[-1] + pd.Timedelta(hours=1)
    assert str(first).endswith("+01:00")
    # Datetimes with a zone, and naive ISO strings.
    zoned = resopt.forecast_demand(usage.assign(timestamp=pd.to_datetime(iso[::-1], utc=True).tz_convert("Asia/Tokyo")),
                                   scenarios=5, horizon_hours=2)
    assert str(zoned.quantiles["timestamp"].dt.tz) == "Asia/Tokyo"
    naive = resopt.forecast_demand(usage.assign(timestamp=[t[:19] for t in iso[::-1]]), scenarios=5, horizon_hours=2)
    assert naive.quantiles["timestamp"].iloc[0] == pd.Timestamp(iso[-1][:19]) + pd.Timedelta(hours=1)


def test_integer_hours():
    usage = {"timestamp": np.arange(200) + 1000, "pool": ["x"] * 200, "used": np.full(200, 2.0)}
    fc = resopt.forecast_demand(usage, scenarios=5, horizon_hours=3)
    assert fc.quantiles["timestamp"].tolist() == [1200, 1201, 1202]
    assert fc.scenarios["timestamp"].tolist()[:3] == [1200, 1201, 1202]


# ----------------------------------------------------------------------------- bad input


def good_usage() -> pd.DataFrame:
    return frame(np.full((1, WEEK), 2.0))


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.drop(columns="used"), {}, "usage is missing the required column(s) 'used'"),
        (lambda d: d.rename(columns={"pool": "pools"}), {}, "(did you mean 'pools' for 'pool'?)"),
        (lambda d: d.assign(timestamp=d["timestamp"].astype(str).where(d.index != 5, "yesterday")), {},
         "The 'timestamp' column of usage must be a date-time (ISO 8601) or an integer hour. Got 'yesterday' at row 5."),
        (lambda d: d.assign(timestamp=d["timestamp"].where(d.index != 3, None)), {},
         "The 'timestamp' column of usage must not have missing values. Got NaT at row 3."),
        (lambda d: d.assign(used=d["used"].where(d.index != 7, -1.0)), {},
         "The 'used' column of usage must be non-negative. Got -1.0 at row 7."),
        (lambda d: d.assign(used=d["used"].where(d.index != 8, np.nan)), {},
         "The 'used' column of usage must not have missing values (NaN). Got nan at row 8."),
        (lambda d: d.assign(used=d["used"].where(d.index != 9, np.inf)), {},
         "The 'used' column of usage must be finite. Got inf at row 9."),
        (lambda d: d.assign(used=d["used"].astype(object).where(d.index != 2, "lots")), {},
         "The 'used' column of usage must be numeric. Got 'lots' at row 2."),
        (lambda d: d.iloc[:-1], {}, "Pool 'p0' has 167 hours of usage; at least 168 (one full week) are needed"),
        (lambda d: d, {"horizon_hours": 0}, "'horizon_hours' must be >= 1. Got 0."),
        (lambda d: d, {"scenarios": 0}, "'scenarios' must be >= 1. Got 0."),
        (lambda d: d, {"scenarios": 2.5}, "'scenarios' must be a whole number. Got 2.5."),
        (lambda d: d, {"method": "prophet"}, "Unknown forecast method 'prophet'. Choose from 'auto', 'seasonal_naive'"),
        (lambda d: d, {"seed": "x"}, "'seed' must be an integer. Got 'x'."),
        (lambda d: d.iloc[:0], {}, "usage has no rows"),
    ],
)
def test_bad_input_names_column_row_and_value(change, kwargs, message):
    with pytest.raises(InputError) as err:
        resopt.forecast_demand(change(good_usage()), **kwargs)
    assert message in str(err.value)


def test_short_pool_is_named_among_good_ones():
    usage = pd.concat([good_usage(), frame(np.full((1, 30), 1.0)).assign(pool="l4-tiny")])
    with pytest.raises(InputError, match="Pool 'l4-tiny' has 30 hours of usage"):
        resopt.forecast_demand(usage)


def test_nanmedian_last_matches_numpy():
    x = np.random.default_rng(0).normal(size=(4, 5, 7))
    x[0, 0, :3] = np.nan
    x[1, 1, :] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanmedian(x, axis=-1)
    np.testing.assert_allclose(_nanmedian_last(x), expected)


# ----------------------------------------------------------------------------- the block bootstrap


@given(st.integers(1, 12), st.integers(1, 100), st.integers(0, 10**6))
def test_bootstrap_replays_whole_days_from_origins_far_enough_back(usable, horizon, seed):
    """errors[p, i - 1, k] = i marks the origin; the documented rule, checked hour by hour."""
    from resopt.planning.methods import Draws, _bootstrap

    M = 12
    L = min(horizon, 24 * M)
    errors = np.broadcast_to(np.arange(1, M + 1, dtype=float)[None, :, None], (2, M, L)).copy()
    origins = np.array([usable, 0])
    draws = Draws.make(seed, 30, horizon)
    out = _bootstrap(errors, origins, horizon, draws)
    assert (out[1] == 0).all()  # no usable origin: no error
    used = out[0]  # (S, horizon): the origin each hour came from
    days = -(-horizon // 24)
    for s in range(30):
        own = 1 + min(int(draws.origin[s] * usable), usable - 1)
        for d in range(days):
            block = used[s, 24 * d: 24 * d + 24]
            assert (block == block[0]).all()  # a whole day from one origin
            lead_day = min(d, usable - 1)
            assert lead_day + 1 <= block[0] <= usable  # an origin with data that far ahead
            if own >= lead_day + 1:
                assert block[0] == own  # the scenario's own origin while it has data


def test_bootstrap_takes_errors_at_the_right_lead():
    from resopt.planning.methods import Draws, _bootstrap

    M, horizon = 10, 72
    errors = (100 * np.arange(1, M + 1)[:, None] + np.arange(horizon)[None, :])[None].astype(float)
    out = _bootstrap(errors, np.array([M]), horizon, Draws.make(3, 50, horizon))[0]
    origin = out // 100
    np.testing.assert_array_equal(out - 100 * origin, np.tile(np.arange(horizon), (50, 1)))
    # An origin whose history is too short for lead day 2 leaves lead day 2 to older origins.
    short = _bootstrap(errors, np.array([2]), horizon, Draws.make(3, 50, horizon))[0]
    np.testing.assert_array_equal(short[:, 48:] // 100, 2)  # the longest lead available: origin 2
    np.testing.assert_array_equal(short[:, 48:] % 100, np.tile(np.arange(24, 48), (50, 1)))


def test_intermittent_pool_does_not_carry_a_running_job_into_next_week():
    """A mostly idle pool with short jobs: a job running at the end says little about next week."""
    rng = np.random.default_rng(4)
    n = 6 * WEEK
    usage = np.zeros(n)
    for start in rng.choice(n - 30, 40, replace=False):
        usage[start: start + rng.integers(2, 12)] = 8.0
    usage[-10:] = 8.0  # a job running now
    fc = forecast_arrays(usage[None, :], method="seasonal", scenarios=200, backtest=False)
    assert np.quantile(fc.scenarios[0], 0.4) == 0.0  # reserve nothing, like the past weeks
    # The same pool busy most of the time follows its level.
    busy = np.where(usage > 0, 0.0, 8.0)
    busy[-10:] = 16.0
    fc = forecast_arrays(busy[None, :], method="seasonal", scenarios=200, backtest=False)
    assert np.quantile(fc.scenarios[0], 0.4) > 8.0
