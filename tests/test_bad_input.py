"""Bad input never yields a wrong plan: every case of issue 8, through the API and the command line.

Each case is an input that used to be solved silently (a misspelt optional
column ignored, a boolean read as 1, ...) or ended in a traceback. It must now
raise :class:`InputError` naming what is wrong, or give an honest status.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from resopt import InputError, Result, Status, assign_cores, place_workloads, simulate, size_reservations
from resopt._validate import check_columns, near_miss

# ----------------------------------------------------------------------------- small valid inputs


def devices() -> pd.DataFrame:
    return pd.DataFrame({"capacity": [4, 2], "demand": [3, 2]}, index=["a", "b"])


def workloads() -> pd.DataFrame:
    return pd.DataFrame({"workload": ["w1", "w2"], "gpus": [8, 8], "hours": [10.0, 5.0],
                         "accelerator": ["H100", "H100"]})


def offerings() -> pd.DataFrame:
    return pd.DataFrame({
        "cloud": ["aws", "gcp"], "region": ["us-east-1", "us-central1"],
        "instance_type": ["p5.48xlarge", "a3-highgpu-8g"], "accelerator": ["H100", "H100"],
        "accelerator_count": [8, 8], "price_per_hour": [98.32, 88.25], "capacity_gpus": [8, 16],
    })


def demand() -> pd.DataFrame:
    return pd.DataFrame({"pool": ["p"] * 4, "hour": [0, 1, 2, 3], "demand": [2.0, 4.0, 3.0, 5.0]})


def prices() -> pd.DataFrame:
    return pd.DataFrame({"pool": ["p"], "reserved": [1.0], "on_demand": [2.0]})


def tasks() -> pd.DataFrame:
    return pd.DataFrame({"task": ["a", "b"], "arrival": [0.0, 1.0], "duration": [2.0, 1.0]})


def run_assign(frame):
    return assign_cores(frame, 5)


def run_place_w(frame):
    return place_workloads(frame, offerings(), backend="heuristic")


def run_place_o(frame):
    return place_workloads(workloads(), frame, backend="heuristic")


def run_reserve_d(frame):
    return size_reservations(frame, prices())


def run_reserve_p(frame):
    return size_reservations(demand(), frame)


def run_simulate(frame):
    return simulate(frame, 1)


#: (table name, a valid table, the call that uses it) for every table of every public function.
TABLES = {
    "devices": (devices, run_assign),
    "workloads": (workloads, run_place_w),
    "offerings": (offerings, run_place_o),
    "demand": (demand, run_reserve_d),
    "prices": (prices, run_reserve_p),
    "tasks": (tasks, run_simulate),
}

# ----------------------------------------------------------------------------- near-miss columns


@pytest.mark.parametrize(
    ("table", "found", "meant"),
    [
        ("offerings", "capacity_gpu", "capacity_gpus"),
        ("offerings", "Spot_Capacity_GPUs", "spot_capacity_gpus"),
        ("offerings", "throughput ", "throughput"),
        ("workloads", "replica", "replicas"),
        ("workloads", "spot-ok", "spot_ok"),
        ("workloads", "data_clod", "data_cloud"),
        ("workloads", "unplaced_penalties", "unplaced_penalty"),
        ("devices", "weigth", "weight"),
        ("devices", "Unit Cost", "unit_cost"),
        ("devices", "mins", "min"),
        ("prices", "spot_limt", "spot_limit"),
        ("prices", "reserve_limt", "reserve_limit"),
        ("prices", "OnDemandLimit", "on_demand_limit"),
        ("demand", "scenarios", "scenario"),
        ("tasks", "Durations", "duration"),
    ],
)
def test_a_misspelt_column_is_an_error_naming_table_found_and_meant(table, found, meant):
    make, run = TABLES[table]
    frame = make()
    frame[found] = frame.iloc[:, -1].to_numpy()  # any values: the name alone is the error
    with pytest.raises(InputError) as err:
        run(frame)
    text = str(err.value)
    assert text.startswith(f"{table} has a column {found!r} that looks like a misspelling of {meant!r}")


PUBLIC_CATALOG_EXTRAS = ["vcpus", "memory_gib", "gpu_count", "gpu_memory_gib", "spot_price", "region_zone",
                         "zone", "availability_zone", "network_gbps", "storage_gb", "arch", "family", "sku",
                         "description", "currency", "effective_date", "os", "tenancy", "price", "gpu_type"]


def test_a_realistic_public_catalogs_extra_columns_pass():
    catalog = offerings()
    for column in PUBLIC_CATALOG_EXTRAS:
        catalog[column] = 1
    result = place_workloads(workloads(), catalog, backend="heuristic")
    assert result.success
    plain = place_workloads(workloads(), offerings(), backend="heuristic")
    assert result.objective == pytest.approx(plain.objective)


@pytest.mark.parametrize("table", list(TABLES))
@pytest.mark.parametrize("extra", ["notes", "owner", "team", "priority", "pool_id", "cost_center"])
def test_unrelated_extra_columns_pass_in_every_table(table, extra):
    make, run = TABLES[table]
    frame = make()
    frame[extra] = "x"
    run(frame)  # no InputError


def test_the_yaml_keys_of_a_core_assignment_instance_are_checked(tmp_path):
    from resopt.io import read_instance
    from resopt.problems.core_assignment import instance_arguments

    path = tmp_path / "inst.yaml"
    path.write_text("total: 5\nintger: false\ndevices:\n  - {device: a, capacity: 4, demand: 3}\n")
    with pytest.raises(InputError, match="has a key 'intger' that looks like a misspelling of 'integer'"):
        instance_arguments(read_instance(path), "inst.yaml")
    path.write_text("total: 5\ndevices:\n  - {device: a, capacity: 4, demand: 3, wieght: 2}\n")
    with pytest.raises(InputError, match="devices has a column 'wieght' that looks like a misspelling of 'weight'"):
        assign_cores(**instance_arguments(read_instance(path), "inst.yaml"))


def test_a_missing_required_column_names_the_near_miss_present():
    with pytest.raises(InputError, match=r"missing the required column\(s\) 'capacity' \(did you mean 'Capacity'"):
        assign_cores(pd.DataFrame({"Capacity": [4], "demand": [3]}), 3)


def test_near_miss_rules_directly():
    known = ["capacity_gpus", "spot_price_per_hour", "throughput"]
    assert near_miss("CAPACITY-GPUS", known) == "capacity_gpus"  # case and separators
    assert near_miss("capacity_gpu", known) == "capacity_gpus"  # plural
    assert near_miss("thruoghput", known) == "throughput"  # one swap
    assert near_miss("troughput", known) == "throughput"  # one deletion
    assert near_miss("spot_price", known) is None  # a different, shorter column
    assert near_miss("capacity_gpus", known) is None  # the column itself is not a near miss
    frame = pd.DataFrame(columns=["a", "b"])
    check_columns(frame, "t", ["a"], ["b"])  # passes


# ----------------------------------------------------------------------------- the Result invariant


@pytest.mark.parametrize("status", [Status.OPTIMAL, Status.FEASIBLE])
@pytest.mark.parametrize("objective", [math.nan, math.inf, -math.inf])
def test_a_result_with_a_non_finite_objective_is_never_optimal_or_feasible(status, objective):
    result = Result(status, objective=objective, message="solver said so.")
    assert result.status is Status.ERROR
    assert not result.success
    assert "not a finite number" in result.message and f"not '{status}'" in result.message
    assert "status: error" in repr(result)
    with pytest.raises(Exception, match="status 'error'"):
        result.raise_for_status()


def test_the_invariant_holds_whatever_order_the_fields_are_set_in():
    result = Result(Status.ERROR)
    result.status = Status.OPTIMAL  # objective still NaN: not a plan yet
    assert result.status is Status.ERROR
    result.objective = 12.5
    assert result.status is Status.OPTIMAL and result.message == ""
    result.objective = math.nan  # e.g. a cost that overflowed after the fact
    assert result.status is Status.ERROR
    other = Result(Status.FEASIBLE, objective=float(np.float64(3.0)))
    assert other.status is Status.FEASIBLE


@pytest.mark.parametrize("status", [Status.INFEASIBLE, Status.UNBOUNDED, Status.TIME_LIMIT, Status.ERROR])
def test_statuses_without_a_plan_keep_their_status_and_message(status):
    result = Result(status, message="why.")
    assert result.status is status and result.message == "why."
