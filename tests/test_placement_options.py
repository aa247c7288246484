"""place_workloads' scalar options: the time budget of the whole call, mip_gap, and bad values.

A budget of a microsecond is spent before any solver starts, so what each backend does with
it is deterministic: the exact backends stop with status ``time_limit`` (no plan), the
heuristic returns the plan of its first greedy pass with no column generation round (or
status ``time_limit`` when that pass misses a replica that must be placed), and ``"auto"``
falls back from the MILP to the heuristic.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resopt import InputError, Status, place_workloads
from resopt.backends import SolveOptions
from resopt.problems.placement.formulation import PlacementInstance
from resopt.problems.placement.registry import milp_fits
from resopt.problems.placement.schema import NOMINAL_TIME_LIMIT, validate_inputs
from resopt.problems.placement.synthetic import synthetic_instance

ROOT = Path(__file__).resolve().parents[1] / "models" / "placement"
SPENT = 1e-6  # seconds: gone before the first solver starts


@pytest.fixture(scope="module")
def catalog() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(ROOT / "workloads.csv"), pd.read_csv(ROOT / "catalog.csv")


def _replicas(workloads: pd.DataFrame) -> int:
    return int(workloads["replicas"].fillna(1).sum()) if "replicas" in workloads else len(workloads)


@pytest.mark.parametrize("backend", ["highs", "cvxpy", "pulp"])
def test_a_spent_budget_stops_an_exact_backend_with_status_time_limit(catalog, backend):
    w, o = catalog
    r = place_workloads(w, o, backend=backend, time_limit=SPENT)
    assert r.status is Status.TIME_LIMIT and r.backend == backend
    assert not r.success and r.assignments.empty and "time limit" in r.message.lower()


def test_a_spent_budget_leaves_the_heuristic_its_first_plan(catalog):
    w, o = catalog
    r = place_workloads(w, o, backend="heuristic", time_limit=SPENT)
    assert r.status in (Status.FEASIBLE, Status.OPTIMAL) and r.backend == "heuristic"
    assert "0 column generation round(s)" in r.message  # the LP never ran
    assert len(r.assignments) + len(r.unplaced) == _replicas(w)
    full = place_workloads(w, o, backend="heuristic")
    assert "LP duals" in full.message
    assert r.bound <= full.bound + 1e-6 and r.objective >= full.bound - 1e-6


def test_auto_falls_back_to_the_heuristic_when_the_budget_is_spent(catalog):
    w, o = catalog
    r = place_workloads(w, o, time_limit=SPENT)
    assert r.backend == "heuristic" and r.success
    assert r.message.count("MILP ended with Time limit reached before the solver started") == 1


@pytest.mark.parametrize("executor", [None, "threads"])
def test_partitions_share_the_budget_of_the_call(catalog, executor):
    w, o = catalog
    w = pd.concat([w.assign(workload=w["workload"] + f"-{i}") for i in range(2)], ignore_index=True)
    o = o.assign(capacity_gpus=o["capacity_gpus"] * 2, spot_capacity_gpus=o["spot_capacity_gpus"] * 2,
                 reserved_gpus=o["reserved_gpus"] * 2)
    with ThreadPoolExecutor(2) as pool:
        run = pool if executor else None
        exact = place_workloads(w, o, backend="highs", partitions=2, executor=run, time_limit=SPENT)
        heuristic = place_workloads(w, o, backend="heuristic", partitions=2, executor=run, time_limit=SPENT)
    assert exact.status is Status.TIME_LIMIT and "2 of 2 parts found no plan" in exact.message
    # a part's first greedy pass may miss a must-place replica on its half of the capacity
    if heuristic.success:
        assert "2 parts" in heuristic.message
        assert len(heuristic.assignments) + len(heuristic.unplaced) == _replicas(w)
    else:
        assert heuristic.status is Status.TIME_LIMIT and "parts found no plan" in heuristic.message


def test_auto_judges_the_milp_against_the_nominal_budget_without_a_time_limit(catalog):
    w, o = catalog
    instance = PlacementInstance.of(validate_inputs(w, o))
    for size in (0, 1, 2):  # columns per second that make the MILP fit, just fit, not fit at 60 s
        limit = instance.pairs.size / NOMINAL_TIME_LIMIT * (0.5 + 0.5 * size)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("resopt.problems.placement.registry.MILP_MAX_COLUMNS_PER_SECOND", limit)
            assert milp_fits(instance, SolveOptions(time_limit=None)) == \
                milp_fits(instance, SolveOptions(time_limit=NOMINAL_TIME_LIMIT))
    assert place_workloads(w, o).backend == "highs"


def test_mip_gap_none_is_the_default_gap(catalog):
    w, o = catalog
    a = place_workloads(w, o, backend="highs", mip_gap=None)
    b = place_workloads(w, o, backend="highs")
    assert a.status is b.status is Status.OPTIMAL
    assert a.objective == pytest.approx(b.objective, rel=1e-12)


@pytest.mark.parametrize("option, value, pattern", [
    ("time_limit", 0, r"'time_limit' must be > 0\. Got 0\."),
    ("time_limit", -5.0, r"'time_limit' must be > 0"),
    ("time_limit", math.nan, r"'time_limit' must be finite"),
    ("time_limit", True, r"'time_limit' must be a number\. Got True"),
    ("time_limit", "60", r"'time_limit' must be a number\. Got '60'"),
    ("mip_gap", -1e-3, r"'mip_gap' must be >= 0"),
    ("mip_gap", 1.5, r"'mip_gap' must be <= 1"),
    ("mip_gap", math.inf, r"'mip_gap' must be finite"),
    ("mip_gap", False, r"'mip_gap' must be a number"),
    ("partitions", 0, r"'partitions' must be a whole number >= 1\. Got 0\."),
    ("partitions", 2.0, r"'partitions' must be a whole number >= 1\. Got 2\.0\."),
    ("partitions", True, r"'partitions' must be a whole number >= 1\. Got True\."),
    ("seed", -1, r"'seed' must be a whole number >= 0\. Got -1\."),
    ("seed", "7", r"'seed' must be a whole number >= 0\. Got '7'\."),
    ("executor", object(), r"'executor' must have a submit method\. Got object\."),
    ("backend", "gurobi", r"Unknown backend 'gurobi' for placement\. Known backends: auto, highs, cvxpy, pulp, "
                          r"heuristic\."),
    ("backend", None, r"Unknown backend None for placement"),
])
def test_bad_option_values_are_input_errors_naming_the_option(catalog, option, value, pattern):
    w, o = catalog
    with pytest.raises(InputError, match=pattern):
        place_workloads(w, o, **{option: value})


def test_numpy_integers_are_whole_numbers(catalog):
    w, o = catalog
    r = place_workloads(w, o, partitions=np.int64(1), seed=np.int32(3), time_limit=np.float64(60))
    assert r.status is Status.OPTIMAL


def test_the_parts_leave_the_whole_bound_its_share_of_the_budget(monkeypatch):
    from resopt.problems.placement import solve as solve_module

    given = []
    real = solve_module.solve_parts

    def spy(split, backend, options, executor=None):
        given.append(options)
        return real(split, backend, options, executor)

    monkeypatch.setattr(solve_module, "solve_parts", spy)
    w, o = synthetic_instance(600, 300, seed=3)
    r = place_workloads(w, o, backend="heuristic", partitions=2, time_limit=50.0)
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE)
    (options,) = given
    assert 0.8 * solve_module.PARTS_SHARE * 50.0 <= options.time_limit <= solve_module.PARTS_SHARE * 50.0
    assert r.bound <= r.objective


@pytest.mark.parametrize("time_limit, passes", [(None, 2), (0.05, 1)])
def test_the_whole_bound_runs_a_second_pass_only_when_the_budget_covers_it(monkeypatch, time_limit, passes):
    import time

    from resopt.problems.placement import pop
    from resopt.problems.placement.registry import solve_part

    data = validate_inputs(*synthetic_instance(600, 300, seed=3))
    split = pop.partition(data, 2, seed=0)
    solved = [solve_part(PlacementInstance.of(part), "heuristic", SolveOptions.start(None)) for part in split.parts]
    assert all(s.has_plan for s in solved)
    upper = sum(float(s.solution.objective) for s in solved) * 1.5  # far above the bound: pass 2 has room
    calls = []
    real = pop._part_dual_values

    def slow(inp, lams):
        calls.append(len(lams))
        time.sleep(0.05)  # each pass outlasts the budget of 0.05 s
        return real(inp, lams)

    monkeypatch.setattr(pop, "_part_dual_values", slow)
    bound = pop.whole_bound(data, split, solved, upper, SolveOptions.start(time_limit))
    assert len(calls) == passes * len(split.parts)
    assert bound <= upper
