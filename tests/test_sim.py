"""Hand-checked cases for resopt.simulate / compare_policies: tie rules, the source's
ten-task example, metrics, bad input, the result object and its plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import resopt
from resopt import InputError, ScheduleResult, compare_policies, simulate

import golden

ALL = ["round_robin", "least_connections", "weighted", "fcfs", "sjf", "srtf"]
MODELS = Path(__file__).resolve().parents[1] / "models" / "scheduling"


def tasks(*rows):
    """rows of (id, arrival, duration)."""
    return pd.DataFrame(rows, columns=["task", "arrival", "duration"])


def by_task(result: ScheduleResult) -> dict:
    s = result.schedule
    return {
        t: (int(mc), float(st), float(c))
        for t, mc, st, c in zip(s["task"], s["machine"], s["start"], s["completion"])
    }


def pieces(result: ScheduleResult) -> list:
    return [tuple(r) for r in result.segments.itertuples(index=False, name=None)]


# --- the source's worked example ---------------------------------------------------------


def ten_tasks() -> pd.DataFrame:
    return pd.read_csv(MODELS / "tasks.csv")


def test_ten_task_example_data():
    t = ten_tasks()
    assert t["arrival"].tolist() == list(range(0, 20, 2))
    assert t["duration"].tolist() == [5, 3, 10, 7, 2, 4, 6, 8, 10, 12]
    assert t["duration"].sum() == 67  # the source claimed 64
    assert pd.read_csv(MODELS / "machines.csv")["speed"].tolist() == [1, 1, 1]


def test_ten_task_example_round_robin_by_hand():
    # machine 0: T1 T4 T7 T10, machine 1: T2 T5 T8, machine 2: T3 T6 T9
    r = simulate(ten_tasks(), pd.read_csv(MODELS / "machines.csv")["speed"], policy="round_robin")
    assert by_task(r) == {
        "T1": (0, 0, 5), "T2": (1, 2, 5), "T3": (2, 4, 14), "T4": (0, 6, 13), "T5": (1, 8, 10),
        "T6": (2, 14, 18), "T7": (0, 13, 19), "T8": (1, 14, 22), "T9": (2, 18, 28), "T10": (0, 19, 31),
    }
    assert r.schedule["waiting"].tolist() == [0, 0, 0, 0, 0, 4, 1, 0, 2, 1]
    m = r.metrics
    assert m["mean_waiting"] == pytest.approx(0.8)
    assert m["max_waiting"] == 4
    assert m["mean_turnaround"] == pytest.approx(7.5)  # (67 service + 8 waiting) / 10
    assert m["makespan"] == 31
    assert m["utilization"] == pytest.approx(67 / 93)
    assert m["average_load"] == pytest.approx(67 / 3)
    assert m["load_imbalance"] == pytest.approx(30 / (67 / 3))
    assert r.busy_time.tolist() == [30, 13, 24]


def test_ten_task_example_least_connections_by_hand():
    # T6 (t=10) finds machine 1 free because T5 completes at 10, before the arrival;
    # T7 (t=12) finds one task everywhere and takes machine 0, waiting for T4 until 13.
    r = simulate(ten_tasks(), 3, policy="least_connections")
    assert r.schedule["machine"].tolist() == [0, 1, 2, 0, 1, 1, 0, 1, 2, 0]
    assert r.schedule["waiting"].tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 0, 1]
    assert r.busy_time.tolist() == [30, 17, 20]
    assert r.metrics["mean_waiting"] == pytest.approx(0.2)
    assert r.metrics["mean_turnaround"] == pytest.approx(6.9)


@pytest.mark.parametrize("case, policy", golden.params("scheduling", lambda case: list(case.expected)))
def test_golden_figures(case, policy):
    """Each policy's row of compare_policies on a golden case (the ten tasks, with and without priorities)."""
    table = compare_policies(case.inputs["tasks"], case.options["machines"])
    expected = pd.Series(case.expected[policy], name=policy, dtype=float)
    pd.testing.assert_series_equal(table.loc[policy], expected, check_exact=False, rtol=1e-10)


