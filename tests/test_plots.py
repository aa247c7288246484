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


def test_gpus_by_region_adds_up_to_the_plan(placement):
    ax = plotting.gpus_by_region(placement.assignments)
    a = placement.assignments
    expected = a.assign(place=a["cloud"] + "/" + a["region"]).groupby("place")["gpus"].sum()
    assert tick_labels(ax) == list(expected.index)
    totals = np.sum([heights(c) for c in ax.containers], axis=0)
    np.testing.assert_allclose(totals, expected.to_numpy())


# ----------------------------------------------------------------------------- reservation

DEMAND = np.array([[3, 5, 5, 6, 9, 4, 5, 12], [2, 6, 7, 6, 8, 5, 3, 10]], dtype=float)  # 2 scenarios x 8 h


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
