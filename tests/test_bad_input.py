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
    if (table, extra) == ("tasks", "priority"):  # a column of tasks itself (the priority policies)
        with pytest.raises(InputError, match="'priority' column of tasks must be numeric"):
            run(frame)
        return
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


# ----------------------------------------------------------------------------- hypothesis: mutated tables

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _near_misses(name: str) -> list[str]:
    out = {name.upper(), name.title(), name.replace("_", "-"), name.replace("_", " "),
           name[:-1] if name.endswith("s") else name + "s"}
    out |= {name[:i] + name[i + 1] + name[i] + name[i + 2:] for i in range(len(name) - 1)}  # swaps
    out |= {name[:i] + name[i + 1:] for i in range(len(name))}  # deletions
    out.discard(name)
    return sorted(n for n in out if n)


def _honest(result) -> None:
    """The property's other branch: a result that claims a plan has finite figures."""
    if isinstance(result, Result):
        if result.status in (Status.OPTIMAL, Status.FEASIBLE):
            assert math.isfinite(result.objective)
            if hasattr(result, "reservations"):
                assert (result.reservations["reserve"] >= 0).all()
                assert np.isfinite(result.reservations["expected_cost"].to_numpy(dtype=float)).all()
            if hasattr(result, "x") and result.x is not None:
                assert np.isfinite(result.x).all()
        else:
            assert not result.success
    else:  # a simulation
        assert all(math.isfinite(result.metrics[k]) for k in ("mean_waiting", "makespan"))


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(TABLES)))
    make, run = TABLES[name]
    frame = make()
    kind = draw(st.sampled_from(["rename", "extreme", "boolean"]))
    column = draw(st.sampled_from(list(frame.columns)))
    if kind == "rename":
        frame = frame.rename(columns={column: draw(st.sampled_from(_near_misses(column)))})
    else:
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        column = draw(st.sampled_from(numeric))
        row = draw(st.integers(0, len(frame) - 1))
        value = True if kind == "boolean" else draw(st.sampled_from([1e300, -1e300, 1e16, 1e13, 2.0**63, 1e-300]))
        frame = _with(make, column, row, value)
    return name, kind, frame, run


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_a_mutated_table_gives_an_input_error_or_an_honest_result(case):
    name, kind, frame, run = case
    try:
        result = run(frame)
    except InputError:
        return
    assert kind != "boolean", f"a boolean in {name} was accepted"
    _honest(result)


# ----------------------------------------------------------------------------- the command line (subprocesses)

import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

MODELS = Path(__file__).parents[1] / "models"
PLACE = [str(MODELS / "placement" / "workloads.csv"), str(MODELS / "placement" / "catalog.csv")]
EXAMPLE = str(MODELS / "core_assignment" / "worked_example.yaml")
TASKS = str(MODELS / "scheduling" / "tasks.csv")