def test_ten_task_example_all_policies():
    table = compare_policies(ten_tasks(), 3)
    assert table.index.tolist() == ALL
    assert (table["machine_hours"] == 3 * 31).all()  # three machines from the first arrival to the last completion
    assert (table["makespan"] == 31).all()
    assert (table[["busy_time_0", "busy_time_1", "busy_time_2"]].sum(axis=1) == 67).all()
    # with three identical machines, weighted is round robin, and the queue policies agree
    assert table.loc["weighted"].equals(table.loc["round_robin"])
    for p in ["fcfs", "sjf", "srtf"]:
        assert table.loc[p].equals(table.loc["least_connections"])


# --- tie rule 1: completions at an instant happen before arrivals at that instant ---------


def test_least_connections_sees_completion_at_arrival_instant():
    # B completes on machine 1 at t=2, when C arrives: machine 1 has 0 unfinished, machine 0 has 1
    r = simulate(tasks(("A", 0, 5), ("B", 0, 2), ("C", 2, 1)), 2, policy="least_connections")
    assert by_task(r) == {"A": (0, 0, 5), "B": (1, 0, 2), "C": (1, 2, 3)}


def test_sjf_decides_after_arrivals_at_the_same_instant():
    # at t=2, A completes and C arrives; C (1) is shorter than B (3), which arrived earlier
    r = simulate(tasks(("A", 0, 2), ("B", 1, 3), ("C", 2, 1)), 1, policy="sjf")
    assert by_task(r) == {"A": (0, 0, 2), "B": (0, 3, 6), "C": (0, 2, 3)}
    assert r.schedule["waiting"].tolist() == [0, 2, 0]


@pytest.mark.parametrize("policy", ["fcfs", "sjf", "srtf"])
def test_machine_freed_at_arrival_instant_is_lowest_index(policy):
    # machine 0 frees at t=2 as C arrives: machines 0 and 1 are both idle, C takes 0
    r = simulate(tasks(("A", 0, 2), ("C", 2, 1)), 2, policy=policy)
    assert by_task(r) == {"A": (0, 0, 2), "C": (0, 2, 3)}


@pytest.mark.parametrize("policy", ALL)
def test_back_to_back_tasks_do_not_wait(policy):
    r = simulate(tasks(("A", 0, 3), ("B", 3, 1)), 1, policy=policy)
    assert by_task(r) == {"A": (0, 0, 3), "B": (0, 3, 4)}
    assert r.metrics["mean_waiting"] == 0
    assert r.metrics["utilization"] == 1


# --- tie rule 2: equal keys go by earlier arrival, then table order -----------------------


def test_round_robin_counts_arrivals_in_arrival_then_table_order():
    r = simulate(tasks(("c", 1, 1), ("a", 0, 1), ("b", 0, 1), ("d", 1, 1)), 3, policy="round_robin")
    assert dict(zip(r.schedule["task"], r.schedule["machine"])) == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_fcfs_equal_arrivals_in_table_order():
    r = simulate(tasks(("y", 0, 2), ("x", 0, 1)), 1, policy="fcfs")
    assert by_task(r) == {"y": (0, 0, 2), "x": (0, 2, 3)}


def test_sjf_equal_durations_by_arrival_then_table_order():
    r = simulate(tasks(("A", 0, 5), ("C", 2, 2), ("E", 1, 2), ("D", 1, 2)), 1, policy="sjf")
    # E and D arrived at 1 (E listed first), C at 2: order E, D, C
    assert by_task(r) == {"A": (0, 0, 5), "E": (0, 5, 7), "D": (0, 7, 9), "C": (0, 9, 11)}


def test_srtf_running_task_keeps_machine_on_equal_remaining_work():
    # at t=2, A has 2 left and B needs 2: A arrived earlier, so it is not preempted
    r = simulate(tasks(("A", 0, 4), ("B", 2, 2)), 1, policy="srtf")
    assert pieces(r) == [("A", 0, 0.0, 4.0), ("B", 0, 4.0, 6.0)]


def test_srtf_preempts_for_strictly_less_work():
    r = simulate(tasks(("A", 0, 4), ("B", 2, 1)), 1, policy="srtf")
    assert pieces(r) == [("A", 0, 0.0, 2.0), ("B", 0, 2.0, 3.0), ("A", 0, 3.0, 5.0)]
    row = r.schedule.set_index("task").loc["A"]
    assert (row["start"], row["completion"], row["service"], row["waiting"]) == (0, 5, 4, 1)


