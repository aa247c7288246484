"""Result, Status, errors, the backend registry and the generic model solvers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import resopt
from resopt import InfeasibleError, Result, SolverError, Status
from resopt.backends import Backend, BackendRegistry
from resopt.backends.cvxpy import solve_cvxpy
from resopt.backends.highs import solve_highs
from resopt.backends.pulp import solve_pulp
from resopt.errors import BackendUnavailableError, UnsupportedProblemError
from resopt.io import write_atomic, write_frame
from resopt.model import LinearModel
from resopt.result import relative_gap

LINEAR_SOLVERS = [solve_highs, solve_cvxpy, solve_pulp]


def test_error_tree():
    assert issubclass(resopt.InputError, ValueError) and issubclass(resopt.InputError, resopt.ResoptError)
    assert issubclass(BackendUnavailableError, ImportError)
    assert issubclass(UnsupportedProblemError, ValueError)
    assert issubclass(SolverError, RuntimeError)
    assert issubclass(InfeasibleError, resopt.ResoptError)
    for name in resopt.__all__:
        assert getattr(resopt, name) is not None


def test_status_is_a_string_enum_keeping_feasible_apart_from_optimal():
    assert Status.OPTIMAL == "optimal" and Status.FEASIBLE != Status.OPTIMAL
    assert [s.value for s in Status] == ["optimal", "feasible", "infeasible", "unbounded", "time_limit", "error"]
    assert Status.FEASIBLE.has_solution and not Status.TIME_LIMIT.has_solution


@pytest.mark.parametrize(
    ("objective", "bound", "expected"),
    [(100.0, 99.0, 0.01), (5.0, 5.0, 0.0), (-10.0, -11.0, 0.1), (0.0, -1.0, math.inf), (1.0, math.nan, math.nan)],
)
def test_relative_gap(objective, bound, expected):
    got = relative_gap(objective, bound)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


def test_raise_for_status():
    ok = Result(Status.OPTIMAL, objective=1.0, bound=1.0, problem="p")
    assert ok.raise_for_status() is ok
    feasible = Result(Status.FEASIBLE, objective=2.0, bound=1.0, problem="p")
    assert feasible.raise_for_status() is feasible
    with pytest.raises(SolverError, match="feasible"):
        feasible.raise_for_status(require_optimal=True)
    with pytest.raises(InfeasibleError, match="short by 3"):
        Result(Status.INFEASIBLE, message="short by 3", problem="p").raise_for_status()
    for status in (Status.UNBOUNDED, Status.TIME_LIMIT, Status.ERROR):
        with pytest.raises(SolverError, match=status.value):
            Result(status, problem="p").raise_for_status()


def test_repr_and_html_show_status_gap_and_backend():
    res = resopt.assign_cores({"capacity": [4, 2], "demand": [3, 2]}, total=5)
    text = repr(res)
    assert "CoreAssignmentResult(core assignment)" in text and "status: optimal" in text
    assert "backend: exact" in text and "gap: 0.000e+00" in text
    html = res._repr_html_()
    assert "<table>" in html and "assigned" in html
    assert res.summary()["objective"] == 5.0


def test_registry_errors_name_what_can():
    def solve():
        return None

    reg = BackendRegistry(
        "toy",
        [
            Backend("a", solve, frozenset({"integer"})),
            Backend("b", solve, frozenset({"integer", "continuous"})),
            Backend("ghost", solve, frozenset({"continuous"}), ("no_such_module_xyz",)),
        ],
    )
    assert reg.resolve("auto", needs={"continuous"}).name == "b"
    with pytest.raises(UnsupportedProblemError, match="Backends that can: b, ghost"):
        reg.resolve("a", needs={"continuous"})
    with pytest.raises(BackendUnavailableError, match="no_such_module_xyz"):
        reg.resolve("ghost", needs={"continuous"})
    with pytest.raises(resopt.InputError, match="Known backends: auto, a, b, ghost"):
        reg.resolve("c")


def small_milp() -> LinearModel:
    # max x + 2y  s.t. x + y <= 3.5, x, y in [0, 2], y integer  ->  x = 1.5, y = 2
    return LinearModel(
        c=[-1.0, -2.0], A=sp.csr_array(np.array([[1.0, 1.0]])), row_lower=[-np.inf], row_upper=[3.5],
        col_lower=0.0, col_upper=2.0, integrality=[False, True], offset=10.0,
    )


@pytest.mark.parametrize("solver", LINEAR_SOLVERS)
def test_every_solver_agrees_on_a_small_milp_with_offset(solver):
    sol = solver(small_milp())
    assert sol.status is Status.OPTIMAL
    np.testing.assert_allclose(sol.x, [1.5, 2.0], atol=1e-7)
    assert sol.objective == pytest.approx(4.5)
    assert sol.bound == pytest.approx(4.5, abs=1e-6)  # the bound is on the objective's scale


@pytest.mark.parametrize("solver", LINEAR_SOLVERS)
def test_infeasible_model_is_a_status(solver):
    model = LinearModel(c=[1.0], A=sp.csr_array(np.array([[1.0]])), row_lower=[5.0], row_upper=[5.0],
                        col_lower=0.0, col_upper=1.0, integrality=[True])
    assert solver(model).status is Status.INFEASIBLE


def test_unbounded_lp_is_a_status():
    model = LinearModel(c=[-1.0], A=sp.csr_array((0, 1)), row_lower=[], row_upper=[],
                        col_lower=0.0, col_upper=np.inf)
    assert solve_highs(model).status is Status.UNBOUNDED


def test_integer_qp_is_refused():
    model = small_milp()
    model.q = np.array([1.0, 1.0])
    with pytest.raises(UnsupportedProblemError, match="MIQP"):
        solve_highs(model)
    with pytest.raises(UnsupportedProblemError, match="linear only"):
        solve_pulp(model)


def test_time_limited_mip_is_not_called_optimal():
    # A knapsack-like MILP hard enough not to finish in a 1 ms budget.
    rng = np.random.default_rng(0)
    n = 300
    weights = rng.integers(50, 100, size=(20, n)).astype(float)
    model = LinearModel(
        c=-rng.integers(50, 100, n).astype(float), A=sp.csr_array(weights), row_lower=-np.inf,
        row_upper=weights.sum(axis=1) / 3 + 0.5, col_lower=0.0, col_upper=1.0, integrality=np.ones(n, bool),
    )
    for solver in (solve_highs, solve_pulp):
        sol = solver(model, time_limit=1e-3)
        assert sol.status in (Status.FEASIBLE, Status.TIME_LIMIT), sol.solver_status
        assert "Time limit" in sol.solver_status


def test_atomic_writes_leave_nothing_half_written(tmp_path):
    target = tmp_path / "out.csv"
    write_atomic(target, "old\n")

    class Boom(pd.DataFrame):
        def to_csv(self, *args, **kwargs):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_frame(Boom({"a": [1]}), target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with pytest.raises(resopt.InputError, match=r"must end in \.csv, \.json or \.parquet"):
        write_frame(pd.DataFrame(), tmp_path / "out.txt")


def test_max_violation_measures_bounds_rows_and_integrality():
    model = small_milp()
    assert model.max_violation(np.array([1.5, 2.0])) == 0.0
    assert model.max_violation(np.array([1.5, 2.5])) == pytest.approx(0.5)  # y above its bound and not whole
    assert model.max_violation(np.array([2.0, 2.0])) == pytest.approx(0.5 / 3.5)  # row 4 <= 3.5, relative
    assert model.max_violation(np.array([-1.0, 0.0])) == pytest.approx(1.0)


def test_highs_options_pass_through_but_threads_is_refused():
    model = small_milp()
    model.integrality[:] = False
    sol = solve_highs(model, options={"solver": "ipm"})
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(4.5)
    with pytest.raises(ValueError, match="process-global"):
        solve_highs(model, options={"threads": 2})