def resopt_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``python -m resopt`` in a new process: the real entry point, its streams and exit code."""
    return subprocess.run([sys.executable, "-m", "resopt", *args], capture_output=True, text=True,
                          timeout=120, **kwargs)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run the command line in this process (fast); an escaping exception would fail the test."""
    import contextlib
    import io

    from resopt.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def assert_clean_error(proc: subprocess.CompletedProcess, code: int, message: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("resopt: error: "), proc.stderr
    assert message in lines[0], lines[0]


def test_standard_output_of_place_starts_with_the_result_not_a_solver_banner(tmp_path):
    out = tmp_path / "stdout.txt"
    with open(out, "w") as fh:
        proc = subprocess.run([sys.executable, "-m", "resopt", "place", *PLACE, "--backend", "highs"],
                              stdout=fh, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert text.startswith("PlacementResult(placement)\n     status: optimal"), text[:200]
    assert "HiGHS" not in text.split("backend")[0]


def test_the_library_keeps_the_banner_off_standard_output_too():
    code = ("import resopt; r = resopt.assign_cores({'capacity': [4, 2], 'demand': [3, 2]}, 5, backend='highs');"
            "print(r.status)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout == "optimal\n", proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "{tmp}/plan.txt"], "must end in .csv, .json or .parquet (got '.txt')"),
        (["--output", "{tmp}/missing/plan.csv"], "The folder of the output"),
        (["--output", "{tmp}"], "is a directory; give a file name in it"),
        (["--output", "{tmp}/old.csv"], "already exists; pass --force"),
    ],
)
def test_output_problems_are_found_before_solving(tmp_path, args, message):
    (tmp_path / "old.csv").write_text("keep me\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = run_cli("assign", EXAMPLE, *args)
    assert_clean_error(proc, 2, message)
    assert proc.stdout == ""  # nothing was solved
    assert (tmp_path / "old.csv").read_text() == "keep me\n"


def test_force_replaces_and_written_files_follow_the_umask(tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("keep me\n")
    assert run_cli("assign", EXAMPLE, "--output", str(old), "--force").returncode == 0
    assert old.read_text().startswith("device,")
    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        new = tmp_path / f"new{umask:o}.csv"
        previous = os.umask(umask)
        try:
            proc = run_cli("assign", EXAMPLE, "--output", str(new))
        finally:
            os.umask(previous)
        assert proc.returncode == 0, proc.stderr
        assert (new.stat().st_mode & 0o777) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new2.csv", "new22.csv", "new77.csv", "old.csv"]


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch, capsys):
    import importlib.util

    from resopt.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    assert main(["assign", EXAMPLE, "--output", str(tmp_path / "plan.parquet")]) == 2
    err = capsys.readouterr().err
    assert "needs the pyarrow package" in err and "pip install 'resopt[parquet]'" in err
    assert list(tmp_path.iterdir()) == []


def test_an_infeasible_run_leaves_the_old_file_and_says_so(tmp_path):
    old = tmp_path / "plan.csv"
    old.write_text("old plan\n")
    proc = run_cli("assign", EXAMPLE, "--total", "9", "--output", str(old), "--force")
    assert proc.returncode == 3
    assert "not written (the existing file was not replaced)" in proc.stderr
    assert old.read_text() == "old plan\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                      (signal.SIGINT, 130, "interrupted")])
def test_a_signal_while_writing_leaves_no_temporary_file_and_no_output(tmp_path, signum, code, word):
    # The signal arrives while the temporary file exists (just before the rename).
    script = (
        "import os, sys, resopt.io as rio\n"
        "real = rio.os.replace\n"
        "def replace(src, dst):\n"
        f"    os.kill(os.getpid(), {int(signum)})\n"
        "    real(src, dst)\n"
        "rio.os.replace = replace\n"
        "from resopt.cli import main\n"
        f"sys.exit(main(['assign', {EXAMPLE!r}, '--output', {str(tmp_path / 'plan.csv')!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    assert word in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_after_solving_exits_6_with_one_line(tmp_path, monkeypatch):
    import resopt.io

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(resopt.io, "write_atomic", full)
    proc = run_cli("assign", EXAMPLE, "--output", str(tmp_path / "plan.csv"))
    assert_clean_error(proc, 6, f"could not write {str(tmp_path / 'plan.csv')!r}: No space left on device")


def test_unreadable_inputs_are_one_line_errors(tmp_path):
    # the real entry point once: one line, exit 2, no traceback
    assert_clean_error(resopt_cli("assign", str(tmp_path)), 2, "is a directory, not a file")
    assert_clean_error(run_cli("simulate", str(tmp_path)), 2, f"The tasks file {str(tmp_path)!r} is a directory")
    assert_clean_error(run_cli("place", str(tmp_path / "none.csv"), PLACE[1]), 2, "does not exist")
    binary = tmp_path / "tasks.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    assert_clean_error(run_cli("simulate", str(binary)), 2, "could not be read as CSV")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert_clean_error(run_cli("simulate", str(empty)), 2, "is empty")
    if os.geteuid() != 0:  # root reads everything
        secret = tmp_path / "secret.yaml"
        secret.write_text("total: 1\n")
        secret.chmod(0)
        assert_clean_error(run_cli("assign", str(secret)), 2, "cannot be read (permission denied)")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("total: 5\nintger: false\ndevices:\n  - {device: a, capacity: 4, demand: 3}\n",
         "has a key 'intger' that looks like a misspelling of 'integer'"),
        ("total: 5\ninteger: 'no'\ndevices:\n  - {device: a, capacity: 4, demand: 3}\n",
         "'integer' must be True or False. Got 'no' (a string"),
        ("total: 5\ndevices:\n  - {device: a, capacity: yes, demand: 3}\n",
         "'capacity' column of devices must be numeric, not true/false. Got True at row 'a'"),
        ("total: 5\ndevices:\n  - {device: a, capacity: 4, demand: 3, weigth: 2}\n",
         "devices has a column 'weigth' that looks like a misspelling of 'weight'"),
        ("total: 1.0e+300\ndevices:\n  - {device: a, capacity: 4, demand: 3}\n", "'total' must be <= 1e12"),
        ("total: 1e3\ndevices:\n  - {device: a, capacity: 4, demand: 3}\n",
         "'total' must be a number. Got '1e3' (text, not a number; YAML reads 1e6 as text: write 1.0e+6)"),
    ],
)
def test_bad_instance_files_exit_2_with_one_line(tmp_path, yaml_text, message):
    path = tmp_path / "inst.yaml"
    path.write_text(yaml_text)
    assert_clean_error(run_cli("assign", str(path)), 2, message)


def test_bad_tables_name_the_file_line(tmp_path):
    tasks = tmp_path / "tasks.csv"
    tasks.write_text("task,arrival,duration\na,0,1\nb,0,-1\n")
    assert_clean_error(resopt_cli("simulate", str(tasks)), 2,
                       f"'duration' column of tasks must be positive. Got -1 at line 3 of {str(tasks)!r}")
    assert_clean_error(run_cli("simulate", str(tasks), "--output", str(tmp_path / "s.csv")), 2, "line 3")
    assert not (tmp_path / "s.csv").exists()
    catalog = tmp_path / "catalog.csv"
    pd.read_csv(PLACE[1]).rename(columns={"capacity_gpus": "capacity_gpu"}).to_csv(catalog, index=False)
    assert_clean_error(run_cli("place", PLACE[0], str(catalog)), 2,
                       "offerings has a column 'capacity_gpu' that looks like a misspelling of 'capacity_gpus'")
    dup = tmp_path / "dup.csv"
    frame = pd.read_csv(PLACE[1])
    pd.concat([frame, frame.iloc[[0]]]).to_csv(dup, index=False)
    assert_clean_error(run_cli("place", PLACE[0], str(dup)), 2,
                       f"twice, at lines 2 and {len(frame) + 2} of {str(dup)!r}")


def test_machines_means_what_the_api_means():
    proc = run_cli("simulate", TASKS, "--machines", "2.5")
    with pytest.raises(InputError) as api:
        simulate(pd.read_csv(TASKS), 2.5)
    assert_clean_error(proc, 2, str(api.value))
    three = run_cli("simulate", TASKS, "--machines", "3")
    assert three.returncode == 0 and "machines=3)" in three.stdout


def test_a_large_table_is_summarized_on_screen_and_written_in_full(tmp_path):
    n = 500
    tasks = tmp_path / "tasks.csv"
    pd.DataFrame({"task": [f"t{i}" for i in range(n)], "arrival": np.arange(n) * 0.1,
                  "duration": np.full(n, 1.0 / 3.0)}).to_csv(tasks, index=False)
    out = tmp_path / "schedule.csv"
    proc = run_cli("simulate", str(tasks), "--machines", "2", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"... {n - 20} more rows ({n} in all; all of them are in {out})" in proc.stdout
    assert len(proc.stdout.splitlines()) < 60
    text = out.read_text()
    assert text.startswith("task,") and len(text.splitlines()) == n + 1
    assert "0.333333333333\n" in text or ",0.333333333333," in text  # 12 significant digits
    assert "0.3333333333333333" not in text
    assert f"wrote {n} rows to {out}" in proc.stderr


def test_version_and_help():
    import resopt

    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"resopt {resopt.__version__}"
    text = run_cli("--help").stdout
    for code in (0, 2, 3, 4, 5, 6, 130, 143):
        assert f"\n  {code:>3}  " in text
    assert "--force" in run_cli("place", "--help").stdout


@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_json_and_parquet_outputs_hold_the_same_table(tmp_path, suffix):
    csv, other = tmp_path / "plan.csv", tmp_path / f"plan{suffix}"
    assert run_cli("assign", EXAMPLE, "--output", str(csv)).returncode == 0
    assert run_cli("assign", EXAMPLE, "--output", str(other)).returncode == 0
    expected = pd.read_csv(csv)
    got = pd.read_json(other, orient="records") if suffix == ".json" else pd.read_parquet(other).reset_index()
    assert got[list(expected.columns)].to_dict("list") == expected.to_dict("list")