def test_srtf_waiting_tasks_with_equal_work_by_arrival_then_table_order():
    r = simulate(tasks(("A", 0, 3), ("C", 2, 2), ("E", 1, 2), ("D", 1, 2)), 1, policy="srtf")
    # at t=1 A has 2 left = E and D: A keeps running; then E, D (table order), C
    assert [p[0] for p in pieces(r)] == ["A", "E", "D", "C"]


# --- tie rule 3: idle machines are filled lowest index first -----------------------------


def test_fcfs_fills_lowest_index_first():
    r = simulate(tasks(("a", 0, 4), ("b", 0, 1), ("c", 0, 4), ("d", 2, 1)), 3, policy="fcfs")
    # b frees machine 1 at t=1; d (t=2) finds only machine 1 idle
    assert by_task(r) == {"a": (0, 0, 4), "b": (1, 0, 1), "c": (2, 0, 4), "d": (1, 2, 3)}


def test_sjf_gives_lowest_index_to_shortest():
    r = simulate(tasks(("long", 0, 9), ("short", 0, 1), ("mid", 0, 5)), 3, policy="sjf")
    assert dict(zip(r.schedule["task"], r.schedule["machine"])) == {"short": 0, "mid": 1, "long": 2}


def test_queue_policies_fill_by_index_not_speed():
    r = simulate(tasks(("A", 0, 4)), [1, 2], policy="fcfs")
    assert by_task(r) == {"A": (0, 0, 4)}


def test_least_connections_ties_and_same_instant_bindings():
    # all at t=0: counts include tasks bound a moment earlier at the same instant
    r = simulate(tasks(*[(i, 0, 10) for i in range(5)]), 3, policy="least_connections")
    assert r.schedule["machine"].tolist() == [0, 1, 2, 0, 1]
    assert r.schedule["start"].tolist() == [0, 0, 0, 10, 10]


def test_least_connections_prefers_fewest_unfinished():
    # t=0: A->0, B->1; t=1: A done, C->0 (0 vs 1); t=2: D: counts 1,1 -> 0
    r = simulate(tasks(("A", 0, 1), ("B", 0, 9), ("C", 1, 5), ("D", 2, 1)), 2, policy="least_connections")
    assert by_task(r) == {"A": (0, 0, 1), "B": (1, 0, 9), "C": (0, 1, 6), "D": (0, 6, 7)}


# --- srtf machine placement ---------------------------------------------------------------


def test_srtf_running_task_stays_on_its_machine():
    # t=0: B (6) -> machine 0, A (10) -> machine 1. t=1: C (1) pushes out A (9 left), the worst
    # runner, and takes A's machine 1; B keeps machine 0 although C is shorter. t=2: A resumes on 1.
    r = simulate(tasks(("A", 0, 10), ("B", 0, 6), ("C", 1, 1)), 2, policy="srtf")
    assert pieces(r) == [("B", 0, 0.0, 6.0), ("A", 1, 0.0, 1.0), ("C", 1, 1.0, 2.0), ("A", 1, 2.0, 11.0)]
    assert r.schedule.set_index("task").loc["A", "waiting"] == 1


def test_srtf_with_speeds_service_is_actual_run_time():
    # speeds [1, 2]. t=0: B (2) -> machine 0, A (8) -> machine 1. t=1: C (5) beats A (6 left):
    # A is preempted; C takes machine 1. t=2: B done; A resumes on machine 0 at speed 1 and
    # keeps it when C frees the fast machine at 3.5 (it is running, so it stays).
    r = simulate(tasks(("A", 0, 8), ("B", 0, 2), ("C", 1, 5)), [1, 2], policy="srtf")
    assert pieces(r) == [
        ("B", 0, 0.0, 2.0), ("A", 1, 0.0, 1.0), ("C", 1, 1.0, 3.5), ("A", 0, 2.0, 8.0),
    ]
    row = r.schedule.set_index("task").loc["A"]
    assert (row["machine"], row["start"], row["completion"], row["service"], row["waiting"]) == (0, 0, 8, 7, 1)
    assert r.busy_time.tolist() == [8.0, 3.5]


