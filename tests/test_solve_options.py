"""time_limit and mip_gap of core assignment and reservation sizing, per public function and backend kind.

``time_limit`` is a wall-clock budget for the whole call: a budget spent before the
solve (1e-9 s is spent by validation alone) gives status ``time_limit`` and no plan
from every backend, exact or model; the exact searches also check it between their
steps. ``mip_gap`` is passed to the MILP solvers and met by the exact methods. Bad
values are InputErrors naming the option; the defaults (None) solve to optimality.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from resopt import InputError, Status, assign_cores, size_reservations
from resopt.backends import SolveOptions
from resopt.problems import core_assignment
from resopt.problems.reservation import size_reservations_array
from resopt.problems.reservation.exact import solve_exact
from resopt.problems.reservation.inputs import PoolSubproblem, read_arrays

#: One backend of each kind: the exact method and a model solver.
KINDS = ["exact", "highs"]

#: The worked example: x = (3, 2) at cost 5 (demand met exactly but for one core's unit cost).
DEVICES = {"capacity": [4, 2], "demand": [3, 2]}
#: Demand 2, 4, 4, 8 over four hours at reserved 1 and on-demand 2.5: reserve 4 at cost 4 * 4 + 2.5 * 4 = 26.
DEMAND = {"pool": ["h100"] * 4, "hour": [0, 1, 2, 3], "demand": [2, 4, 4, 8]}
CUBE = np.array([[[2.0, 4.0, 4.0, 8.0]]])
PRICES = {"pool": ["h100"], "reserved": [1.0], "on_demand": [2.5]}


def _assign(**options):
    return assign_cores(DEVICES, 5, **options)


def _size(**options):
    return size_reservations(DEMAND, PRICES, **options)


def _size_array(**options):
    return size_reservations_array(CUBE, PRICES, **options)


CALLS = {"assign_cores": _assign, "size_reservations": _size, "size_reservations_array": _size_array}


def _plan(result) -> list[float]:
    if hasattr(result, "reservations"):
        return result.reservations["reserve"].tolist()
    return result.x.tolist()


@pytest.mark.parametrize("backend", KINDS)
@pytest.mark.parametrize("call", CALLS)
def test_a_spent_budget_gives_time_limit_and_no_plan(call, backend):
    result = CALLS[call](backend=backend, time_limit=1e-9)
    assert result.status is Status.TIME_LIMIT, result.message
    assert result.backend == backend
    assert "Time limit" in result.message
    assert math.isnan(result.objective)
    if call == "assign_cores":
        assert result.x is None
    else:
        assert result.reservations["reserve"].isna().all()


@pytest.mark.parametrize("call", CALLS)
def test_auto_keeps_the_exact_method_under_a_time_limit_and_a_gap(call):
    result = CALLS[call](time_limit=60, mip_gap=1e-3)
    assert result.backend == "exact"
    assert result.status is Status.OPTIMAL


@pytest.mark.parametrize("backend", KINDS)
@pytest.mark.parametrize("call", CALLS)
def test_defaults_and_a_generous_budget_solve_to_optimality(call, backend):
    expected = {"assign_cores": ([3.0, 2.0], 5.0)}.get(call, ([4], 26.0))
    for options in ({}, {"time_limit": 60}, {"mip_gap": 0.0}):
        result = CALLS[call](backend=backend, **options)
        assert result.status is Status.OPTIMAL, (options, result.message)
        plan, objective = expected
        assert _plan(result) == pytest.approx(plan), options
        assert result.objective == pytest.approx(objective), options


@pytest.mark.parametrize("value", [True, "5", -1, math.nan, 0])
@pytest.mark.parametrize("call", CALLS)
def test_bad_time_limit_is_an_input_error_naming_it(call, value):
    with pytest.raises(InputError, match="'time_limit'"):
        CALLS[call](time_limit=value)


@pytest.mark.parametrize("value", [True, "5", -1, math.nan, 2])
@pytest.mark.parametrize("call", CALLS)
def test_bad_mip_gap_is_an_input_error_naming_it(call, value):
    with pytest.raises(InputError, match="'mip_gap'"):
        CALLS[call](mip_gap=value)


@pytest.mark.parametrize("call", CALLS)
def test_options_are_checked_before_the_tables(call):
    # A bad option is reported even when a table is bad too: the options come first.
    broken = {"assign_cores": lambda **o: assign_cores({"capacity": [-1], "demand": [1]}, 1, **o),
              "size_reservations": lambda **o: size_reservations({"pool": ["x"]}, PRICES, **o),
              "size_reservations_array": lambda **o: size_reservations_array(np.zeros(2), PRICES, **o)}[call]
    with pytest.raises(InputError, match="'time_limit'"):
        broken(time_limit=-1)


# ----------------------------------------------------------------------------- checks between steps


@dataclass(frozen=True)
class ExpiresAfter(SolveOptions):
    """Options whose budget runs out after ``allowed`` checks (a clock that cannot be beaten)."""

    allowed: int = 0
    checks: list[int] = field(default_factory=list)

    def expired(self) -> bool:
        self.checks.append(1)
        return len(self.checks) > self.allowed


@pytest.mark.parametrize("integer", [True, False])
def test_exact_core_search_stops_between_its_steps(integer):
    rng = np.random.default_rng(3)
    devices = pd.DataFrame({"capacity": rng.integers(1, 50, 500), "demand": rng.uniform(0, 40, 500)})
    _, data = core_assignment.validate_devices(devices, 4000, integer=integer)
    unlimited = core_assignment._solve_exact(data, SolveOptions.start())
    assert unlimited.status is Status.OPTIMAL
    options = ExpiresAfter(time_limit=60.0, allowed=1)  # the check before the search passes
    stopped = core_assignment._solve_exact(data, options)
    assert stopped.status is Status.TIME_LIMIT and stopped.x is None
    assert len(options.checks) == 2  # stopped at the first step of the search
    assert "Time limit" in stopped.solver_status


def test_exact_reservation_search_stops_between_pools():
    rng = np.random.default_rng(4)
    cube = rng.gamma(3.0, 10.0, size=(3, 5, 24))
    prices = pd.DataFrame({"pool": ["a", "b", "c"], "reserved": 1.0, "on_demand": 2.0})
    data = read_arrays(cube, prices, hours=None, service_level=None, safety_margin=0.0, integer=True)
    problem = PoolSubproblem(data, np.zeros(3), np.full(3, np.inf), np.ones(3, dtype=bool))
    full = solve_exact(problem, SolveOptions.start())
    stopped = solve_exact(problem, ExpiresAfter(time_limit=60.0, allowed=1))
    assert full.status is Status.OPTIMAL and np.isfinite(full.x).all()
    assert stopped.status is Status.TIME_LIMIT
    assert stopped.x[0] == full.x[0] and np.isnan(stopped.x[1:]).all()
    assert "1 of 3 pools" in stopped.solver_status


def test_a_spent_budget_is_not_silently_run_on_by_model_backends():
    data = core_assignment.validate_devices(DEVICES, 5, integer=True)[1]
    spent = SolveOptions(time_limit=1.0, started=time.perf_counter() - 2.0)
    solution = core_assignment.BACKENDS["highs"].solve(data, spent)
    assert solution.status is Status.TIME_LIMIT and solution.x is None


@pytest.mark.parametrize("call", CALLS)
def test_model_backends_pass_the_gap_and_what_is_left_of_the_budget(call, monkeypatch):
    import resopt.backends.highs as highs

    seen = []
    solve = highs.solve_highs

    def spy(model, **kwargs):
        seen.append(kwargs)
        return solve(model, **kwargs)

    monkeypatch.setattr(highs, "solve_highs", spy)
    assert CALLS[call](backend="highs", time_limit=30, mip_gap=0.25).status is Status.OPTIMAL
    assert seen and all(k["mip_gap"] == 0.25 and 0 < k["time_limit"] <= 30 for k in seen)
    seen.clear()
    CALLS[call](backend="highs")  # defaults: no limit, the exact MILP's gap of 1e-9
    assert seen and all(k == {"time_limit": None, "mip_gap": 1e-9} for k in seen)
