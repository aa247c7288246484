"""Core assignment: every backend against brute force, each other, closed forms and bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import resopt
from resopt import InputError, Status, UnsupportedProblemError, assign_cores

import golden
from oracles.core_assignment import brute_force, check_feasible, objective

INTEGER_BACKENDS = ["exact", "highs", "cvxpy", "pulp"]
CONTINUOUS_BACKENDS = ["exact", "highs", "cvxpy"]
WORKED = {"capacity": [4, 2], "demand": [3, 2]}


def random_devices(rng: np.random.Generator, n: int, *, integer: bool) -> tuple[dict, float]:
    cap = rng.integers(0, 9, n).astype(float)
    lo = np.minimum(rng.integers(0, 3, n), cap).astype(float)
    devices = {
        "capacity": cap,
        "demand": rng.uniform(-1, 10, n).round(2),
        "weight": rng.uniform(0.1, 5, n).round(2),
        "unit_cost": rng.uniform(-2, 3, n).round(2),
        "min": lo,
    }
    total = float(rng.integers(lo.sum(), cap.sum() + 1))
    if not integer:
        total = float(rng.uniform(lo.sum(), cap.sum()))
    return devices, total


# ----------------------------------------------------------------------------- worked example


@pytest.mark.parametrize("backend", INTEGER_BACKENDS)
def test_worked_example_integer_every_backend(backend):
    res = assign_cores(WORKED, total=5, backend=backend)
    assert res.status is Status.OPTIMAL
    assert res.x.tolist() == [3.0, 2.0]
    assert res.objective == pytest.approx(5.0, abs=1e-9)
    assert res.bound == pytest.approx(5.0, abs=1e-6)
    assert res.gap == pytest.approx(0.0, abs=1e-6)
    assert res.backend == backend


@pytest.mark.parametrize("backend", CONTINUOUS_BACKENDS)
def test_worked_example_continuous_every_backend(backend):
    res = assign_cores(WORKED, total=5, integer=False, backend=backend)
    assert res.status is Status.OPTIMAL
    np.testing.assert_allclose(res.x, [3.0, 2.0], atol=1e-6)
    assert res.objective == pytest.approx(5.0, abs=1e-6)


def test_worked_example_multiplier_is_one_not_zero():
    # The source derived a multiplier of 0; the KKT multiplier of the sum is 1
    # (x_1 = 3 is interior: 2 * 4 * (3 - 3) + 1 = lam).
    res = assign_cores(WORKED, total=5, integer=False, backend="exact")
    assert res.multiplier == pytest.approx(1.0)


def test_auto_runs_exact_and_says_so():
    assert assign_cores(WORKED, total=5).backend == "exact"
    assert assign_cores(WORKED, total=5, integer=False).backend == "exact"


def test_pulp_cannot_do_the_continuous_qp():
    with pytest.raises(UnsupportedProblemError, match="exact, highs, cvxpy"):
        assign_cores(WORKED, total=5, integer=False, backend="pulp")


# ----------------------------------------------------------------------------- reference instances


def _golden_backends(case: golden.GoldenCase) -> list[str]:
    return INTEGER_BACKENDS if case.inputs["instance"]["integer"] else CONTINUOUS_BACKENDS


@pytest.mark.parametrize("case, backend", golden.params("core_assignment", _golden_backends))
def test_reference_instances_reach_their_proven_optimum(case, backend):
    inst = case.inputs["instance"]
    res = assign_cores(inst["devices"], inst["total"], integer=inst["integer"], backend=backend)
    assert res.status is Status.OPTIMAL, backend
    assert res.objective == pytest.approx(case.expected["objective"], rel=1e-7), backend
    np.testing.assert_allclose(res.x, case.expected["assigned"], atol=1e-5)
    if "multiplier" in case.expected and backend == "exact":  # only the exact method reports it
        assert res.multiplier == pytest.approx(case.expected["multiplier"], rel=1e-9)
    frame = res.to_frame()
    assert list(frame.index) == list(inst["devices"].index)
    np.testing.assert_allclose(frame["assigned"], res.x)


# ----------------------------------------------------------------------------- cross-checks


@pytest.mark.parametrize("seed", range(12))
def test_integer_matches_brute_force_on_tiny_instances(seed):
    rng = np.random.default_rng(seed)
    devices, total = random_devices(rng, int(rng.integers(1, 5)), integer=True)
    best = brute_force(devices, int(total))
    res = assign_cores(devices, total, backend="exact")
    assert res.status is Status.OPTIMAL
    check_feasible(devices, total, res.x, integer=True)
    assert res.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
    assert objective(devices, res.x) == pytest.approx(res.objective)
    assert res.bound <= res.objective + 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_integer_backends_agree(seed):
    rng = np.random.default_rng(100 + seed)
    devices, total = random_devices(rng, 12, integer=True)
    values = {}
    for backend in INTEGER_BACKENDS:
        res = assign_cores(devices, total, backend=backend)
        assert res.status is Status.OPTIMAL, backend
        check_feasible(devices, total, res.x, integer=True)
        values[backend] = res.objective
    assert max(values.values()) - min(values.values()) <= 1e-6 * max(1.0, abs(values["exact"])), values


@pytest.mark.parametrize("seed", range(8))
def test_continuous_backends_agree(seed):
    rng = np.random.default_rng(200 + seed)
    devices, total = random_devices(rng, 15, integer=False)
    values = {}
    for backend in CONTINUOUS_BACKENDS:
        res = assign_cores(devices, total, integer=False, backend=backend)
        assert res.status is Status.OPTIMAL, backend
        check_feasible(devices, total, res.x, integer=False)
        values[backend] = res.objective
    assert max(values.values()) - min(values.values()) <= 1e-6 * max(1.0, abs(values["exact"])), values


def test_continuous_closed_form_with_no_bound_active():
    # With every device interior, x_i = y_i + (lam - c_i) / (2 w_i) and sum x = M give lam in closed form.
    y = np.array([10.0, 20.0, 30.0, 40.0])
    w = np.array([1.0, 2.0, 4.0, 0.5])
    c = np.array([0.0, 1.0, -1.0, 2.0])
    total = 95.0
    lam = (total - np.sum(y - c / (2 * w))) / np.sum(1 / (2 * w))
    expected = y + (lam - c) / (2 * w)
    res = assign_cores({"capacity": [100] * 4, "demand": y, "weight": w, "unit_cost": c}, total, integer=False)
    np.testing.assert_allclose(res.x, expected, rtol=1e-12)
    assert res.multiplier == pytest.approx(lam)
    assert res.gap == 0.0


def test_rounding_the_continuous_answer_is_not_exact_but_the_integer_method_is():
    # Two devices of equal weight both want 0.5 more: rounding gives both or neither,
    # which breaks the total; the integer method picks one.
    devices = {"capacity": [5, 5, 5], "demand": [1.5, 1.5, 2.0], "weight": [1, 1, 1], "unit_cost": [0, 0, 0]}
    cont = assign_cores(devices, 5, integer=False)
    rounded = np.round(cont.x)
    assert rounded.sum() != 5
    res = assign_cores(devices, 5)
    assert res.x.tolist() == [2.0, 1.0, 2.0]  # ties go to the lowest index
    assert res.objective == pytest.approx(brute_force(devices, 5))


def test_ties_go_to_the_lowest_index():
    devices = {"capacity": [3] * 6, "demand": [1] * 6, "weight": [1] * 6}
    res = assign_cores(devices, 9)
    assert res.x.tolist() == [2.0, 2.0, 2.0, 1.0, 1.0, 1.0]


def test_large_integer_instance_is_certified_and_not_below_the_relaxation():
    rng = np.random.default_rng(7)
    n = 200_000
    cap = rng.integers(1, 65, n).astype(float)
    devices = {"capacity": cap, "demand": rng.uniform(0, 64, n), "weight": rng.uniform(0.5, 2, n)}
    total = float(np.floor(cap.sum() * 0.4))
    integer = assign_cores(devices, total)
    continuous = assign_cores(devices, total, integer=False)
    for res, is_int in ((integer, True), (continuous, False)):
        assert res.status is Status.OPTIMAL
        check_feasible(devices, total, res.x, integer=is_int)
        assert res.gap <= 1e-9
    assert integer.objective >= continuous.objective - 1e-6 * continuous.objective
    # The integer optimum is within n/4 * max weight of the relaxation (rounding bound).
    assert integer.objective - continuous.objective <= 0.25 * n * 2.0


def test_highs_and_exact_agree_at_medium_size():
    rng = np.random.default_rng(11)
    devices, total = random_devices(rng, 400, integer=True)
    a = assign_cores(devices, total, backend="exact")
    b = assign_cores(devices, total, backend="highs")
    assert a.objective == pytest.approx(b.objective, rel=1e-9)


def test_fixed_devices_and_empty_ranges():
    devices = {"capacity": [0, 2, 3], "demand": [5, 1, 1], "min": [0, 2, 0]}
    for backend in INTEGER_BACKENDS:
        res = assign_cores(devices, 4, backend=backend)
        assert res.x.tolist() == [0.0, 2.0, 2.0], backend


@pytest.mark.parametrize("integer", [True, False])
def test_total_at_the_extremes(integer):
    devices = {"capacity": [4, 2, 3], "demand": [1, 1, 1], "min": [1, 0, 1]}
    assert assign_cores(devices, 2, integer=integer).x.tolist() == [1.0, 0.0, 1.0]
    assert assign_cores(devices, 9, integer=integer).x.tolist() == [4.0, 2.0, 3.0]


# ----------------------------------------------------------------------------- properties

device_rows = st.lists(
    st.tuples(
        st.integers(0, 6),  # capacity
        st.floats(-2, 8, allow_nan=False).map(lambda v: round(v, 2)),  # demand
        st.floats(0.1, 4, allow_nan=False).map(lambda v: round(v, 2)),  # weight
        st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2)),  # unit cost
        st.integers(0, 2),  # min (clipped to capacity)
    ),
    min_size=1,
    max_size=6,
)


def to_devices(rows):
    cap = np.array([r[0] for r in rows], float)
    return {
        "capacity": cap,
        "demand": [r[1] for r in rows],
        "weight": [r[2] for r in rows],
        "unit_cost": [r[3] for r in rows],
        "min": np.minimum([r[4] for r in rows], cap),
    }


@given(rows=device_rows, share=st.floats(0, 1))
def test_property_integer_exact_is_feasible_certified_and_never_beaten(rows, share):
    devices = to_devices(rows)
    lo, hi = devices["min"].sum(), devices["capacity"].sum()
    total = float(np.floor(lo + share * (hi - lo)))
    exact = assign_cores(devices, total, backend="exact")
    assert exact.status is Status.OPTIMAL
    check_feasible(devices, total, exact.x, integer=True)
    assert exact.bound <= exact.objective + 1e-9 * max(1, abs(exact.objective))
    assert exact.gap <= 1e-9
    other = assign_cores(devices, total, backend="highs")
    assert exact.objective <= other.objective + 1e-7 * max(1, abs(other.objective))
    assert exact.objective == pytest.approx(brute_force(devices, int(total)), rel=1e-9, abs=1e-9)


@given(rows=device_rows, share=st.floats(0, 1))
def test_property_continuous_exact_is_feasible_and_matches_highs(rows, share):
    devices = to_devices(rows)
    lo, hi = devices["min"].sum(), devices["capacity"].sum()
    total = float(lo + share * (hi - lo))
    exact = assign_cores(devices, total, integer=False, backend="exact")
    assert exact.status is Status.OPTIMAL
    check_feasible(devices, total, exact.x, integer=False)
    assert exact.bound <= exact.objective + 1e-9 * max(1, abs(exact.objective))
    qp = assign_cores(devices, total, integer=False, backend="highs")
    if qp.status is Status.ERROR:
        # HiGHS's active-set QP fails on some optima within ~1e-5 of a bound (e.g. total = 1e-6);
        # it must then say so, never return a wrong "optimal".
        assert "HiGHS: Solve error" in qp.message and qp.x is None
        return
    assert exact.objective <= qp.objective + 1e-6 * max(1, abs(qp.objective))
    if qp.status is Status.FEASIBLE:
        # HiGHS's QP cycled and stopped at its iteration cap: a feasible point, not called optimal.
        assert "Iteration limit" in qp.message
        check_feasible(devices, total, qp.x, integer=False)
        return
    assert qp.status is Status.OPTIMAL
    assert qp.objective <= exact.objective + 1e-5 * max(1, abs(exact.objective))


def test_highs_qp_cycling_stops_at_the_iteration_cap_as_feasible():
    # Found by the thorough hypothesis profile: HiGHS's active-set QP never returned on this one.
    devices = {"capacity": [5, 5], "demand": [0, 0], "weight": [1.28, 1.28], "unit_cost": [1.51, 1.51],
               "min": [2, 2]}
    qp = assign_cores(devices, 4.000006, integer=False, backend="highs")
    exact = assign_cores(devices, 4.000006, integer=False)
    np.testing.assert_allclose(exact.x, [2.000003, 2.000003])
    assert qp.status in (Status.OPTIMAL, Status.FEASIBLE)
    check_feasible(devices, 4.000006, qp.x, integer=False)
    assert qp.objective == pytest.approx(exact.objective, rel=1e-6)
    assert qp.objective >= exact.objective - 1e-9


def test_highs_qp_solve_error_on_a_tiny_total_is_reported_not_hidden():
    devices = {"capacity": [1, 1], "demand": [0.0, 0.0], "weight": [1.0, 1.0], "unit_cost": [0.0, 0.0]}
    qp = assign_cores(devices, 1e-6, integer=False, backend="highs")
    assert qp.status in (Status.OPTIMAL, Status.ERROR)
    if qp.status is Status.ERROR:
        with pytest.raises(resopt.SolverError, match="Solve error"):
            qp.raise_for_status()
    exact = assign_cores(devices, 1e-6, integer=False)
    np.testing.assert_allclose(exact.x, [5e-7, 5e-7])


# ----------------------------------------------------------------------------- infeasible input


@pytest.mark.parametrize("backend", INTEGER_BACKENDS)
def test_total_above_capacity_is_an_infeasible_status_with_the_shortfall(backend):
    res = assign_cores(WORKED, total=8, backend=backend)
    assert res.status is Status.INFEASIBLE
    assert res.x is None and math.isnan(res.objective)
    assert "exceeds the total capacity 6 by 2" in res.message
    with pytest.raises(resopt.InfeasibleError, match="by 2"):
        res.raise_for_status()


def test_total_below_minimums_is_infeasible():
    res = assign_cores({"capacity": [4, 2], "demand": [3, 2], "min": [2, 2]}, total=3)
    assert res.status is Status.INFEASIBLE
    assert "below the sum of minimums 4 by 1" in res.message


def test_fractional_total_with_integer_cores_is_infeasible():
    res = assign_cores(WORKED, total=4.5)
    assert res.status is Status.INFEASIBLE
    assert "fractional" in res.message
    assert assign_cores(WORKED, total=4.5, integer=False).status is Status.OPTIMAL


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("devices", "pattern"),
    [
        ({"capacity": [4, 2]}, r"missing the required column\(s\) 'demand'"),
        ({"capacity": [4, 2], "demnd": [3, 2]}, r"did you mean 'demnd' for 'demand'"),
        ({"capacity": [4, np.nan], "demand": [3, 2]}, r"'capacity' column .* missing values .* row 1"),
        ({"capacity": [4, 2], "demand": [3, np.inf]}, r"'demand' column .* must be finite. Got inf at row 1"),
        ({"capacity": [4, -3], "demand": [3, 2]}, r"'capacity' column of devices must be non-negative. Got -3"),
        ({"capacity": [4, 2], "demand": [3, 2], "weight": [1, 0]}, r"'weight' column .* must be at least 1e-9. Got 0"),
        ({"capacity": [4, 2], "demand": [3, 2], "min": [5, 0]}, r"'min' .* must not exceed 'capacity'.*row 0"),
        ({"capacity": [4, "two"], "demand": [3, 2]}, r"'capacity' column .* must be numeric. Got 'two' at row 1"),
        ({"capacity": [4, 2], "demand": [3, 2, 1]}, r"same length.*'capacity': 2, 'demand': 3"),
        ({"capacity": [4.5, 2], "demand": [3, 2]}, r"'capacity' column .* whole numbers. Got 4.5"),
        ({"capacity": [4, 2], "demand": [3, 2], "unit_cost": [None, 1]}, r"'unit_cost' .* missing"),
    ],
)
def test_bad_input_names_column_row_and_value(devices, pattern):
    with pytest.raises(InputError, match=pattern):
        assign_cores(devices, total=5)


def test_duplicate_labels_are_rejected():
    frame = pd.DataFrame({"capacity": [4, 2, 1], "demand": [3, 2, 1]}, index=["gpu-1", "gpu-2", "gpu-1"])
    with pytest.raises(InputError, match=r"labels \(index\) of devices must be unique. Got 'gpu-1' at rows 'gpu-1'"):
        assign_cores(frame, total=5)


def test_row_labels_are_named_in_messages():
    frame = pd.DataFrame({"capacity": [4, -3], "demand": [3, 2]}, index=["gpu-1", "gpu-7"])
    with pytest.raises(InputError, match=r"Got -3 at row 'gpu-7'"):
        assign_cores(frame, total=5)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"total": "five"}, r"'total' must be a number. Got 'five'"),
        ({"total": float("nan")}, r"'total' must be finite"),
        ({"total": 5, "backend": "gurobi"}, r"Unknown backend 'gurobi'.*auto, exact, highs, cvxpy, pulp"),
        ({"total": 5, "time_limit": -1}, r"'time_limit' must be > 0"),
        ({"total": 5, "integer": "yes"}, r"'integer' must be True or False"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(InputError, match=pattern):
        assign_cores(WORKED, **kwargs)


def test_input_error_is_a_value_error_and_not_a_deep_traceback():
    with pytest.raises(ValueError) as info:
        assign_cores({"capacity": [1], "demand": ["x"]}, total=1)
    assert isinstance(info.value, resopt.ResoptError)


def test_integer_milp_form_refuses_huge_ranges():
    devices = {"capacity": [3_000_000], "demand": [1.0]}
    with pytest.raises(UnsupportedProblemError, match="backend='exact'"):
        assign_cores(devices, total=5, backend="highs")
    assert assign_cores(devices, total=5).x.tolist() == [5.0]


def test_input_frame_is_not_modified_and_frame_output_keeps_labels():
    frame = pd.DataFrame({"capacity": [4, 2], "demand": [3, 2]}, index=["a", "b"])
    before = frame.copy()
    res = assign_cores(frame, total=5)
    pd.testing.assert_frame_equal(frame, before)
    out = res.to_frame()
    assert out.loc["a", "assigned"] == 3 and out.loc["b", "assigned"] == 2


# ----------------------------------------------------------------------------- slice-at-a-time search


def _solve_with_slice(monkeypatch, size, devices, total, integer=True):
    from resopt.problems import core_assignment as module

    monkeypatch.setattr(module, "SLICE", size)
    res = assign_cores(devices, total, integer=integer)
    return res.x, res.objective, res.bound, res.multiplier


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_slice_at_a_time_gives_the_whole_array_answer(monkeypatch, seed, integer):
    """Integer sums are exact in any order: bit for bit. The continuous search sums a slice at
    a time, so its multiplier, and with it x, may move by rounding only."""
    rng = np.random.default_rng(seed)
    n = 5_000
    cap = rng.integers(0, 9, n).astype(float)
    devices = {"capacity": cap, "demand": rng.integers(0, 9, n) / 2.0,  # many exact ties
               "weight": rng.integers(1, 3, n).astype(float), "unit_cost": rng.integers(-1, 2, n).astype(float),
               "min": np.minimum(rng.integers(0, 2, n), cap)}
    for share in (0.1, 0.5, 0.93):
        total = float(np.floor(devices["min"].sum() + share * (cap.sum() - devices["min"].sum())))
        whole = _solve_with_slice(monkeypatch, 10**9, devices, total, integer)
        sliced = _solve_with_slice(monkeypatch, 64, devices, total, integer)
        if integer:
            np.testing.assert_array_equal(sliced[0], whole[0])
            assert sliced[1:] == whole[1:]
        else:
            assert sliced[0].sum() == whole[0].sum() == total
            np.testing.assert_allclose(sliced[0], whole[0], rtol=0, atol=1e-9)  # the residual on one device
            np.testing.assert_allclose(sliced[1:], whole[1:], rtol=1e-12)
            assert sliced[2] <= whole[1] * (1 + 1e-12) and whole[2] <= sliced[1] * (1 + 1e-12)


@given(rows=device_rows, share=st.floats(0, 1))
def test_property_sliced_integer_search_is_the_whole_array_search(rows, share):
    from resopt.problems import core_assignment as module

    devices = to_devices(rows)
    lo, hi = devices["min"].sum(), devices["capacity"].sum()
    total = float(np.floor(lo + share * (hi - lo)))
    answers = []
    for size in (10**9, 1):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(module, "SLICE", size)
            res = assign_cores(devices, total)
        answers.append((res.x.tolist(), res.objective, res.bound, res.multiplier))
    assert answers[0] == answers[1]
    assert answers[0][1] == pytest.approx(brute_force(devices, int(total)), rel=1e-9, abs=1e-9)


def test_sums_beyond_two_to_the_53_keep_the_whole_array_search():
    from resopt.problems import core_assignment as module

    n = 70_000  # above SLICE, with capacities summing past 2**53
    search = module._ThresholdSearch(np.zeros(n), np.ones(n), np.zeros(n), np.full(n, 1e12), integer=True)
    assert not search.sliced
    assert module._ThresholdSearch(np.zeros(n), np.ones(n), np.zeros(n), np.full(n, 1e6), integer=True).sliced


# ----------------------------------------------------------------------------- continuous Newton search


def _search_for(devices, total):
    from resopt.problems import core_assignment as module

    _, data = module.validate_devices(devices, total, integer=False)
    b, a = module._response_line(data, 0.0)
    return module, data, module._ThresholdSearch(a, b, data.minimum, data.capacity, integer=False)


@given(rows=device_rows, share=st.floats(0.01, 0.99), start=st.floats(-1e6, 1e6))
def test_property_continuous_root_converges_from_any_start(rows, share, start):
    devices = to_devices(rows)
    lo, hi = devices["min"].sum(), devices["capacity"].sum()
    total = float(lo + share * (hi - lo))
    _, data, search = _search_for(devices, total)
    tol = 1e-9 * max(1.0, abs(total), hi)
    lam, x = search.root(total, tol, start, resopt.backends.SolveOptions.start(None, None))
    # x is the best response to lam (bit for bit), and it hands out total to the tolerance.
    expected = np.clip(search.a + search.b * lam, data.minimum, data.capacity)
    np.testing.assert_array_equal(x, expected)
    assert abs(x.sum() - total) <= tol


@pytest.mark.parametrize("seed", range(3))
def test_sampled_start_reaches_the_unsampled_optimum(monkeypatch, seed):
    from resopt.problems import core_assignment as module

    devices, total = random_devices(np.random.default_rng(seed), 20_000, integer=False)
    answers = []
    for sample in (10**9, 64):  # no sample, then a sample of 64 devices (312 apart)
        monkeypatch.setattr(module, "SAMPLE", sample)
        res = assign_cores(devices, total, integer=False)
        check_feasible(devices, total, res.x, integer=False)
        answers.append(res)
    plain, sampled = answers
    assert sampled.objective == pytest.approx(plain.objective, rel=1e-12)
    assert sampled.multiplier == pytest.approx(plain.multiplier, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(sampled.x, plain.x, rtol=0, atol=1e-9)
    assert sampled.bound <= sampled.objective + 1e-9 * abs(sampled.objective)
    assert sampled.objective == pytest.approx(objective(devices, sampled.x), rel=1e-12)


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_default_columns_hold_one_number_and_answers_are_plain_arrays(integer, share):
    from resopt.problems import core_assignment as module

    devices = {"capacity": [4.0, 2.0, 3.0], "demand": [3.0, 2.0, 0.5]}
    total = float(round(share * 9))
    _, data = module.validate_devices(devices, total, integer=integer)
    assert data.unit_cost.strides == (0,) and data.minimum.strides == (0,)
    for backend in ("exact", "highs"):
        res = assign_cores(devices, total, integer=integer, backend=backend)
        assert res.status is Status.OPTIMAL, res.message
        assert res.x.flags.writeable and res.x.strides == (8,)
        assert res.objective == pytest.approx(objective(devices, res.x), abs=1e-6)


def test_bound_holds_when_the_search_ends_right_after_bracketing_with_the_extremes():
    # Found by the thorough hypothesis profile: the extremes are computed in the search's
    # buffer, so x had to be recomputed at the multiplier kept (the bound was 0.883 > 0.0359).
    devices = {"capacity": [1.0], "demand": [0.33], "weight": [0.33], "unit_cost": [0.5]}
    res = assign_cores(devices, 3.0955337695964745e-150, integer=False, backend="exact")
    assert res.objective == pytest.approx(0.33 * 0.33**2, rel=1e-12)
    assert res.bound <= res.objective * (1 + 1e-12)
    assert res.bound == pytest.approx(res.objective, rel=1e-9)