# --- weighted ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "speeds, expected",
    [
        ([5, 1, 1], [0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0]),
        ([2, 1], [0, 1, 0, 0, 1, 0, 0]),
        ([0.5, 0.25], [0, 1, 0, 0, 1, 0, 0]),
        ([0.3, 0.1, 0.2], [0, 2, 0, 1, 2, 0, 0]),
        ([1, 1, 1], [0, 1, 2, 0, 1, 2, 0]),
        ([1, 3], [1, 0, 1, 1, 1, 0, 1]),
    ],
)
def test_weighted_is_smooth_weighted_round_robin(speeds, expected):
    n = len(expected)
    r = simulate(tasks(*[(i, i, 0.1) for i in range(n)]), speeds, policy="weighted")
    assert r.schedule["machine"].tolist() == expected
    assert np.allclose(r.schedule["service"], 0.1 / np.asarray(speeds, dtype=float)[expected])


def test_weighted_long_run_shares_follow_weights():
    n = 100_003
    r = simulate(
        pd.DataFrame({"task": range(n), "arrival": np.arange(n), "duration": 1.0}), [3, 1, 2, 0.5], policy="weighted"
    )
    counts = np.bincount(r.schedule["machine"], minlength=4)
    assert np.abs(counts - n * np.array([3, 1, 2, 0.5]) / 6.5).max() <= 1


def test_weighted_with_speeds_that_are_not_short_fractions():
    # the float 1/3 is read as the fraction 1/3 (weights 1:2); pi and e become fractions with
    # large denominators, whose period is longer than the run
    r = simulate(tasks(*[(i, i, 1) for i in range(6)]), [1 / 3, 2 / 3], policy="weighted")
    assert r.schedule["machine"].tolist() == [1, 0, 1, 1, 0, 1]
    r = simulate(tasks(*[(i, i, 1) for i in range(4)]), [np.pi, np.e], policy="weighted")
    assert r.schedule["machine"].tolist() == [0, 1, 0, 1]


# --- metrics --------------------------------------------------------------------------------


def test_metrics_definitions_on_a_small_case():
    # 2 machines, first arrival at 1, last completion at 7
    r = simulate(tasks(("a", 1, 4), ("b", 1, 2), ("c", 2, 3)), 2, policy="fcfs")
    assert by_task(r) == {"a": (0, 1, 5), "b": (1, 1, 3), "c": (1, 3, 6)}
    m = r.metrics
    assert m["mean_waiting"] == pytest.approx(1 / 3)
    assert m["max_waiting"] == 1
    assert m["mean_turnaround"] == pytest.approx((4 + 2 + 4) / 3)
    assert m["makespan"] == 5  # 6 - 1
    assert r.busy_time.tolist() == [4, 5]
    assert m["utilization"] == pytest.approx(9 / 10)
    assert m["average_load"] == 4.5
    assert m["load_imbalance"] == pytest.approx(5 / 4.5)


def test_speeds_scale_service_time():
    r = simulate(tasks(("a", 0, 4), ("b", 0, 4)), [2, 0.5], policy="round_robin")
    assert by_task(r) == {"a": (0, 0, 2), "b": (1, 0, 8)}
    assert r.schedule["service"].tolist() == [2, 8]
    assert r.busy_time.tolist() == [2, 8]


@pytest.mark.parametrize("policy", ALL)
def test_zero_tasks_give_empty_schedule_and_zero_metrics(policy):
    r = simulate(tasks(), 3, policy=policy)
    assert r.schedule.empty and r.segments.empty
    assert list(r.schedule.columns[:6]) == ["task", "machine", "start", "completion", "waiting", "turnaround"]
    assert list(r.segments.columns) == ["task", "machine", "start", "end"]
    assert all(r.metrics[k] == 0 for k in ["mean_waiting", "max_waiting", "mean_turnaround", "makespan",
                                            "utilization", "average_load", "load_imbalance"])
    assert r.busy_time.tolist() == [0, 0, 0]
    assert "tasks=0" in repr(r)


