"""Hand-checked cases for the priority policies: the source's formula, aging, preemption,
per-class metrics, the ten-task example with importance and urgency, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resopt import InputError, compare_policies, simulate

import golden

MODELS = Path(__file__).resolve().parents[1] / "models" / "scheduling"


def tasks(*rows, column="priority"):
    """rows of (id, arrival, duration, priority)."""
    return pd.DataFrame(rows, columns=["task", "arrival", "duration", column])


def pieces(result):
    return [tuple(r) for r in result.segments.itertuples(index=False, name=None)]


def test_priority_is_weight_times_importance_plus_urgency():
    t = pd.DataFrame({"task": ["a", "b", "c"], "arrival": 0, "duration": 1,
                      "importance": [1, 0, 2], "urgency": [1, 3, 0.5]})
    r = simulate(t, 1, policy="priority", priority_weight=2)
    assert r.schedule["priority"].tolist() == [4, 6, 5]
    assert r.schedule.set_index("task")["start"].to_dict() == {"b": 0, "c": 1, "a": 2}
    only_urgency = simulate(t.drop(columns="importance"), 1, policy="priority")
    assert only_urgency.schedule["priority"].tolist() == [1, 3, 0.5]


def test_non_preemptive_priority_and_ties():
    # X holds the machine until 10; at 10 the highest priority waiting task goes first,
    # equal priorities by arrival, then table order
    t = tasks(("X", 0, 10, 0), ("L", 1, 1, 0), ("H", 8, 1, 5), ("H2", 8, 1, 5), ("H0", 3, 1, 5))
    r = simulate(t, 1, policy="priority")
    assert r.schedule.set_index("task")["start"].to_dict() == {"X": 0, "L": 13, "H": 11, "H2": 12, "H0": 10}


@pytest.mark.parametrize("aging, first", [(0, "H"), (0.5, "H"), (1, "L"), (2, "L")])
def test_aging_changes_the_order(aging, first):
    # at t=10: L has waited 9 (priority 0 + 9 * aging), H has waited 2 (5 + 2 * aging)
    t = tasks(("X", 0, 10, 0), ("L", 1, 1, 0), ("H", 8, 1, 5))
    r = simulate(t, 1, policy="priority", aging=aging)
    starts = r.schedule.set_index("task")["start"]
    assert starts[first] == 10 and starts[{"H": "L", "L": "H"}[first]] == 11


def test_preemptive_priority_resumes_where_it_stopped():
    t = tasks(("A", 0, 5, 1), ("B", 1, 4, 3), ("C", 3, 1, 4))
    r = simulate(t, 1, policy="priority_preemptive")
    assert pieces(r) == [("A", 0, 0.0, 1.0), ("B", 0, 1.0, 3.0), ("C", 0, 3.0, 4.0),
                         ("B", 0, 4.0, 6.0), ("A", 0, 6.0, 10.0)]
    s = r.schedule.set_index("task")
    assert s.loc["A", ["start", "completion", "service", "waiting"]].tolist() == [0, 10, 5, 5]
    assert s.loc["B", "waiting"] == 1


def test_preemptive_aging_counts_only_time_spent_waiting():
    # aging 1: at t=4 A (1 + 3 waited) ties B (3 + 1 waited); A arrived first and runs
    t = tasks(("A", 0, 5, 1), ("B", 1, 4, 3), ("C", 3, 1, 4))
    r = simulate(t, 1, policy="priority_preemptive", aging=1)
    assert pieces(r) == [("A", 0, 0.0, 1.0), ("B", 0, 1.0, 3.0), ("C", 0, 3.0, 4.0),
                         ("A", 0, 4.0, 8.0), ("B", 0, 8.0, 10.0)]


def test_preemptive_equal_priority_does_not_preempt_and_machines_stay():
    # B arrives with A's priority: A arrived first and keeps running; C (higher) pushes out
    # the worst runner (B, on machine 1), and A keeps machine 0
    t = tasks(("A", 0, 4, 2), ("B", 0, 4, 1), ("D", 1, 2, 2), ("C", 2, 1, 9))
    r = simulate(t, 2, policy="priority_preemptive")
    assert pieces(r) == [("A", 0, 0.0, 4.0), ("B", 1, 0.0, 1.0), ("D", 1, 1.0, 2.0), ("C", 1, 2.0, 3.0),
                         ("D", 1, 3.0, 4.0), ("B", 0, 4.0, 7.0)]


def test_ten_task_example_with_importance_and_urgency_by_hand():
    t = pd.read_csv(MODELS / "tasks_priority.csv")
    assert (t["importance"] + t["urgency"]).tolist() == [3, 2, 5, 1, 5, 3, 6, 1, 3, 2]
    r = simulate(t, 2, policy="priority_preemptive")
    assert pieces(r) == [
        ("T1", 0, 0.0, 5.0), ("T2", 1, 2.0, 4.0), ("T3", 1, 4.0, 14.0), ("T2", 0, 5.0, 6.0),
        ("T4", 0, 6.0, 8.0), ("T5", 0, 8.0, 10.0), ("T6", 0, 10.0, 12.0), ("T7", 0, 12.0, 18.0),
        ("T6", 1, 14.0, 16.0), ("T9", 1, 16.0, 26.0), ("T10", 0, 18.0, 30.0), ("T4", 1, 26.0, 31.0),
        ("T8", 0, 30.0, 38.0),
    ]
    assert r.schedule["waiting"].tolist() == [0, 1, 0, 18, 0, 2, 0, 16, 0, 0]
    assert r.metrics["mean_waiting"] == pytest.approx(3.7)
    assert r.metrics["makespan"] == 38
    classes = r.priority_classes
    assert classes["priority_min"].tolist() == [6, 5, 3, 2, 1]
    assert classes["tasks"].tolist() == [1, 2, 3, 2, 2]
    assert classes["mean_waiting"].tolist() == [0, 0, 2 / 3, 0.5, 17]


def test_ten_task_example_table_policies_and_classes():
    # the figures of each policy are the golden case ten_tasks_priority (test_sim.py::test_golden_figures)
    t = pd.read_csv(MODELS / "tasks_priority.csv")
    table = compare_policies(t, 2)
    assert table.index.tolist() == ["round_robin", "least_connections", "weighted", "fcfs", "sjf", "srtf",
                                    "priority", "priority_preemptive"]
    expected = golden.case("scheduling", "ten_tasks_priority").expected
    assert table.columns.tolist() == list(expected["fcfs"])
    # the highest class never waits under preemption; the lowest pays for it
    assert table.loc["priority_preemptive", "mean_waiting_class_1"] == 0
    assert table.loc["priority_preemptive", "mean_waiting_class_5"] > table.loc["fcfs", "mean_waiting_class_5"]


@pytest.mark.parametrize(
    "aging, mean, worst, makespan, by_class",
    [(0.5, 3.2, 10, 40, [0, 0, 2, 5.5, 7.5]), (1, 3.1, 9, 39, [2, 0, 8 / 3, 5, 5.5])],
)
def test_ten_task_example_aging_figures_in_readme(aging, mean, worst, makespan, by_class):
    t = pd.read_csv(MODELS / "tasks_priority.csv")
    r = simulate(t, 2, policy="priority_preemptive", aging=aging)
    assert r.metrics["mean_waiting"] == pytest.approx(mean)
    assert (r.metrics["max_waiting"], r.metrics["makespan"]) == (worst, makespan)
    assert r.priority_classes["mean_waiting"].tolist() == pytest.approx(by_class)


def test_many_priorities_form_quartile_classes():
    n = 100
    t = pd.DataFrame({"task": range(n), "arrival": 0, "duration": 1, "priority": np.arange(n) * 1.5})
    classes = simulate(t, 4, policy="priority").priority_classes
    assert classes["tasks"].tolist() == [25, 25, 25, 25]
    assert classes["priority_min"].tolist() == [75 * 1.5, 50 * 1.5, 25 * 1.5, 0]
    assert classes["priority_max"].tolist() == [99 * 1.5, 74 * 1.5, 49 * 1.5, 24 * 1.5]
    # 4 machines, 100 unit tasks at t=0: the r-th highest priority (from 0) waits r // 4
    waits = np.arange(n) // 4
    assert classes["mean_waiting"].tolist() == pytest.approx([waits[q * 25:(q + 1) * 25].mean() for q in range(4)])
    assert classes["mean_waiting"].tolist() == pytest.approx([2.64, 8.88, 15.12, 21.36])


def test_other_policies_report_classes_too_and_no_priority_means_none():
    t = tasks(("a", 0, 2, 1), ("b", 0, 2, 0))
    assert simulate(t, 1, policy="fcfs").priority_classes["mean_waiting"].tolist() == [0, 2]
    plain = simulate(t.drop(columns="priority"), 1)
    assert plain.priority_classes is None and "priority" not in plain.schedule
    assert "mean_waiting by priority class" in repr(simulate(t, 1, policy="priority"))
    assert compare_policies(t.drop(columns="priority"), 1).index.tolist() == [
        "round_robin", "least_connections", "weighted", "fcfs", "sjf", "srtf"]


def test_zero_tasks_with_priorities():
    t = pd.DataFrame({"task": [], "arrival": [], "duration": [], "priority": []})
    for policy in ["priority", "priority_preemptive"]:
        r = simulate(t, 2, policy=policy)
        assert r.schedule.empty and r.priority_classes.empty


@pytest.mark.parametrize(
    "extra, kwargs, match",
    [
        ({"priority": [1, 2], "urgency": [0, 1]}, {}, r"'priority' column and 'urgency': give either"),
        ({"importance": [1, -1]}, {}, r"'importance' column of tasks must be non-negative\. Got -1 at row 1"),
        ({"urgency": [1, np.nan]}, {}, r"'urgency' column of tasks must not have missing values"),
        ({"priority": [1, "high"]}, {}, r"'priority' column of tasks must be numeric\. Got 'high'"),
        ({"Importance": [1, 2]}, {}, r"'Importance'.*'importance'"),
        ({"urgncy": [1, 2]}, {}, r"'urgncy'.*'urgency'"),
        ({}, {}, r"Policy 'priority' ranks tasks by priority: tasks needs 'importance'"),
        ({"priority": [1, 2]}, {"priority_weight": 0}, r"'priority_weight' must be > 0\. Got 0"),
        ({"priority": [1, 2]}, {"aging": -1}, r"'aging' must be >= 0\. Got -1"),
        ({"priority": [1, 2]}, {"aging": "fast"}, r"'aging' must be a number\. Got 'fast'"),
        ({"importance": [1e308, 1e308]}, {"priority_weight": 10}, r"overflows at row 0"),
    ],
)
def test_bad_priority_input(extra, kwargs, match):
    t = pd.DataFrame({"task": ["a", "b"], "arrival": [0, 1], "duration": [1, 1], **extra})
    with pytest.raises(InputError, match=match):
        simulate(t, 1, policy="priority", **kwargs)
