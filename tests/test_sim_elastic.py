"""Elastic capacity: invariants on random instances, hand-checked traces of scale-up and
scale-down, fleets compared in compare_policies, the plot, and bad settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resopt import Elastic, InputError, compare_policies, simulate

MODELS = Path(__file__).resolve().parents[1] / "models" / "scheduling"
QUEUE = ["fcfs", "sjf", "priority"]


def tasks(*rows):
    """rows of (id, arrival, duration)."""
    return pd.DataFrame(rows, columns=["task", "arrival", "duration"])


def check_invariants(result, spec):
    cap, life, s = result.capacity, result.machines, result.schedule
    counts = cap["machines"].to_numpy()
    assert (counts >= spec.min).all() and (counts <= spec.max).all()
    assert (cap["ready"] <= cap["machines"]).all() and (cap["ready"] >= spec.min).all()
    assert (np.diff(cap["time"]) >= 0).all()
    integral = float((counts[:-1] * np.diff(cap["time"].to_numpy())).sum())
    assert result.metrics["machine_hours"] == pytest.approx(integral, rel=1e-12, abs=1e-9)
    assert integral == pytest.approx(float((life["removed"] - life["requested"]).sum()), rel=1e-12, abs=1e-9)
    assert (life["machine"] < spec.max).all()
    # every task ran inside the life of one machine: never before it was ready, never after its removal
    for row in s.itertuples():
        lives = life[(life["machine"] == row.machine) & (life["ready"] <= row.start) & (row.completion <= life["removed"])]
        assert len(lives) == 1, (row, life)
    # one task at a time per machine; lives of one slot do not overlap
    for _, pieces in s.sort_values("start").groupby("machine"):
        assert (pieces["start"].to_numpy()[1:] >= pieces["completion"].to_numpy()[:-1]).all()
    for _, lives in life.sort_values("requested").groupby("machine"):
        assert (lives["requested"].to_numpy()[1:] >= lives["removed"].to_numpy()[:-1]).all()
    # the count on every stretch of time equals the machines alive then
    times = cap["time"].to_numpy()
    for t, m, length in zip(times[:-1], counts[:-1], np.diff(times)):
        if length > 0:
            assert m == int(((life["requested"] <= t) & (t < life["removed"])).sum())
    assert (s["start"] >= s["arrival"]).all() and (s["service"] == s["duration"]).all()


@st.composite
def elastic_cases(draw):
    n = draw(st.integers(0, 25))
    arrivals = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    durations = draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))
    low = draw(st.integers(1, 3))
    high = draw(st.integers(low, 6))
    spec = Elastic(
        min=low, max=high, initial=draw(st.integers(low, high)),
        scale_up_at=draw(st.sampled_from([0.5, 0.8, 1.0])), scale_down_at=draw(st.sampled_from([0.0, 0.2, 0.45])),
        window=draw(st.sampled_from([1, 2.5, 4, 10])), provisioning_delay=draw(st.sampled_from([0, 1, 3, 7.5])),
        cooldown=draw(st.sampled_from([0, 2, 10])), step=draw(st.integers(1, 3)),
    )
    frame = pd.DataFrame({"task": range(n), "arrival": arrivals, "duration": durations,
                          "priority": draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))})
    return frame, spec


@settings(max_examples=150)
@given(case=elastic_cases(), policy=st.sampled_from(QUEUE))
def test_elastic_invariants_on_random_instances(case, policy):
    frame, spec = case
    check_invariants(simulate(frame, spec, policy=policy), spec)


@given(case=elastic_cases(), policy=st.sampled_from(QUEUE))
def test_a_fleet_that_cannot_change_is_the_fixed_fleet(case, policy):
    frame, spec = case
    fixed = Elastic(min=spec.max, max=spec.max, window=spec.window)
    got = simulate(frame, fixed, policy=policy)
    want = simulate(frame, spec.max, policy=policy)
    pd.testing.assert_frame_equal(got.schedule, want.schedule)
    assert got.metrics["machine_hours"] == want.metrics["machine_hours"]


def test_scale_up_trace_on_the_ten_tasks():
    # window 4, one machine at first; each window's utilization is 1 until four machines
    spec = Elastic(min=1, max=4, window=4, provisioning_delay=1)
    r = simulate(pd.read_csv(MODELS / "tasks.csv"), spec, policy="fcfs", cost_per_machine_hour=2)
    assert r.capacity.to_numpy().tolist() == [
        [0, 1, 1], [4, 2, 1], [5, 2, 2], [8, 3, 2], [9, 3, 3], [12, 4, 3], [13, 4, 4], [30, 4, 4],
    ]
    # T2 waits for machine 0 (T1 ends at 5); T3 takes the new machine 1, ready at 5
    assert r.schedule["start"].tolist() == [0, 5, 5, 8, 9, 11, 13, 15, 16, 18]
    assert r.schedule["machine"].tolist() == [0, 0, 1, 0, 2, 2, 3, 0, 1, 2]
    assert r.metrics["machine_hours"] == 1 * 4 + 2 * 4 + 3 * 4 + 4 * 18
    assert r.metrics["cost"] == 2 * 96
    assert r.metrics["utilization"] == pytest.approx(67 / 96)
    assert r.machines.to_numpy().tolist() == [[0, 0, 0, 30], [1, 4, 5, 30], [2, 8, 9, 30], [3, 12, 13, 30]]
    check_invariants(r, spec)


def test_scale_down_removes_the_highest_idle_machine():
    # t=0: A -> 0, B -> 1, machine 2 idle. Check at 5: (5 + 3) / 15 > 0.4. Check at 10: 5 / 15 <= 0.4:
    # machines 1 and 2 are idle, 2 goes. Check at 15: 5 / 10 = 0.5. A ends at 20.
    spec = Elastic(min=1, max=3, initial=3, window=5, scale_down_at=0.4, scale_up_at=0.9)
    r = simulate(tasks(("A", 0, 20), ("B", 0, 3)), spec)
    assert r.capacity.to_numpy().tolist() == [[0, 3, 3], [10, 2, 2], [20, 2, 2]]
    assert r.machines.to_numpy().tolist() == [[0, 0, 0, 20], [1, 0, 0, 20], [2, 0, 0, 10]]
    assert r.metrics["machine_hours"] == 50
    assert r.metrics["utilization"] == pytest.approx(23 / 50)


def test_busy_machines_are_not_removed():
    # at the check at 10 utilization is 3.5 / 20, but both machines are busy: nothing is removed
    spec = Elastic(min=1, max=2, initial=2, window=10, scale_down_at=0.3)
    r = simulate(tasks(("A", 0, 1), ("B", 0, 1), ("C", 9, 30), ("D", 9.5, 30)), spec)
    assert r.capacity.to_numpy().tolist() == [[0, 2, 2], [39.5, 2, 2]]


def test_cooldown_spaces_the_actions_and_step_adds_several():
    spec = Elastic(min=1, max=8, window=1, cooldown=3, step=2)
    r = simulate(tasks(*[(i, 0, 10) for i in range(8)]), spec)
    ups = r.capacity[r.capacity["machines"].diff() > 0]
    # at 1, 4 and 7 two more; at 10 (three after 7) one more, to the maximum of 8
    assert ups["time"].tolist() == [1, 4, 7, 10] and ups["machines"].tolist() == [3, 5, 7, 8]


def test_idle_stretch_is_skipped_and_measured_from_its_last_window():
    # a long gap between two tasks: the fleet stays at min; the window ending after the second
    # arrival measures only itself (utilization 1 over [1000, 1010]) and scales up
    spec = Elastic(min=1, max=2, window=10)
    r = simulate(tasks(("a", 0, 1), ("b", 1000, 30), ("c", 1000, 30)), spec)
    assert r.capacity.to_numpy().tolist() == [[0, 1, 1], [1010, 2, 2], [1040, 2, 2]]
    assert r.schedule.set_index("task")["start"].to_dict() == {"a": 0, "b": 1000, "c": 1010}


def test_compare_fixed_fleet_against_elastic_settings():
    t = pd.read_csv(MODELS / "tasks.csv")
    fleets = {"fixed 3": 3, "elastic 1..4": Elastic(min=1, max=4, window=4, provisioning_delay=1)}
    table = compare_policies(t, fleets, ["fcfs", "sjf"], cost_per_machine_hour=2)
    assert table.index.names == ["fleet", "policy"]
    assert table.index.tolist() == [("fixed 3", "fcfs"), ("fixed 3", "sjf"), ("elastic 1..4", "fcfs"),
                                    ("elastic 1..4", "sjf")]
    assert table.loc[("fixed 3", "fcfs"), "machine_hours"] == 93
    assert table.loc[("elastic 1..4", "fcfs"), "machine_hours"] == 96
    assert table.loc[("elastic 1..4", "fcfs"), "cost"] == 192
    assert table.loc[("elastic 1..4", "fcfs"), "mean_waiting"] == 1.0
    # default policies with an elastic fleet: the shared-queue ones it can run
    assert compare_policies(t, {"e": Elastic(max=3)}).index.get_level_values("policy").tolist() == ["fcfs", "sjf"]


def test_plot_draws_machine_count_under_gantt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = simulate(pd.read_csv(MODELS / "tasks.csv"), Elastic(min=1, max=4, window=4), policy="fcfs")
    ax = r.plot()
    assert len(ax.figure.axes) == 2
    below = ax.figure.axes[1]
    assert below.get_ylabel() == "machines" and len(below.get_lines()) == 2
    assert "elastic 1..4 (peak 4)" in repr(r)
    plt.close("all")


def test_zero_tasks_on_an_elastic_fleet():
    r = simulate(tasks(), Elastic(min=2, max=3))
    assert r.schedule.empty and r.metrics["machine_hours"] == 0
    assert r.capacity.to_numpy().tolist() == [[0, 2, 2], [0, 2, 2]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"min": 0}, r"Elastic 'min' must be between 1 and 1,000,000\. Got 0"),
        ({"min": 3, "max": 2}, r"'max' must be between 3 and"),
        ({"max": 10**9}, r"'max' must be between 1 and 1,000,000"),
        ({"min": 2, "max": 4, "initial": 5}, r"'initial' must be between 2 and 4"),
        ({"min": 1.5}, r"'min' must be a whole number\. Got 1\.5"),
        ({"scale_up_at": 0.3, "scale_down_at": 0.5}, r"'scale_down_at' \(0\.5\) must be below 'scale_up_at' \(0\.3\)"),
        ({"scale_up_at": 1.5}, r"'scale_up_at' must be between 0 and 1"),
        ({"window": 0}, r"'window' must be positive and finite"),
        ({"provisioning_delay": -1}, r"'provisioning_delay' must be non-negative"),
        ({"cooldown": "soon"}, r"'cooldown' must be a number"),
        ({"step": True}, r"'step' must be a whole number"),
    ],
)
def test_bad_elastic_settings(kwargs, match):
    with pytest.raises(InputError, match=match):
        Elastic(**kwargs)


def test_elastic_needs_a_shared_queue_policy_and_a_sane_window():
    t = tasks(("a", 0, 100))
    for policy in ["srtf", "round_robin", "priority_preemptive"]:
        with pytest.raises(InputError, match=r"An Elastic fleet runs the shared-queue policies fcfs, sjf, priority"):
            simulate(t.assign(priority=1), Elastic(), policy=policy)
    with pytest.raises(InputError, match=r"'window' 1e-07 is too short .* at least 1e-05"):
        simulate(t, Elastic(window=1e-7))
    with pytest.raises(InputError, match=r"'cost_per_machine_hour' must be >= 0"):
        simulate(t, 1, cost_per_machine_hour=-1)


def test_readme_fleet_table():
    t = pd.read_csv(MODELS / "tasks.csv")
    fleets = {
        "fixed 3": 3,
        "fixed 2": 2,
        "elastic 1..4": Elastic(min=1, max=4, window=4, provisioning_delay=1),
        "elastic 1..3, cooldown 8": Elastic(min=1, max=3, window=4, provisioning_delay=1, cooldown=8),
    }
    table = compare_policies(t, fleets, ["fcfs"], cost_per_machine_hour=2.5).droplevel("policy")
    got = table[["mean_waiting", "max_waiting", "makespan", "machine_hours", "cost"]].to_numpy().tolist()
    assert got == [[0.2, 1, 31, 93, 232.5], [3.3, 9, 39, 78, 195], [1.0, 3, 30, 96, 240], [2.6, 5, 33, 83, 207.5]]
    assert table["utilization"].round(3).tolist() == [0.72, 0.859, 0.698, 0.807]