def test_compare_policies_zero_tasks_and_selection():
    table = compare_policies({"task": [], "arrival": [], "duration": []}, 2)
    assert table.index.tolist() == ALL and (table == 0).all().all()
    one = compare_policies(ten_tasks(), 3, "srtf")
    assert one.index.tolist() == ["srtf"]
    two = compare_policies(ten_tasks(), 3, ["sjf", "round_robin"])
    assert two.index.tolist() == ["sjf", "round_robin"]
    assert two.index.name == "policy"


# --- input ----------------------------------------------------------------------------------


def test_accepts_mapping_series_and_array_speeds_and_keeps_index():
    t = tasks(("a", 0, 1), ("b", 0, 2)).set_index(pd.Index(["r1", "r2"]))
    for speeds in ([1, 2], (1, 2), np.array([1.0, 2.0]), pd.Series([1, 2], index=["g0", "g1"])):
        r = simulate(t, speeds, policy="fcfs")
        assert r.schedule.index.tolist() == ["r1", "r2"]
        assert r.speeds == (1.0, 2.0)
    r = simulate({"task": [1, 2], "arrival": [0, 0], "duration": [1, 1]}, np.int64(2))
    assert r.schedule["machine"].tolist() == [0, 1]
    assert r.schedule["task"].tolist() == [1, 2]
    assert simulate(t, 2.0).speeds == (1.0, 1.0)


def test_lazy_export():
    assert resopt.simulate is simulate and resopt.compare_policies is compare_policies
    assert resopt.ScheduleResult is ScheduleResult


@pytest.mark.parametrize(
    "data, match",
    [
        ({"task": [1], "arrival": [0]}, r"missing the required column\(s\) 'duration'"),
        ({"id": [1], "arrival": [0], "duration": [1]}, r"missing the required column\(s\) 'task'"),
        ({"task": [1, 2], "arrival": [0, 0], "duration": [1, 0]}, r"'duration' column of tasks must be positive\. Got 0 at row 1"),
        ({"task": [1], "arrival": [0], "duration": [-2.5]}, r"'duration' column of tasks must be positive\. Got -2\.5 at row 0"),
        ({"task": [1, 2], "arrival": [0, np.nan], "duration": [1, 1]}, r"'arrival' column of tasks must not have missing values \(NaN\)\. Got nan at row 1"),
        ({"task": [1], "arrival": [0], "duration": [np.nan]}, r"'duration' column of tasks must not have missing values"),
        ({"task": [1], "arrival": [0], "duration": [np.inf]}, r"'duration' column of tasks must be finite"),
        ({"task": [1], "arrival": [0], "duration": ["long"]}, r"'duration' column of tasks must be numeric\. Got 'long'"),
        ({"task": [1, 2], "arrival": [0, -1], "duration": [1, 1]}, r"'arrival' column of tasks must be non-negative\. Got -1 at row 1"),
        ({"task": ["a", "b", "a"], "arrival": [0, 0, 0], "duration": [1, 1, 1]}, r"'task' column of tasks must be unique\. Got 'a' at rows 0 and 2"),
        ({"task": ["a", None], "arrival": [0, 0], "duration": [1, 1]}, r"'task' column of tasks must not have missing values\. Got (None|nan) at row 1"),
        ({"task": [1, 2], "arrival": [0], "duration": [1, 1]}, r"same length"),
        ([1, 2, 3], r"tasks must be a pandas DataFrame"),
    ],
)
def test_bad_tasks(data, match):
    with pytest.raises(InputError, match=match):
        simulate(data, 2)
    with pytest.raises(InputError, match=match):
        compare_policies(data, 2)


@pytest.mark.parametrize(
    "machines, match",
    [
        (0, r"'machines' must be at least 1\. Got 0"),
        (-3, r"'machines' must be at least 1\. Got -3"),
        ([], r"at least 1 machine"),
        (2.5, r"'machines' must be a whole number when it is a count of machines; pass a list of speeds .* Got 2\.5\."),
        (np.float64(0.5), r"must be a whole number .* Got 0\.5"),
        (10**9, r"'machines' must be at most 1,000,000 .* Got 1000000000\."),
        (np.ones(1_000_001), r"'machines' must be at most 1,000,000 .* Got 'a sequence of 1,000,001 speeds'"),
        (True, r"'machines' must be .* Got True"),
        ("3", r"'machines' must be .* Got '3'"),
        (None, r"'machines' must be .* Got NoneType"),
        ([1, 0], r"speed must be a positive finite number\. Got 0 for machine 1"),
        ([1, -2], r"Got -2 for machine 1"),
        ([1, float("nan")], r"Got nan for machine 1"),
        ([1, "fast"], r"Got 'fast' for machine 1"),
    ],
)
def test_bad_machines(machines, match):
    with pytest.raises(InputError, match=match):
        simulate(tasks(("a", 0, 1)), machines)


