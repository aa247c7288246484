"""resopt.simulate against the independent, deliberately simple simulators of ``oracles.scheduling``.

``step_reference`` (fixed time step, exact rationals, every policy) and ``event_reference``
(event to event, ``srtf`` on machines of unequal speeds) share no code with :mod:`resopt.sim`.

Random instances are small, with many ties (few distinct arrivals and
durations), and task ids listed out of arrival order.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import resopt

from oracles.scheduling import event_reference, reference_metrics, step_reference

ALL = ["round_robin", "least_connections", "weighted", "fcfs", "sjf", "srtf"]
PRIORITY = ["priority", "priority_preemptive"]


# ---------------------------------------------------------------------------
# comparison


def _frame(tasks):
    return pd.DataFrame(tasks, columns=["task", "arrival", "duration"])


def assert_matches(tasks, machines, policy, rows, segs):
    m = machines if isinstance(machines, int) else len(machines)
    result = resopt.simulate(_frame(tasks), machines, policy=policy)
    got = result.schedule.set_index("task")
    assert list(result.schedule["task"]) == [tid for tid, _, _ in tasks]
    for tid, want in rows.items():
        row = got.loc[tid]
        for col in ("machine", "start", "completion", "service", "waiting", "turnaround"):
            assert row[col] == float(want[col]), (policy, tid, col, row[col], want[col])
    got_segs = sorted(result.segments.itertuples(index=False, name=None))
    assert got_segs == [(tid, j, float(a), float(b)) for tid, j, a, b in segs]
    want_metrics, want_busy = reference_metrics(tasks, rows, segs, m)
    for name, value in want_metrics.items():
        assert result.metrics[name] == pytest.approx(float(value), rel=1e-12, abs=1e-12), name
    assert result.busy_time.tolist() == pytest.approx([float(b) for b in want_busy], rel=1e-12)


@st.composite
def instances(draw, durations=st.integers(1, 5), max_n=10):
    n = draw(st.integers(0, max_n))
    arrivals = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    lengths = draw(st.lists(durations, min_size=n, max_size=n))
    ids = draw(st.permutations([f"t{i}" for i in range(n)]))
    return [(ids[i], arrivals[i], lengths[i]) for i in range(n)]


@pytest.mark.parametrize("policy", ALL)
@given(tasks=instances(), m=st.integers(1, 4))
def test_matches_unit_step_reference(policy, tasks, m):
    rows, segs = step_reference(tasks, [1] * m, policy)
    assert_matches(tasks, m, policy, rows, segs)


@pytest.mark.parametrize("policy", ["round_robin", "least_connections", "weighted", "fcfs", "sjf"])
@given(tasks=instances(durations=st.integers(1, 3).map(lambda d: 4 * d)), speeds=st.lists(st.sampled_from([1, 2, 4]), min_size=1, max_size=4))
def test_matches_step_reference_with_speeds(policy, tasks, speeds):
    # durations are multiples of 4, speeds divide 4: every run time is a whole number of steps
    rows, segs = step_reference(tasks, speeds, policy)
    assert_matches(tasks, speeds, policy, rows, segs)


@given(tasks=instances(max_n=9), speeds=st.lists(st.sampled_from([1, 2, 4]), min_size=1, max_size=3))
def test_srtf_matches_event_reference_with_speeds(tasks, speeds):
    # speeds are powers of two, so the engine's float times are the exact rationals
    rows, segs = event_reference(tasks, speeds)
    assert_matches(tasks, speeds, "srtf", rows, segs)


@given(tasks=instances(max_n=9), m=st.integers(1, 3))
def test_two_references_agree_on_srtf(tasks, m):
    # the step and event references are separate code; with speed 1 they must coincide
    assert step_reference(tasks, [1] * m, "srtf") == event_reference(tasks, [1] * m)


@given(
    arrivals=st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=30),
    data=st.data(),
)
def test_invariants_on_float_data(arrivals, data):
    # float data (no exact reference): the schedule is consistent with its own pieces
    n = len(arrivals)
    durations = data.draw(st.lists(st.floats(0.01, 20), min_size=n, max_size=n))
    speeds = data.draw(st.lists(st.floats(0.25, 4), min_size=1, max_size=4))
    tasks = pd.DataFrame({"task": range(n), "arrival": arrivals, "duration": durations})
    for policy in ALL:
        r = resopt.simulate(tasks, speeds, policy=policy)
        s = r.schedule
        assert (s["start"] >= s["arrival"]).all()
        assert (s["waiting"] >= 0).all()
        assert np.allclose(s["completion"] - s["arrival"] - s["service"], s["waiting"], atol=1e-9)
        per_task = r.segments.assign(length=r.segments["end"] - r.segments["start"]).groupby("task")["length"].sum()
        assert np.allclose(per_task.reindex(s["task"]).to_numpy(), s["service"].to_numpy())
        # no machine runs two pieces at once
        for _, pieces in r.segments.groupby("machine"):
            ends = pieces["end"].to_numpy()[:-1]
            starts = pieces["start"].to_numpy()[1:]
            assert (starts >= ends - 1e-12).all()
        if policy != "srtf":
            speed = np.asarray(speeds)[s["machine"].to_numpy()]
            assert np.allclose(s["service"], s["duration"] / speed)


# ---------------------------------------------------------------------------
# priority policies


def _priority_frame(tasks, importance, urgency):
    return _frame(tasks).assign(importance=importance, urgency=urgency)


@st.composite
def priority_instances(draw, max_n=10):
    tasks = draw(instances(max_n=max_n))
    n = len(tasks)
    importance = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    urgency = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    return tasks, importance, urgency


@pytest.mark.parametrize("policy", PRIORITY)
@given(
    case=priority_instances(),
    m=st.integers(1, 3),
    weight=st.sampled_from([1, 2, 0.5]),
    aging=st.sampled_from([0, 0, 1, 0.5, 3]),
)
def test_priority_matches_unit_step_reference(policy, case, m, weight, aging):
    tasks, importance, urgency = case
    priority = [Fraction(weight) * (a + b) for a, b in zip(importance, urgency)]
    rows, segs = step_reference(tasks, [1] * m, policy, priority=priority, aging=aging)
    frame = _priority_frame(tasks, importance, urgency)
    result = resopt.simulate(frame, m, policy=policy, priority_weight=weight, aging=aging)
    got = result.schedule.set_index("task")
    for tid, want in rows.items():
        for col in ("machine", "start", "completion", "service", "waiting", "turnaround"):
            assert got.loc[tid, col] == float(want[col]), (policy, tid, col)
    assert sorted(result.segments.itertuples(index=False, name=None)) == [
        (tid, j, float(a), float(b)) for tid, j, a, b in segs
    ]
    assert got["priority"].tolist() == [float(p) for p in priority]
    # per-class metrics: one class per distinct priority, highest first
    classes = result.priority_classes
    values = sorted(set(priority), reverse=True)
    assert classes["priority_min"].tolist() == [float(v) for v in values]
    for c, v in zip(classes.index, values):
        members = [rows[tid] for (tid, _, _), p in zip(tasks, priority) if p == v]
        assert classes.loc[c, "tasks"] == len(members)
        assert classes.loc[c, "mean_waiting"] == pytest.approx(float(sum(r["waiting"] for r in members) / len(members)))
        assert classes.loc[c, "max_waiting"] == float(max(r["waiting"] for r in members))
        assert classes.loc[c, "mean_turnaround"] == pytest.approx(
            float(sum(r["turnaround"] for r in members) / len(members))
        )


@given(case=priority_instances(max_n=9), speeds=st.lists(st.sampled_from([1, 2, 4]), min_size=1, max_size=3))
def test_priority_with_speeds_matches_step_reference(case, speeds):
    # durations are multiples of 4 and speeds divide 4, so every piece is whole steps
    tasks, importance, urgency = case
    tasks = [(tid, a, 4 * d) for tid, a, d in tasks]
    priority = [a + b for a, b in zip(importance, urgency)]
    for policy in PRIORITY:
        try:
            rows, segs = step_reference(tasks, speeds, policy, priority=priority)
        except ValueError:  # a preempted piece left the grid: no exact fixed-step answer
            continue
        result = resopt.simulate(_priority_frame(tasks, importance, urgency), speeds, policy=policy)
        got = result.schedule.set_index("task")
        for tid, want in rows.items():
            for col in ("machine", "start", "completion", "service", "waiting"):
                assert got.loc[tid, col] == float(want[col]), (policy, tid, col)


@given(case=priority_instances(max_n=9), m=st.integers(1, 3))
def test_equal_priorities_are_fcfs(case, m):
    tasks, _, _ = case
    frame = _frame(tasks).assign(priority=7.0)
    fcfs = resopt.simulate(frame, m, policy="fcfs").schedule
    for policy in PRIORITY:
        got = resopt.simulate(frame, m, policy=policy).schedule
        pd.testing.assert_frame_equal(got, fcfs)
