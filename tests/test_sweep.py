"""What-if sweeps (resopt.sweep) in-process and on a Dask cluster, and the `resopt sweep` command.

The Dask tests share one LocalCluster of two single-threaded worker processes (module fixture).
Oracles: plan_week run directly on inputs and forecasts changed by hand, the sequential sweep
(for Dask), the in-process partitioned placement (for placement on Dask).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import resopt
from resopt.errors import BackendUnavailableError, InputError
from resopt.examples import write_weekly_inputs
from resopt.planning.inputs import PlanInputs, read_plan_inputs
from resopt.planning.sweep import SweepResult, dask_client, flatten_grid, reprice
from resopt.planning.weekly import forecast_step

pytest.importorskip("distributed")

#: Columns that are measurements of the machine, not results.
TIMING = ["runtime_s"]


@pytest.fixture(scope="module")
def input_dir(tmp_path_factory):
    root = write_weekly_inputs(tmp_path_factory.mktemp("sweep") / "inputs", pools=5, workloads=8, weeks=3)
    policy = (root / "policy.yaml").read_text().replace("scenarios: 200", "scenarios: 10")
    (root / "policy.yaml").write_text(policy)
    return root


@pytest.fixture(scope="module")
def inputs(input_dir):
    return read_plan_inputs(input_dir)


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as c:
        yield c


def results(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=TIMING)


# --------------------------------------------------------------------------- the grid


def test_flatten_grid_nested_scalars_and_mistakes():
    assert flatten_grid({"discounts": {"aws": [0.1, 0.2]}, "budget": None}) == {
        "discounts.aws": [0.1, 0.2], "budget": [None]}
    tables = [{"aws": 0.1}, {"gcp": 0.2}]
    assert flatten_grid({"discounts": tables}) == {"discounts": tables}
    with pytest.raises(InputError, match="'seed' has no values"):
        flatten_grid({"seed": []})
    with pytest.raises(InputError, match="'price_multiplier.cloud.aws' is given twice"):
        flatten_grid({"price_multiplier.cloud.aws": [1], "price_multiplier": {"cloud": {"aws": [2]}}})
    with pytest.raises(InputError, match="must map setting names"):
        flatten_grid([("seed", [1])])


@pytest.mark.parametrize(("name", "hint"), [
    ("servce_level", "service_level"),
    ("demand_grwth", "demand_growth"),
    ("price_multiplier.accelerator.H200", "price_multiplier.accelerator.H100"),
    ("price_multiplier.cloud.aws2", "price_multiplier.cloud.aws"),
    ("discount.aws", "discounts.aws"),
])
def test_unknown_setting_names_the_closest(inputs, name, hint):
    with pytest.raises(InputError, match=rf"Unknown sweep setting '{name}' \(did you mean '{hint}'\?\)"):
        resopt.sweep(inputs, {name: [1.0]}, progress=False)


def test_bad_values_become_rows_with_their_error(inputs):
    result = resopt.sweep(inputs, {"service_level": [0.5, 1.5], "demand_growth": [1.0, -1.0]}, progress=False)
    table = result.table
    assert list(table["status"]) == ["optimal", "error", "error", "error"]
    assert table["error"].iloc[0] is None and np.isfinite(table["total_cost"].iloc[0])
    assert "'demand_growth' in 'the sweep grid' must be > 0. Got -1.0." in table["error"].iloc[1]
    assert "'service_level' in 'the sweep grid' must be <= 1. Got 1.5." in table["error"].iloc[2]
    assert table.loc[1:, "total_cost"].isna().all()
    assert len(result.failed) == 3
    with pytest.raises(InputError, match="Every combination of the sweep failed; the first: 'service_level'"):
        resopt.sweep(inputs, {"service_level": [1.5]}, progress=False)


def test_a_discount_for_an_unknown_cloud_is_refused_before_running(inputs):
    with pytest.raises(InputError, match=r"'discounts.oracle' \(did you mean"):
        resopt.sweep(inputs, {"discounts.oracle": [0.1]}, progress=False)


# --------------------------------------------------------------------------- what the settings do


def test_rows_equal_plans_on_inputs_changed_by_hand(inputs):
    """Oracle: plan_week on pools/offerings repriced by hand and on a forecast scaled by hand."""
    grid = {"price_multiplier.accelerator.H100": [0.7], "price_multiplier.cloud.aws": [1.25],
            "demand_growth": [1.3], "service_level": [0.8]}
    row = resopt.sweep(inputs, grid, progress=False).table.iloc[0]

    pools, offerings = inputs.pools.copy(), inputs.offerings.copy()
    for frame, columns in ((pools, ["reserved", "on_demand", "spot"]),
                           (offerings, ["price_per_hour", "spot_price_per_hour"])):
        factor = np.where(frame["accelerator"] == "H100", 0.7, 1.0) * np.where(frame["cloud"] == "aws", 1.25, 1.0)
        for column in columns:
            frame[column] = frame[column] * factor
    changed = PlanInputs(inputs.usage, pools, offerings, inputs.workloads, inputs.egress, inputs.policy)
    forecast = forecast_step(inputs, resopt.Policy.from_mapping(inputs.policy))
    forecast.scenarios["demand"] *= 1.3  # a fresh forecast object, scaled in place
    plan = resopt.plan_week(changed, policy={"service_level": 0.8}, forecast=forecast)

    assert row["status"] == str(plan.status) == "optimal"
    assert row["total_cost"] == pytest.approx(plan.summary["totals"]["expected_cost"], rel=1e-12)
    assert row["savings"] == pytest.approx(plan.summary["totals"]["savings"], rel=1e-12)
    for pool in plan.summary["pools"]:
        assert row[f"reserved.{pool['pool']}"] == pool["total_reserved"]
    assert row["placement_status"] == plan.summary["steps"]["placement"]["status"]


def test_reprice_leaves_other_rows_and_unreadable_cells_alone(inputs):
    pools = inputs.pools.copy()
    pools["on_demand"] = pools["on_demand"].astype(object)
    pools.loc[pools.index[0], "on_demand"] = "n/a"
    out = reprice(PlanInputs(inputs.usage, pools, inputs.offerings, inputs.workloads), {("cloud", "gcp"): 2.0})
    gcp = (pools["cloud"] == "gcp").to_numpy()
    assert out.pools.loc[pools.index[0], "on_demand"] == "n/a"
    np.testing.assert_allclose(out.pools["reserved"][gcp], 2 * pools["reserved"][gcp])
    np.testing.assert_array_equal(out.pools["reserved"][~gcp], pools["reserved"][~gcp])
    gcp_offer = (inputs.offerings["cloud"] == "gcp").to_numpy()
    np.testing.assert_allclose(out.offerings["price_per_hour"][gcp_offer],
                               2 * inputs.offerings["price_per_hour"][gcp_offer])


@pytest.fixture(scope="module")
def levels(inputs):
    return resopt.sweep(inputs, {"service_level": [0.95, 0.5], "demand_growth": [1.0, 1.5]}, progress=False)


def test_more_demand_and_a_higher_service_level_cost_more(levels):
    table = levels.table
    cost = table.set_index(["service_level", "demand_growth"])["total_cost"]
    assert cost[(0.5, 1.0)] < cost[(0.5, 1.5)] and cost[(0.95, 1.0)] < cost[(0.95, 1.5)]
    assert cost[(0.5, 1.0)] <= cost[(0.95, 1.0)]
    # A higher service level only raises each pool's lower limit on its reservation.
    reserved = table.set_index(["service_level", "demand_growth"]).filter(like="reserved.")
    for growth in (1.0, 1.5):
        assert (reserved.loc[(0.95, growth)] >= reserved.loc[(0.5, growth)]).all()


def test_forecast_is_computed_once_per_distinct_forecast_setting(sequential):
    result, calls = sequential
    assert len(result.table) == 4 and (result.table["status"] == "optimal").all()
    assert len(calls) == len(set(calls)) == 2 == result.forecasts  # seeds 0 and 1, each for two service levels
    assert sorted(dict(c)["seed"] for c in calls) == [0, 1]


def test_plot_frontier_draws_one_line_per_value(levels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = levels.plot_frontier("service_level", by="demand_growth")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["demand_growth=1", "demand_growth=1.5"]
    t = levels.table
    for line, growth in zip(lines, (1.0, 1.5)):
        expected = t[t["demand_growth"] == growth].sort_values("service_level")
        assert line.get_xdata().tolist() == [0.5, 0.95]
        assert line.get_ydata().tolist() == expected["total_cost"].tolist()
    assert ax.get_xlabel() == "service_level" and ax.get_ylabel() == "total cost (USD)"
    plt.close(ax.figure)
    with pytest.raises(InputError, match=r"not a setting of the grid \(did you mean 'service_level'\?\)"):
        levels.plot_frontier("service_levl")
    assert "4 of 4 with a solution" in repr(levels)
    assert levels.best()["total_cost"] == t["total_cost"].min()


def test_write_is_atomic_and_refuses_a_full_directory(inputs, tmp_path):
    result = resopt.sweep(inputs, {"service_level": [0.5, 0.9]}, progress=False)
    out = result.write(tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == ["frontier.png", "sweep.csv"]
    assert (out / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    written = pd.read_csv(out / "sweep.csv", index_col="point")
    np.testing.assert_allclose(written["total_cost"], result.table["total_cost"], rtol=1e-5)
    with pytest.raises(InputError, match="exists and is not empty; pass --force"):
        result.write(tmp_path / "out")
    result.write(tmp_path / "out", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


# --------------------------------------------------------------------------- Dask

GRID = {"service_level": [0.5, 0.9], "seed": [0, 1], "price_multiplier.accelerator.H100": [0.8],
        "demand_growth": [1.2]}


@pytest.fixture(scope="module")
def sequential(inputs):
    """The sequential sweep of GRID, and the forecasts it computed (the calls' arguments)."""
    import resopt.planning.forecast as forecast_module

    calls = []
    real = forecast_module.forecast_demand

    def counting(usage, **kwargs):
        calls.append(tuple(sorted(kwargs.items())))
        return real(usage, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(forecast_module, "forecast_demand", counting)
        return resopt.sweep(inputs, GRID, progress=False), calls


def test_dask_sweep_equals_the_sequential_sweep_row_for_row(inputs, client, sequential):
    sequential = sequential[0]
    on_dask = resopt.sweep(inputs, GRID, client=client, progress=False)
    assert on_dask.backend == "dask (2 workers)" and sequential.backend == "sequential"
    pd.testing.assert_frame_equal(results(on_dask.table), results(sequential.table))
    assert on_dask.forecasts == sequential.forecasts == 2


class RecordingClient:
    """A Dask client that records what the sweep sends through it."""

    def __init__(self, client):
        self.client, self.scattered, self.submitted = client, [], []

    def scatter(self, data, **kwargs):
        self.scattered.append((type(data).__name__, kwargs))
        return self.client.scatter(data, **kwargs)

    def submit(self, fn, *args, **kwargs):
        self.submitted.append([type(a).__name__ for a in args])
        return self.client.submit(fn, *args, **kwargs)

    def gather(self, futures):
        return self.client.gather(futures)

    def scheduler_info(self):
        return self.client.scheduler_info()


def test_inputs_are_scattered_once_and_tasks_get_futures(inputs, client, sequential):
    sequential = sequential[0]
    recording = RecordingClient(client)
    result = resopt.sweep(inputs, GRID, client=recording, progress=False)
    assert recording.scattered == [("PlanInputs", {"broadcast": True, "hash": False})]
    assert len(recording.submitted) == 2 + 4  # one task per distinct forecast, one per combination
    assert all("PlanInputs" not in args for args in recording.submitted)
    assert all(args[0] == "Future" for args in recording.submitted)
    pd.testing.assert_frame_equal(results(result.table), results(sequential.table))


def test_killed_worker_still_yields_the_full_table(inputs, client, sequential):
    sequential = sequential[0]
    pids = client.run(os.getpid)
    killed = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for address, keys in client.processing().items():
                if any(str(k).startswith("resopt-sweep-") and "forecast" not in str(k) for k in keys):
                    os.kill(pids[address], signal.SIGKILL)  # a worker process this module started
                    killed.append(address)
                    return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        result = resopt.sweep(inputs, GRID, client=client, progress=False)
    finally:
        killer.join()
    assert killed, "no worker was busy with a sweep point"
    pd.testing.assert_frame_equal(results(result.table), results(sequential.table))
    client.wait_for_workers(2, timeout=60)


def test_partitioned_placement_on_dask_equals_in_process(client):
    from resopt.problems.placement.synthetic import synthetic_instance

    workloads, offerings = synthetic_instance(60, 24, seed=5, regions_per_cloud=1)
    kwargs = {"partitions": 3, "backend": "highs", "seed": 2, "time_limit": 10}
    here = resopt.place_workloads(workloads, offerings, **kwargs)
    there = resopt.place_workloads(workloads, offerings, executor=client, **kwargs)
    assert here.status == there.status and here.status.has_solution
    pd.testing.assert_frame_equal(there.assignments, here.assignments)
    pd.testing.assert_frame_equal(there.unplaced, here.unplaced)
    assert there.objective == here.objective
    # The bound's subgradient runs have a time budget, so its value may depend on machine load.
    assert there.bound <= there.objective + 1e-6 and here.bound <= here.objective + 1e-6


def test_without_dask_asking_for_workers_names_the_extra(inputs, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    with pytest.raises(BackendUnavailableError, match=r"pip install 'resopt\[distributed\]'"):
        resopt.sweep(inputs, {"service_level": [0.5]}, client="tcp://127.0.0.1:8786", progress=False)
    with pytest.raises(BackendUnavailableError, match=r"resopt\[distributed\]"):
        with dask_client(workers=2):
            pass
    grid = tmp_path / "grid.yaml"
    grid.write_text("service_level: [0.5]\n")
    from resopt.cli import main

    code = main(["sweep", str(inputs.source), "--grid", str(grid), "--out", str(tmp_path / "o"), "--workers", "2"])
    assert code == 2
    assert "resopt[distributed]" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    # Sequential sweeps need no Dask.
    assert resopt.sweep(inputs, {"service_level": [0.5]}, progress=False).table["status"].iloc[0] == "optimal"


# --------------------------------------------------------------------------- command line


def test_cli_sweep_on_a_dask_scheduler(input_dir, tmp_path, capsys, client, sequential):
    sequential = sequential[0]
    grid = tmp_path / "grid.yaml"
    grid.write_text("service_level: [0.5, 0.9]\nseed: [0, 1]\nprice_multiplier:\n  accelerator:\n"
                    "    H100: 0.8\ndemand_growth: [1.2]\n")
    out = tmp_path / "out"
    from resopt.cli import main

    code = main(["sweep", str(input_dir), "--grid", str(grid), "--out", str(out),
                 "--scheduler", client.scheduler.address, "--x", "service_level"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "resopt sweep" in captured.err and "dask (2 workers)" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["frontier.png", "sweep.csv"]
    written = pd.read_csv(out / "sweep.csv", index_col="point")
    assert list(written.columns[:4]) == list(GRID)
    np.testing.assert_allclose(written["total_cost"], sequential.table["total_cost"], rtol=1e-5)
    assert "total_cost" in captured.out and "optimal" in captured.out


@pytest.mark.parametrize(("grid", "extra", "message"), [
    ("servce_level: [0.5]\n", [], "did you mean 'service_level'"),
    ("service_level: [0.5]\n", ["--x", "seed"], "The frontier plot's x 'seed' is not a setting"),
    ("- 1\n", [], "must map setting names to lists of values"),
    ("service_level: [0.5\n", [], "is not valid YAML"),
])
def test_cli_sweep_bad_input_exits_2(input_dir, tmp_path, capsys, grid, extra, message):
    from resopt.cli import main

    path = tmp_path / "grid.yaml"
    path.write_text(grid)
    code = main(["sweep", str(input_dir), "--grid", str(path), "--out", str(tmp_path / "o"), "--quiet", *extra])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_sweep_result_is_exported():
    assert resopt.SweepResult is SweepResult and "sweep" in resopt.__all__