@pytest.mark.parametrize("policy", ["SJF", "round-robin", "lifo", "", None, 3])
def test_unknown_policy_lists_known_ones(policy):
    known = "round_robin, least_connections, weighted, fcfs, sjf, srtf, priority, priority_preemptive"
    with pytest.raises(InputError, match=f"Unknown policy .*Known policies: {known}\\.") as err:
        simulate(tasks(("a", 0, 1)), 1, policy=policy)
    assert isinstance(err.value, ValueError)
    with pytest.raises(InputError, match="Known policies"):
        compare_policies(tasks(("a", 0, 1)), 1, [policy])


def test_unknown_policy_suggests_close_name():
    with pytest.raises(InputError, match="Did you mean 'round_robin'"):
        simulate(tasks(("a", 0, 1)), 1, policy="round-robin")


def test_compare_policies_rejects_empty_selection_and_non_names():
    with pytest.raises(InputError, match="at least one policy"):
        compare_policies(tasks(("a", 0, 1)), 1, [])
    with pytest.raises(InputError, match="Unknown policy 5. Known policies"):
        compare_policies(tasks(("a", 0, 1)), 1, 5)


# --- result object -------------------------------------------------------------------------


def test_repr_html_and_frames():
    r = simulate(ten_tasks(), [2, 1, 1], policy="srtf")
    text = repr(r)
    assert text.startswith("ScheduleResult(policy='srtf', tasks=10, machines=3, mixed speeds)")
    assert "mean_waiting" in text and "load_imbalance" in text and "busy_time" in text
    assert "<table" in r._repr_html_() and "srtf" in r._repr_html_()
    frame = r.to_frame()
    frame.loc[:, "start"] = -1.0
    assert (r.schedule["start"] >= 0).all()
    summary = r.summary()
    assert list(summary)[:7] == ["mean_waiting", "max_waiting", "mean_turnaround", "makespan",
                                 "utilization", "average_load", "load_imbalance"]
    assert [summary[f"busy_time_{j}"] for j in range(3)] == r.busy_time.tolist()


def test_plot_draws_one_bar_per_piece():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = simulate(tasks(("A", 0, 4), ("B", 2, 1)), 2, policy="srtf")
    ax = r.plot()
    assert len(ax.patches) == len(r.segments) == 2
    assert [t.get_text() for t in ax.get_yticklabels()] == ["machine 0", "machine 1"]
    plt.close("all")
    r = simulate(tasks(("A", 0, 4), ("B", 2, 1)), 1, policy="srtf")
    fig, ax = plt.subplots()
    assert r.plot(ax=ax) is ax
    assert len(ax.patches) == 3
    assert sorted((p.get_x(), p.get_width()) for p in ax.patches) == [(0, 2), (2, 1), (3, 2)]
    plt.close("all")
    assert simulate(tasks(), 2).plot() is not None
    plt.close("all")


def test_medium_instance_is_consistent_across_policies():
    rng = np.random.default_rng(7)
    n, m = 20_000, 8
    t = pd.DataFrame({
        "task": rng.permutation(n),
        "arrival": np.round(np.cumsum(rng.exponential(10 / (m * 0.95), n)), 1),
        "duration": np.round(rng.exponential(10, n), 1) + 0.1,
    })
    table = compare_policies(t, m)
    total = t["duration"].sum()
    busy = table[[f"busy_time_{j}" for j in range(m)]].sum(axis=1)
    assert np.allclose(busy, total)
    # srtf minimizes mean turnaround on one machine; with m machines it still beats fcfs here
    assert table.loc["srtf", "mean_turnaround"] < table.loc["sjf", "mean_turnaround"] < table.loc["fcfs", "mean_turnaround"]
    assert table.loc["fcfs", "mean_waiting"] < table.loc["round_robin", "mean_waiting"]

