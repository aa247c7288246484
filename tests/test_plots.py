"""Every figure, drawn with the Agg backend and checked for what it shows.

Each test reads back what was drawn (bar heights, tick labels, lines, legend text)
and compares it with values computed here independently of the plotting code.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import resopt  # noqa: E402
from resopt import plotting  # noqa: E402

ROOT = Path(__file__).parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def heights(container) -> list[float]:
    return [float(bar.get_height()) for bar in container]


def tick_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def container(ax, label: str):
    found = [c for c in ax.containers if c.get_label() == label]
    assert len(found) == 1, [c.get_label() for c in ax.containers]
    return found[0]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ----------------------------------------------------------------------------- core assignment


def test_core_assignment_plot_draws_the_worked_example():
    res = resopt.assign_cores(pd.DataFrame({"capacity": [4, 2], "demand": [3, 2]}, index=["gpu-0", "gpu-1"]),
                              total=5)
    ax = res.plot()
    assert tick_labels(ax) == ["gpu-0", "gpu-1"]
    assert heights(container(ax, "capacity")) == [4.0, 2.0]
    assert heights(container(ax, "assigned")) == [3.0, 2.0]
    (demand,) = [line for line in ax.get_lines() if line.get_label() == "demand"]
    assert list(demand.get_ydata()) == [3.0, 2.0]
    assert list(demand.get_xdata()) == [0, 1]  # each tick sits on its device's bar
    assert [bar.get_x() + bar.get_width() / 2 for bar in container(ax, "assigned")] == [0.0, 1.0]


def test_core_assignment_plot_draws_into_the_given_axes():
    _, ax = plt.subplots()
    res = resopt.assign_cores({"capacity": [4, 2, 3], "demand": [3, 2, 0]}, total=6)
    assert res.plot(ax=ax) is ax
    assert heights(container(ax, "assigned")) == list(res.x)
    assert sum(heights(container(ax, "assigned"))) == 6.0


def test_core_assignment_plot_without_a_solution_shows_capacity_and_demand():
    res = resopt.assign_cores({"capacity": [1, 2], "demand": [1, 3]}, total=5)
    assert res.status == "infeasible"
    ax = res.plot()
    assert heights(container(ax, "capacity")) == [1.0, 2.0]
    assert np.isnan(heights(container(ax, "assigned"))).all()
    assert ax.get_title() == "no assignment (infeasible): capacity and demand only"


def test_core_assignment_plot_keeps_the_devices_furthest_from_demand():
    n = 100
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"capacity": np.full(n, 10.0), "demand": rng.integers(0, 10, n).astype(float)},
                         index=[f"d{i:03d}" for i in range(n)])
    frame["assigned"] = frame["demand"]
    off = {7: 4.0, 42: -3.0, 99: 2.0, 13: 1.0}  # deviations, largest first: 7, 42, 99, 13
    for i, delta in off.items():
        frame.iloc[i, frame.columns.get_loc("assigned")] += delta
    ax = plotting.core_assignment_bars(frame, max_devices=3)
    assert tick_labels(ax) == ["d007", "d042", "d099"]  # input order, the 3 largest |assigned - demand|
    assert heights(container(ax, "assigned")) == [frame["assigned"].iloc[i] for i in (7, 42, 99)]
    assert ax.get_title() == "the 3 of 100 devices furthest from their demand"


def test_core_assignment_bars_name_a_missing_column():
    with pytest.raises(resopt.InputError, match="'assigned'"):
        plotting.core_assignment_bars(pd.DataFrame({"capacity": [1], "demand": [1]}))


# ----------------------------------------------------------------------------- placement


@pytest.fixture(scope="module")
def placement():
    workloads = pd.read_csv(ROOT / "models/placement/workloads.csv")
    offerings = pd.read_csv(ROOT / "models/placement/catalog.csv")
    return resopt.place_workloads(workloads, offerings, carbon_price=50.0).raise_for_status()


def test_gpus_by_region_stacks_modes_per_region():
    a = pd.DataFrame({
        "cloud": ["aws", "aws", "aws", "gcp", "azure"],
        "region": ["us-east-1", "us-east-1", "us-west-2", "us-central1", "westeurope"],
        "mode": ["spot", "reserved", "on_demand", "spot", "spot"],
        "gpus": [4.0, 8.0, 1.0, 2.0, 3.0],
    })
    ax = plotting.gpus_by_region(a)
    assert tick_labels(ax) == ["aws/us-east-1", "aws/us-west-2", "azure/westeurope", "gcp/us-central1"]
    assert [c.get_label() for c in ax.containers] == ["reserved", "on demand", "spot"]
    assert heights(container(ax, "reserved")) == [8.0, 0.0, 0.0, 0.0]
    assert heights(container(ax, "on demand")) == [0.0, 1.0, 0.0, 0.0]
    assert heights(container(ax, "spot")) == [4.0, 0.0, 3.0, 2.0]
    spot_bottoms = [bar.get_y() for bar in container(ax, "spot")]
    assert spot_bottoms == [8.0, 1.0, 0.0, 0.0]  # stacked on top of reserved + on demand


def test_placement_plot_gpus_by_region_adds_up_to_the_plan(placement):
    _, ax = plt.subplots()
    assert placement.plot("gpus_by_region", ax=ax) is ax
    a = placement.assignments
    expected = a.assign(place=a["cloud"] + "/" + a["region"]).groupby("place")["gpus"].sum()
    assert tick_labels(ax) == list(expected.index)
    totals = np.sum([heights(c) for c in ax.containers], axis=0)
    np.testing.assert_allclose(totals, expected.to_numpy())


def test_placement_plot_cost_stacks_spend_by_cloud_and_mode(placement):
    _, ax = plt.subplots()
    assert placement.plot(ax=ax) is ax
    a = placement.assignments
    spend = (a.assign(spend=a["compute_cost"] + a["egress_cost"])
             .pivot_table(index="cloud", columns="mode", values="spend", aggfunc="sum", fill_value=0.0))
    assert tick_labels(ax) == list(spend.index)
    for mode in spend.columns:
        np.testing.assert_allclose(heights(container(ax, mode.replace("_", " "))), spend[mode].to_numpy())
    total = np.sum([heights(c) for c in ax.containers], axis=0)
    np.testing.assert_allclose(total, placement.by_cloud()["spend"].to_numpy())
    assert ax.get_ylabel() == "spend (USD)"


def test_placement_plot_refuses_an_unknown_kind_and_a_missing_plan(placement):
    with pytest.raises(resopt.InputError, match="'cost', 'gpus_by_region'"):
        placement.plot("pie")
    workloads = pd.read_csv(ROOT / "models/placement/workloads.csv")
    offerings = pd.read_csv(ROOT / "models/placement/catalog.csv")
    over_budget = resopt.place_workloads(workloads, offerings, budget=1000.0)
    with pytest.raises(resopt.InputError, match="no plan to draw \\(status 'infeasible'\\). Why: The budget cuts"):
        over_budget.plot()


# ----------------------------------------------------------------------------- reservation

DEMAND = np.array([[3, 5, 5, 6, 9, 4, 5, 12], [2, 6, 7, 6, 8, 5, 3, 10]], dtype=float)  # 2 scenarios x 8 h


def one_pool(**prices):
    s, t = np.indices(DEMAND.shape)
    demand = pd.DataFrame({"pool": "h100", "scenario": s.ravel(), "hour": t.ravel(), "demand": DEMAND.ravel()})
    table = {"pool": ["h100"], "reserved": [1.0], "on_demand": [2.5], **{k: [v] for k, v in prices.items()}}
    return demand, pd.DataFrame(table)


def critical_fractile(values: np.ndarray, ratio: float) -> float:
    """Brute force: the smallest level R with P(demand > R) <= ratio."""
    for level in range(int(values.max()) + 1):
        if np.mean(values > level) <= ratio:
            return float(level)
    raise AssertionError("unreachable")


def test_demand_distribution_histogram_is_the_share_of_hours_per_unit():
    values = DEMAND.ravel()
    ax = plotting.demand_distribution(DEMAND, reserved=6)
    bars = ax.patches[: int(values.max() - values.min() + 1)]
    centres = [bar.get_x() + bar.get_width() / 2 for bar in bars]
    assert centres == list(np.arange(values.min(), values.max() + 1))
    expected = [np.mean(values == c) for c in centres]
    np.testing.assert_allclose(heights(bars), expected)
    (reserved_line,) = [line for line in ax.get_lines() if line.get_label().startswith("reserved")]
    assert list(reserved_line.get_xdata()) == [6, 6]
    assert legend_texts(ax)[0] == f"reserved 6 (covers {100 * np.mean(values <= 6):.1f}% of hours)"


def test_reservation_plot_curve_marks_the_optimum_at_the_brute_force_level():
    demand, prices = one_pool()
    res = resopt.size_reservations(demand, prices).raise_for_status()
    _, ax = plt.subplots()
    assert res.plot("h100", ax=ax) is ax
    values = DEMAND.ravel()
    hours = DEMAND.shape[1]

    def cost(level):  # the expected cost of the week at ``level`` reserved units, from the definition
        return 1.0 * hours * level + 2.5 * np.mean(np.maximum(values - level, 0.0)) * hours

    best = min(range(int(values.max()) + 1), key=lambda level: (round(cost(level), 9), level))
    assert best == critical_fractile(values, 1.0 / 2.5)
    (chosen,) = [line for line in ax.get_lines() if line.get_label().startswith("chosen")]
    assert list(chosen.get_xdata()) == [best]
    assert chosen.get_ydata()[0] == pytest.approx(cost(best))
    (line,) = [line for line in ax.get_lines() if line.get_label() == "expected cost"]
    np.testing.assert_allclose(line.get_ydata(), [cost(x) for x in line.get_xdata()])


def test_reservation_plot_distribution_marks_the_reserved_capacity_and_the_cost_optimum():
    demand, prices = one_pool(existing=2)
    res = resopt.size_reservations(demand, prices, service_level=0.9).raise_for_status()
    row = res.reservations.iloc[0]
    _, ax = plt.subplots()
    assert res.plot("h100", kind="distribution", ax=ax) is ax
    lines = {line.get_label().split(" (")[0]: float(line.get_xdata()[0]) for line in ax.get_lines()}
    values = DEMAND.ravel()
    optimum = critical_fractile(values, 1.0 / 2.5)  # total capacity at the cost optimum
    floor = float(np.quantile(values, 0.9, method="inverted_cdf"))
    assert row["total_reserved"] == max(optimum, floor)
    assert lines == {
        f"reserved {row['total_reserved']:g}": row["total_reserved"],
        f"cost optimum {optimum:g}": optimum,
        f"service-level floor {floor:g}": floor,
    }
    assert ax.get_title().startswith("h100:")


def test_reservation_plot_refuses_unknown_pools_and_kinds():
    demand, prices = one_pool()
    res = resopt.size_reservations(demand, prices)
    with pytest.raises(resopt.InputError, match="Unknown pool 'a100'"):
        res.plot("a100", kind="distribution")
    with pytest.raises(resopt.InputError, match="Unknown plot kind 'pie'"):
        res.plot("h100", kind="pie")


# ----------------------------------------------------------------------------- scheduling


def test_policy_comparison_draws_one_bar_per_policy_and_marks_the_best():
    tasks = pd.read_csv(ROOT / "models/scheduling/tasks.csv")
    machines = pd.read_csv(ROOT / "models/scheduling/machines.csv")["speed"].tolist()
    table = resopt.compare_policies(tasks, machines)
    for metric in ("mean_waiting", "makespan", "utilization"):
        _, ax = plt.subplots()
        assert plotting.policy_comparison(table, metric, ax=ax) is ax
        bars = ax.patches
        assert tick_labels(ax) == list(table.index)
        np.testing.assert_allclose(heights(bars), table[metric].to_numpy())
        values = table[metric].to_numpy()
        best = values == (values.max() if metric == "utilization" else values.min())
        dark = [bar.get_facecolor() == bars[int(np.argmax(best))].get_facecolor() for bar in bars]
        assert dark == list(best)
        winners = ", ".join(table.index[best])
        assert ax.get_title().endswith(f"best: {winners})")
        assert [t.get_text() for t in ax.texts] == [f"{v:.3g}" for v in values]


def test_policy_comparison_names_the_known_metrics():
    table = pd.DataFrame({"makespan": [5.0]}, index=["sjf"])
    with pytest.raises(resopt.InputError, match="Unknown metric 'waiting'. Metrics of this table: makespan"):
        plotting.policy_comparison(table, "waiting")


# ----------------------------------------------------------------------------- weekly plan


@pytest.fixture(scope="module")
def weekly_plan():
    from resopt.examples import weekly_example

    return resopt.plan_week(weekly_example(), policy={"scenarios": 50})


def test_weekly_plan_plot_costs_draws_the_summary_costs(weekly_plan):
    _, ax = plt.subplots()
    assert weekly_plan.plot_costs(ax=ax) is ax
    costs = pd.DataFrame(weekly_plan.summary["by_cloud_mode"])
    per_cloud = costs.groupby("cloud")["cost"].sum()
    assert tick_labels(ax) == list(per_cloud.index)
    np.testing.assert_allclose(np.sum([heights(c) for c in ax.containers], axis=0), per_cloud.to_numpy())
    assert {c.get_label() for c in ax.containers} == {m.replace("_", " ") for m in costs["mode"]}


def test_weekly_plan_plot_pool_draws_the_forecast_with_the_reserved_level(weekly_plan):
    table = weekly_plan.reservations.reservations.set_index("pool")
    pool = table["expected_cost"].idxmax()
    _, ax = plt.subplots()
    assert weekly_plan.plot_pool(pool, ax=ax) is ax
    lines = {line.get_label(): line for line in ax.get_lines()}
    quantiles = weekly_plan.forecast.quantiles
    np.testing.assert_allclose(lines["forecast median"].get_ydata(), quantiles.loc[quantiles["pool"] == pool, "p50"])
    reserved = table.loc[pool, "total_reserved"]
    assert list(lines[f"reserved: {reserved:g}"].get_ydata()) == [reserved, reserved]
    assert ax.get_title() == pool


def test_weekly_plan_plot_pool_curve_marks_the_plans_reservation(weekly_plan):
    row = weekly_plan.reservations.reservations.iloc[0]
    ax = weekly_plan.plot_pool(row["pool"], kind="curve")
    (chosen,) = [line for line in ax.get_lines() if line.get_label().startswith("chosen")]
    assert list(chosen.get_xdata()) == [row["reserve"]]
    with pytest.raises(resopt.InputError, match="Unknown pool 'nowhere'"):
        weekly_plan.plot_pool("nowhere")
    with pytest.raises(resopt.InputError, match="Unknown plot kind 'pie'"):
        weekly_plan.plot_pool(row["pool"], kind="pie")
