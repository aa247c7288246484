"""The plan report and its figures: what was drawn, what the page says, and that it matches the plan."""

from __future__ import annotations

from collections import defaultdict

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import resopt  # noqa: E402
from resopt import plotting  # noqa: E402
from resopt.errors import InputError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


# ---------------------------------------------------------------- savings curve

def _small_curve():
    """A pool whose curve has a service floor above the cost optimum (and an infinite level)."""
    demand = {"pool": ["p"] * 6, "hour": range(6), "demand": [1, 2, 3, 5, 8, 13]}
    prices = {"pool": ["p"], "reserved": [1.0], "on_demand": [2.0], "on_demand_limit": [9.0]}
    result = resopt.size_reservations(demand, prices, service_level=0.8)
    return result, result.curve("p", levels=range(0, 15))


def test_savings_curve_draws_the_curve_and_marks_each_landmark():
    result, curve = _small_curve()
    ax = plotting.savings_curve(curve)
    lines = _lines(ax)
    cost = curve["expected_cost"].to_numpy()
    finite = np.isfinite(cost)
    assert not finite.all()  # level 0..3 cannot meet the peak of 13 with 9 on demand
    line = lines["expected cost"]
    assert np.array_equal(line.get_xdata(), curve["reserve"].to_numpy()[finite])
    assert np.array_equal(line.get_ydata(), cost[finite])
    row = result.reservations.iloc[0]
    # Independent oracle: brute force the cost of each level from the demand and prices.
    demand = np.array([1, 2, 3, 5, 8, 13], dtype=float)
    brute = {r: 1.0 * 6 * r + 2.0 * np.maximum(demand - r, 0).sum() for r in range(4, 15)}
    best = min(brute, key=lambda r: (brute[r], r))
    assert row["cost_optimal_reserve"] == best
    for label, level in (("chosen", row["reserve"]), ("cost optimum", row["cost_optimal_reserve"])):
        mark = lines[f"{label}: {level:g}"]
        assert mark.get_xdata().tolist() == [level]
        assert mark.get_ydata().tolist() == [pytest.approx(brute[int(level)])]
    floor = [name for name in lines if name.startswith("service-level floor: ")]
    assert len(floor) == 1
    assert lines[floor[0]].get_xdata()[0] == row["reserve"] > row["cost_optimal_reserve"]
    knee = curve.loc[curve["knee"], "reserve"].tolist()
    assert [name for name in lines if name.startswith("knee: ")] == [f"knee: {knee[0]:g}"]
    assert ax.get_xlabel() == "new reserved units" and ax.get_ylabel() == "expected cost (USD)"
    assert ax.get_title() == "p: cost against reserved units"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(lines)


def test_savings_curve_uses_the_given_axes_and_leaves_out_absent_marks():
    curve = pd.DataFrame({"reserve": [0.0, 1.0, 2.0], "expected_cost": [3.0, 2.0, 2.5],
                          "optimum": [False, True, False], "cost_optimum": [False, True, False],
                          "service_floor": [False] * 3, "knee": [False] * 3})
    fig, ax = plt.subplots()
    assert plotting.savings_curve(curve, ax=ax) is ax
    assert list(_lines(ax)) == ["expected cost", "chosen: 1", "cost optimum: 1"]
    assert ax.get_title() == ""
    with pytest.raises(InputError, match="the savings curve is missing the required column.*'knee'"):
        plotting.savings_curve(curve.drop(columns="knee"))


# ---------------------------------------------------------------- cost by cloud and mode

def test_cost_by_cloud_mode_stacks_each_mode_on_the_previous_ones():
    rows = [("gcp", "spot", 5.0), ("aws", "reserved", 60.0), ("aws", "on_demand", 40.0),
            ("gcp", "reserved", 10.0), ("aws", "on_demand", 2.5), ("azure", "shortfall", 1.0),
            ("azure", "credits", 4.0)]
    table = pd.DataFrame(rows, columns=["cloud", "mode", "cost"])
    ax = plotting.cost_by_cloud_mode(table)
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for cloud, mode, cost in rows:
        totals[cloud, mode] += cost
    clouds = ["aws", "azure", "gcp"]
    assert [t.get_text() for t in ax.get_xticklabels()] == clouds
    assert [c.get_label() for c in ax.containers] == ["reserved", "on demand", "spot", "shortfall", "credits"]
    order = ["reserved", "on_demand", "spot", "shortfall", "credits"]
    for pos, cloud in enumerate(clouds):
        stacked = 0.0
        for container, mode in zip(ax.containers, order):
            bar = container[pos]
            assert bar.get_y() == pytest.approx(stacked)
            assert bar.get_height() == pytest.approx(totals.get((cloud, mode), 0.0))
            stacked += bar.get_height()
        assert stacked == pytest.approx(sum(v for (c, _), v in totals.items() if c == cloud))
    assert [t.get_text() for t in ax.texts] == ["102", "5", "15"]
    assert ax.containers[0].patches[0].get_facecolor() == matplotlib.colors.to_rgba(plotting.MODE_COLORS["reserved"])


def test_cost_by_cloud_mode_takes_the_summary_records_and_an_axes():
    fig, ax = plt.subplots()
    records = [{"cloud": "aws", "mode": "reserved", "cost": 1.0}]
    assert plotting.cost_by_cloud_mode(records, ax=ax) is ax
    assert [b.get_height() for b in ax.containers[0]] == [1.0]
    with pytest.raises(InputError, match="the cost table is missing the required column.*'mode'"):
        plotting.cost_by_cloud_mode([{"cloud": "aws", "cost": 1.0}])


# ---------------------------------------------------------------- coverage and utilization

def test_coverage_utilization_draws_two_bars_per_pool_in_percent():
    pools = [{"pool": "a", "coverage": 0.25, "reserved_utilization": 0.9},
             {"pool": "b", "coverage": 0.5, "reserved_utilization": None}]
    ax = plotting.coverage_utilization(pools)
    coverage, utilization = ax.containers
    assert coverage.get_label() == "coverage" and utilization.get_label() == "reserved utilization"
    assert [b.get_width() for b in coverage] == [25.0, 50.0]
    assert [b.get_width() for b in utilization] == [90.0, 0.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    # pool "a" is drawn on top
    assert coverage[0].get_y() < coverage[1].get_y() and ax.get_ylim()[0] > ax.get_ylim()[1]
    assert ax.get_xlim() == (0.0, 100.0)
    assert coverage[0].get_y() + coverage[0].get_height() == pytest.approx(utilization[0].get_y(), abs=1e-12)


# ---------------------------------------------------------------- forecast fan with the reserved level

def test_forecast_fan_draws_the_reserved_level_across_history_and_forecast():
    hist = pd.DataFrame({"timestamp": range(5), "used": [1.0, 2, 3, 2, 1], "filled": [False] * 5})
    q = pd.DataFrame({"timestamp": [5, 6], "p05": [0.5, 0.5], "p50": [1.0, 1.5], "p95": [2.0, 2.5]})
    ax = plotting.forecast_fan(hist, q, reserved=2.5)
    line = _lines(ax)["reserved: 2.5"]
    assert list(line.get_ydata()) == [2.5, 2.5]
    assert list(line.get_xdata()) == [0, 1]  # axes coordinates: the whole width
    assert "reserved: 2.5" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert not [name for name in _lines(plotting.forecast_fan(hist, q)) if name.startswith("reserved")]
