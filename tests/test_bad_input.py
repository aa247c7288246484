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


# ----------------------------------------------------------------------------- unknown places, duplicates


def test_an_unknown_data_cloud_is_an_error_with_the_closest_known_cloud():
    w = workloads().assign(data_cloud=["aws", "gpc"], data_region=["us-east-1", "us-central1"], data_gb=[10, 10])
    with pytest.raises(InputError, match=r"'data_cloud' column of workloads names a cloud .* Got 'gpc' at row 'w2'\. "
                                         r"Did you mean 'gcp'\?"):
        place_workloads(w, offerings())


def test_an_unknown_data_region_is_an_error_with_the_closest_known_region():
    w = workloads().assign(data_cloud=["aws", "aws"], data_region=["us-east-1", "us-east1"], data_gb=[10, 10])
    with pytest.raises(InputError, match=r"'data_region' column of workloads names a region of 'aws' .* Got "
                                         r"'us-east1' at row 'w2'\. Did you mean 'us-east-1'\?"):
        place_workloads(w, offerings())


def test_a_region_known_only_from_the_egress_table_is_accepted():
    w = workloads().assign(data_cloud=["aws", "aws"], data_region=["us-west-2", ""], data_gb=[100, 0])
    egress = pd.DataFrame({"src_cloud": ["aws"], "src_region": ["us-west-2"], "dst_cloud": ["gcp"],
                           "usd_per_gb": [0.05]})
    assert place_workloads(w, offerings(), egress=egress, backend="heuristic").success


def test_duplicate_offerings_name_both_rows():
    o = pd.concat([offerings(), offerings().iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=r"offerings lists cloud 'aws', region 'us-east-1', instance_type "
                                         r"'p5.48xlarge' twice, at rows 0 and 2"):
        place_workloads(workloads(), o)


# ----------------------------------------------------------------------------- extreme magnitudes


def _with(make, column, row, value):
    frame = make()
    frame[column] = frame[column].astype(object) if isinstance(value, bool) else frame[column].astype(float)
    frame.loc[frame.index[row], column] = value
    return frame


EXTREME = [
    ("devices", "capacity", 1e300, r"'capacity' column of devices must be at most 1e12, the largest value accepted"),
    ("devices", "demand", -1e300, r"'demand' column of devices must be at most 1e12 in absolute value"),
    ("workloads", "gpus", 1e300, r"'gpus' column of workloads must be at most 1e12"),
    ("workloads", "hours", 1e300, r"'hours' column of workloads must be at most 1e12"),
    ("workloads", "replicas", 1e18, r"'replicas' column of workloads must be at most 1e6"),
    ("offerings", "price_per_hour", 1e300, r"'price_per_hour' column of offerings must be at most 1e9"),
    ("offerings", "capacity_gpus", 1e300, r"at most 1e12, .*leave the cell empty \(or use inf\) for unlimited"),
    ("demand", "demand", 1e300, r"'demand' column of demand must be at most 1e12"),
    ("prices", "on_demand", 1e300, r"'on_demand' column of prices must be at most 1e9"),
]


@pytest.mark.parametrize(("table", "column", "value", "message"), EXTREME)
def test_extreme_values_name_column_row_value_and_the_largest_accepted(table, column, value, message):
    make, run = TABLES[table]
    if column not in make().columns:
        make = (lambda base: lambda: base().assign(**{column: 1}))(make)
    with pytest.raises(InputError, match=message):
        run(_with(make, column, 0, value))


def test_values_each_accepted_whose_product_is_not_are_refused_with_the_product():
    w = workloads().assign(gpus=[8, 10**6], hours=[10.0, 1e12])
    with pytest.raises(InputError, match=r"The cost of workload 'w2' \(row 'w2'\) could reach 1\.\d+e\+19 USD .* "
                                         r"above 1e15 USD, the largest plan cost accepted"):
        place_workloads(w, offerings())
    with pytest.raises(InputError, match=r"The cost of pool 'p' could reach 2e\+21 .* above 1e15"):
        size_reservations(demand().assign(demand=5e11), prices().assign(on_demand=1e9))


def test_many_replicas_in_all_are_refused_before_any_memory_is_spent():
    w = pd.concat([workloads()] * 3, ignore_index=True).assign(workload=[f"w{i}" for i in range(6)],
                                                               replicas=400_000)
    with pytest.raises(InputError, match=r"workloads ask for 2\.4e\+06 replicas in all, more than 1e6"):
        place_workloads(w, offerings())


@pytest.mark.parametrize("total", [1e300, 10**400, -(10**400)])
def test_an_extreme_scalar_is_an_input_error(total):
    with pytest.raises(InputError, match="'total'"):
        assign_cores(devices(), total)


def test_integer_core_assignment_memory_does_not_grow_with_the_total():
    import tracemalloc

    frame = pd.DataFrame({"capacity": [1e8, 1e8], "demand": [0.0, 0.0]})
    tracemalloc.start()
    try:
        result = assign_cores(frame, 1e8)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status is Status.OPTIMAL and result.x.tolist() == [5e7, 5e7]
    assert peak < 5_000_000  # bytes; listing every unit took 3.9 GB


# ----------------------------------------------------------------------------- booleans


@pytest.mark.parametrize(("table", "column"), [("devices", "capacity"), ("workloads", "gpus"),
                                               ("offerings", "price_per_hour"), ("demand", "demand"),
                                               ("prices", "reserved")])
def test_a_boolean_in_a_numeric_column_is_an_error(table, column):
    make, run = TABLES[table]
    with pytest.raises(InputError, match=rf"'{column}' column of {table} must be numeric, not true/false\. Got True"):
        run(_with(make, column, 0, True))
    frame = make()
    frame[column] = True
    with pytest.raises(InputError, match="must be numeric, not true/false"):
        run(frame)


@pytest.mark.parametrize("flag", ["no", "yes", "0", 0, 1, None])
def test_an_on_off_option_takes_true_or_false_only(flag):
    with pytest.raises(InputError, match="'integer' must be True or False"):
        assign_cores(devices(), 5, integer=flag)
    with pytest.raises(InputError, match="'integer' must be True or False"):
        size_reservations(demand(), prices(), integer=flag)


def test_a_yes_no_column_keeps_its_documented_spellings():
    for spelling in (["true", "false"], ["yes", "no"], ["1", "0"], [1, 0], [True, False], ["Y", "n"]):
        w = workloads().assign(spot_ok=spelling)
        assert place_workloads(w, offerings(), backend="heuristic").success
    with pytest.raises(InputError, match="'spot_ok' column of workloads must be true or false. Got 'maybe'"):
        place_workloads(workloads().assign(spot_ok=["yes", "maybe"]), offerings())
