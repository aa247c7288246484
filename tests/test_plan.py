"""The weekly plan end to end: the command line on the bundled example and on small inputs,
the headroom rule, the history and diff, atomic outputs and every bad-input case."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import resopt
from resopt.cli import main
from resopt.errors import InputError
from resopt.examples import weekly_example
from resopt.planning import weekly
from resopt.planning.history import SCHEMA_VERSION, HistoryStore
from resopt.planning.inputs import Policy, read_plan_inputs
from resopt.planning.weekly import add_headroom, headroom, plan_week


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "resopt", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def small_inputs(folder: Path, *, workloads: bool = True) -> Path:
    """Two pools on one cloud with two weeks of hourly usage, an offering each, three workloads."""
    folder.mkdir(parents=True, exist_ok=True)
    hours = pd.date_range("2026-11-16T00:00Z", periods=336, freq="h")
    h = np.arange(336)
    usage = pd.concat([
        pd.DataFrame({"timestamp": hours.strftime("%Y-%m-%dT%H:%M:%SZ"), "pool": "h100",
                      "used": 10 + 4 * np.sin(2 * np.pi * h / 24)}),
        pd.DataFrame({"timestamp": hours.strftime("%Y-%m-%dT%H:%M:%SZ"), "pool": "l4",
                      "used": 6 + 2 * np.cos(2 * np.pi * h / 24)}),
    ])
    usage.to_csv(folder / "usage.csv", index=False)
    pd.DataFrame({"pool": ["h100", "l4"], "cloud": ["aws", "aws"], "region": ["us-east-1", "us-east-1"],
                  "accelerator": ["H100", "L4"], "instance_type": ["p5.48xlarge", "g6.xlarge"],
                  "reserved": [4.0, 0.5], "on_demand": [6.88, 0.805]}).to_csv(folder / "pools.csv", index=False)
    if workloads:
        pd.DataFrame({"cloud": ["aws", "aws"], "region": ["us-east-1", "us-east-1"],
                      "instance_type": ["p5.48xlarge", "g6.xlarge"], "accelerator": ["H100", "L4"],
                      "accelerator_count": [8, 1], "price_per_hour": [55.04, 0.805],
                      "capacity_gpus": [64, 32]}).to_csv(folder / "offerings.csv", index=False)
        pd.DataFrame({"workload": ["train", "embed", "eval"], "gpus": [8, 1, 1], "hours": [24, 168, 4],
                      "accelerator": ["H100", "L4", "L4"], "replicas": [1, 2, 1]}).to_csv(
            folder / "workloads.csv", index=False)
    (folder / "policy.yaml").write_text("scenarios: 40\nseed: 3\n")
    return folder


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """The bundled example through the real command line, once for the module."""
    root = tmp_path_factory.mktemp("example")
    proc = run_cli("plan", "--example", "--out", str(root / "plan"), "--db", str(root / "h.sqlite"), "--quiet")
    return root, proc


def test_example_plan_writes_every_file_and_exits_0(example_run):
    root, proc = example_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("run "), proc.stdout[:200]
    names = sorted(p.name for p in (root / "plan").iterdir())
    assert names == ["forecast.csv", "headroom.csv", "placement.csv", "report.html", "reservations.csv",
                     "summary.json"]
    assert not [p for p in root.iterdir() if p.name.startswith(".plan.")], "a temporary directory was left"


def test_example_summary_agrees_with_the_tables(example_run):
    root, _ = example_run
    summary = json.loads((root / "plan" / "summary.json").read_text())
    res = pd.read_csv(root / "plan" / "reservations.csv")
    placed = pd.read_csv(root / "plan" / "placement.csv")
    pools = pd.read_csv(weekly_example() / "pools.csv").set_index("pool")
    assert len(summary["pools"]) == len(res) == 12
    # The cost by cloud and mode adds up the reservation parts and the placement spend.
    expected = {}
    for _, row in res.iterrows():
        cloud = pools.at[row["pool"], "cloud"]
        for mode in ("reserved", "on_demand", "spot", "shortfall"):
            expected[(cloud, mode)] = expected.get((cloud, mode), 0.0) + row[f"{mode}_cost"]
    for _, row in placed.iterrows():
        key = (row["cloud"], row["mode"])
        expected[key] = expected.get(key, 0.0) + row["compute_cost"] + row["egress_cost"]
    got = {(c["cloud"], c["mode"]): c["cost"] for c in summary["by_cloud_mode"]}
    assert set(got) == {k for k, v in expected.items() if abs(v) > 1e-9}
    for key, value in got.items():
        assert value == pytest.approx(expected[key], rel=1e-6, abs=1e-3)
    totals = summary["totals"]
    assert totals["expected_cost"] == pytest.approx(sum(expected.values()), rel=1e-6)
    assert totals["reservations_cost"] == pytest.approx(res["expected_cost"].sum(), rel=1e-6)
    assert totals["savings"] == pytest.approx(totals["all_on_demand_cost"] - totals["expected_cost"], rel=1e-9)
    assert 0 < totals["savings"] < totals["all_on_demand_cost"]
    # Reservation savings never exceed what the tables say each pool saves, plus the placement's.
    assert totals["new_reserved_units"] == pytest.approx(res["reserve"].sum())
    assert summary["placement"]["replicas_placed"] == len(placed)
    assert summary["status"] in ("optimal", "feasible")
    # The policy in force, with defaults filled in, and the hash of every input file.
    assert summary["policy"]["horizon_hours"] == 168 and summary["policy"]["headroom_quantile"] == 0.9
    assert summary["policy"]["discounts"] == {"aws": 0.05}
    assert sorted(summary["input_hashes"]) == ["offerings.csv", "policy.yaml", "pools.csv", "usage.csv",
                                               "workloads.csv"]
    assert summary["resopt_version"] == resopt.__version__


def test_example_run_is_recorded(example_run):
    root, _ = example_run
    proc = run_cli("history", "--db", str(root / "h.sqlite"), "--json")
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)
    assert len(runs) == 1 and runs[0]["status"] in ("optimal", "feasible")
    summary = json.loads((root / "plan" / "summary.json").read_text())
    assert runs[0]["run_id"] == summary["run_id"]
    assert runs[0]["expected_cost"] == pytest.approx(summary["totals"]["expected_cost"])


def test_headroom_rule_by_hand():
    scen = pd.DataFrame({"pool": ["a"] * 6 + ["b"] * 6, "scenario": [0, 0, 0, 1, 1, 1] * 2,
                         "hour": [0, 1, 2] * 4, "demand": [1, 5, 2, 3, 7, 2, 0, 0, 0, 1, 1, 1.0]})
    res = pd.DataFrame({"pool": ["a", "b"], "total_reserved": [6.0, 0.5]})
    pools = pd.DataFrame({"pool": ["a", "b"], "cloud": ["aws", "gcp"], "region": ["r1", "r2"],
                          "accelerator": ["H100", "L4"], "instance_type": ["big", None]})
    offers = pd.DataFrame({"cloud": ["aws", "aws", "gcp", "gcp"], "region": ["r1", "r1", "r2", "r2"],
                           "instance_type": ["small", "big", "l4x1", "l4x4"],
                           "accelerator": ["H100", "H100", "L4", "L4"], "accelerator_count": [1, 8, 1, 4],
                           "price_per_hour": [1.0, 7.0, 1.0, 3.6], "reserved_gpus": [2, 0, 0, 0]})
    # Pool a, 0.9-quantile per hour (inverted cdf over 2 scenarios) = max: 3, 7, 2 -> idle 3, 0, 4 -> mean 7/3.
    # Pool b: max 1, 1, 1 -> idle 0 -> 0.
    room = headroom(scen, res, pools, offers, 0.9)
    assert room["headroom_gpus"].tolist() == [2, 0]
    assert room["offering"].tolist() == [1, 3]  # a: its instance_type; b: cheapest per GPU (3.6/4 < 1)
    # At the median (lower of the two scenarios): a idles 5, 1, 4 -> mean 10/3 -> 3.
    assert headroom(scen, res, pools, offers, 0.5)["headroom_gpus"].tolist() == [3, 0]
    added = add_headroom(offers, room)
    assert added["reserved_gpus"].tolist() == [2, 2, 0, 0]


def test_headroom_reaches_the_placement(tmp_path):
    folder = small_inputs(tmp_path / "in")
    plan = plan_week(folder)
    assert plan.success
    scen = plan.forecast.scenarios
    table = scen.pivot_table(index=["pool", "hour"], columns="scenario", values="demand", observed=True)
    q = np.quantile(table.to_numpy(), 0.9, axis=1, method="inverted_cdf")
    reserved = plan.reservations.reservations.set_index("pool")["total_reserved"]
    idle = np.maximum(0, reserved.reindex(table.index.get_level_values("pool")).to_numpy() - q)
    expected = pd.Series(idle, index=table.index).groupby(level="pool", observed=True).mean().apply(math.floor)
    got = plan.headroom.set_index("pool")["headroom_gpus"]
    assert got.to_dict() == expected.to_dict()
    # Replicas in reserved mode fit in the headroom of their offering.
    a = plan.placement.assignments
    used = a[a["mode"] == "reserved"].groupby("instance_type")["gpus"].sum()
    room = plan.headroom.assign(instance_type=["p5.48xlarge", "g6.xlarge"]).set_index("instance_type")
    for itype, gpus in used.items():
        assert gpus <= room.at[itype, "headroom_gpus"]


def test_without_workloads_the_plan_sizes_reservations_only(tmp_path):
    folder = small_inputs(tmp_path / "in", workloads=False)
    plan = plan_week(folder, out=tmp_path / "out")
    assert plan.success and plan.placement is None
    assert "placement" not in plan.summary["steps"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "forecast.csv", "headroom.csv", "report.html", "reservations.csv", "summary.json"]


def test_discounts_scale_the_prices_of_that_cloud(tmp_path):
    folder = small_inputs(tmp_path / "in", workloads=False)
    full = plan_week(folder)
    cheap = plan_week(folder, policy={"discounts": {"aws": 0.5}})
    a, b = (p.reservations.reservations.set_index("pool") for p in (full, cheap))
    # Both prices of every pool halve: the same levels, at half the cost.
    assert (a["reserve"] == b["reserve"]).all()
    assert np.allclose(b["expected_cost"], 0.5 * a["expected_cost"])
    assert cheap.summary["policy"]["discounts"] == {"aws": 0.5}


def test_second_run_is_recorded_and_diffed(tmp_path):
    folder = small_inputs(tmp_path / "in")
    db = str(tmp_path / "h.sqlite")
    first = run_cli("plan", str(folder), "--out", str(tmp_path / "out"), "--db", db, "--quiet")
    assert first.returncode == 0, first.stderr
    # Without --force a non-empty output directory is refused, before any work.
    again = run_cli("plan", str(folder), "--out", str(tmp_path / "out"), "--db", db)
    assert again.returncode == 2 and "--force" in again.stderr and "Traceback" not in again.stderr
    # Already reserved units of the H100 pool: 100 more than it ever needs, so it reserves nothing new.
    pools = pd.read_csv(folder / "pools.csv")
    pools["existing"] = [100, 0]
    pools.to_csv(folder / "pools.csv", index=False)
    second = run_cli("plan", str(folder), "--out", str(tmp_path / "out"), "--db", db, "--force", "--json")
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)  # --json: the summary and nothing else on stdout
    assert summary["pools"][0]["reserve"] == 0
    diff = run_cli("diff", "--db", db, "--json")
    assert diff.returncode == 0, diff.stderr
    data = json.loads(diff.stdout)
    changes = {r["pool"]: r for r in data["reservations"]}
    assert changes["h100"]["reserve_b"] == 0 and changes["h100"]["change"] == -changes["h100"]["reserve_a"]
    assert changes["l4"]["change"] == 0
    assert data["total_cost_b"] < data["total_cost_a"]
    text = run_cli("diff", "--db", db)
    assert "h100" in text.stdout and "reservations:" in text.stdout
    listed = run_cli("history", "--db", db)
    assert len(listed.stdout.strip().splitlines()) == 3  # header + two runs


def test_diff_names_moved_workloads(tmp_path):
    folder = small_inputs(tmp_path / "in")
    offerings = pd.read_csv(folder / "offerings.csv")
    offerings = pd.concat([offerings, offerings.iloc[[1]].assign(region="us-west-2", price_per_hour=0.9)])
    offerings.to_csv(folder / "offerings.csv", index=False)
    db = tmp_path / "h.sqlite"
    plan_week(folder, db=db)
    # us-west-2's L4 becomes the cheaper one: L4 replicas not on reserved headroom move there.
    offerings["price_per_hour"] = [55.04, 0.805, 0.5]
    offerings.to_csv(folder / "offerings.csv", index=False)
    plan = plan_week(folder, db=db)
    diff = HistoryStore(db).diff()
    moved = diff.moved
    on_demand = plan.placement.assignments.query("mode == 'on_demand' and instance_type == 'g6.xlarge'")
    assert len(on_demand) > 0
    assert set(moved["workload"]) == set(on_demand["workload"])
    for _, row in moved.iterrows():
        assert "aws/us-west-2" in row["to"] and "aws/us-west-2" not in row["from"]


@pytest.mark.parametrize("case, message", [
    ("missing_file", "has no pools.csv"),
    ("missing_column", "pools.csv is missing the required column(s) 'on_demand'"),
    ("negative_price", "The 'reserved' column of pools.csv must be non-negative. Got -4.0 at row 2"),
    ("unknown_pool", "Pool 'a100' is in usage.csv but not in pools.csv"),
    ("unknown_accelerator", "names 'TPU' for workload 'eval' (row 4), which no pool or offering has"),
    ("unknown_policy_key", "Unknown key 'servce_level' in policy.yaml (did you mean 'service_level'?)"),
    ("bad_timestamp", "yesterday"),
])
def test_bad_input_exits_2_with_a_precise_message(tmp_path, capsys, case, message):
    folder = small_inputs(tmp_path / "in")
    if case == "missing_file":
        (folder / "pools.csv").unlink()
    elif case == "missing_column":
        pd.read_csv(folder / "pools.csv").drop(columns="on_demand").to_csv(folder / "pools.csv", index=False)
    elif case == "negative_price":
        pools = pd.read_csv(folder / "pools.csv")
        pools.loc[0, "reserved"] = -4.0
        pools.to_csv(folder / "pools.csv", index=False)
    elif case == "unknown_pool":
        usage = pd.read_csv(folder / "usage.csv")
        usage.loc[usage["pool"] == "l4", "pool"] = "a100"
        usage.to_csv(folder / "usage.csv", index=False)
    elif case == "unknown_accelerator":
        work = pd.read_csv(folder / "workloads.csv")
        work.loc[2, "accelerator"] = "TPU"
        work.to_csv(folder / "workloads.csv", index=False)
    elif case == "unknown_policy_key":
        (folder / "policy.yaml").write_text("servce_level: 0.9\n")
    elif case == "bad_timestamp":
        usage = pd.read_csv(folder / "usage.csv")
        usage.loc[5, "timestamp"] = "yesterday"
        usage.to_csv(folder / "usage.csv", index=False)
    code = main(["plan", str(folder), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "h.sqlite")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1  # one line, before any step ran
    assert not (tmp_path / "out").exists()


def test_bad_input_through_the_real_command_has_no_traceback(tmp_path):
    folder = small_inputs(tmp_path / "in")
    (folder / "policy.yaml").write_text("scenarios: [1, 2]\n")
    proc = run_cli("plan", str(folder), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "scenarios" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_infeasible_plan_exits_3_with_its_diagnosis(tmp_path):
    folder = small_inputs(tmp_path / "in")
    work = pd.read_csv(folder / "workloads.csv")
    work.loc[0, "replicas"] = 20  # 160 H100 GPUs must run; 64 on offer plus the headroom
    work.to_csv(folder / "workloads.csv", index=False)
    proc = run_cli("plan", str(folder), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "h.sqlite"))
    assert proc.returncode == 3, proc.stderr
    assert "H100" in proc.stdout and "short" in proc.stdout
    assert "nothing was written" in proc.stderr
    assert not (tmp_path / "out").exists()
    assert HistoryStore(tmp_path / "h.sqlite").runs().empty


@pytest.mark.parametrize("where", ["placement", "report"])
def test_a_crash_leaves_no_output_and_no_history(tmp_path, monkeypatch, where):
    folder = small_inputs(tmp_path / "in")
    db = tmp_path / "h.sqlite"

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # what Ctrl-C (or SIGTERM, through the command line) raises

    if where == "placement":
        import resopt.problems.placement as placement

        monkeypatch.setattr(placement, "place_workloads", boom)
    else:
        monkeypatch.setattr(weekly.WeeklyPlan, "report_html", boom)
    with pytest.raises(KeyboardInterrupt):
        plan_week(folder, out=tmp_path / "out", db=db)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["h.sqlite", "in"] if db.exists() else ["in"])
    assert HistoryStore(db).runs().empty


def test_force_replaces_the_old_output_only_when_the_new_one_is_complete(tmp_path, monkeypatch):
    folder = small_inputs(tmp_path / "in", workloads=False)
    out = tmp_path / "out"
    plan_week(folder, out=out)
    before = (out / "summary.json").read_text()
    monkeypatch.setattr(weekly.WeeklyPlan, "report_html", lambda self: (_ for _ in ()).throw(RuntimeError("x")))
    with pytest.raises(RuntimeError):
        plan_week(folder, out=out, force=True)
    assert (out / "summary.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_history_refuses_a_newer_schema(tmp_path):
    db = tmp_path / "h.sqlite"
    HistoryStore(db).runs()  # nothing yet: no file
    con = sqlite3.connect(db)
    con.executescript(f"CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES "
                      f"({SCHEMA_VERSION + 1});")
    con.close()
    with pytest.raises(InputError, match="schema version 2, written by a newer resopt"):
        HistoryStore(db).runs()
    proc = run_cli("history", "--db", str(db))
    assert proc.returncode == 2 and "newer resopt" in proc.stderr


def test_diff_needs_two_runs(tmp_path):
    proc = run_cli("diff", "--db", str(tmp_path / "h.sqlite"))
    assert proc.returncode == 2 and "a diff needs two" in proc.stderr


def test_policy_defaults_and_checks():
    policy = Policy.from_mapping({})
    assert policy.horizon_hours == 168 and policy.scenarios == 200 and policy.headroom_quantile == 0.9
    assert policy.updated({"seed": 4}).seed == 4
    for bad, match in [({"service_level": 1.5}, "service_level"), ({"scenarios": 2.5}, "whole number"),
                       ({"discounts": {"aws": 1.2}}, "below 1"), ({"forecast_method": "arima"}, "one of"),
                       ({"budget": True}, "must be a number"), ({"headroom_quantile": 1.0}, "< 1")]:
        with pytest.raises(InputError, match=match):
            Policy.from_mapping(bad)


def test_plan_inputs_in_memory_match_the_directory(tmp_path):
    folder = small_inputs(tmp_path / "in")
    inputs = read_plan_inputs(folder)
    memory = resopt.PlanInputs(usage=pd.read_csv(folder / "usage.csv"), pools=pd.read_csv(folder / "pools.csv"),
                               offerings=pd.read_csv(folder / "offerings.csv"),
                               workloads=pd.read_csv(folder / "workloads.csv"), policy={"scenarios": 40, "seed": 3})
    a, b = plan_week(inputs), plan_week(memory)
    assert a.summary["totals"] == b.summary["totals"]
    with pytest.raises(InputError, match="offerings.csv is missing"):
        resopt.PlanInputs(usage=inputs.usage, pools=inputs.pools, workloads=inputs.workloads)


def test_plan_repr_and_report(tmp_path):
    plan = plan_week(small_inputs(tmp_path / "in"))
    text = repr(plan)
    assert text.startswith("WeeklyPlan(") and "expected cost" in text
    html = plan.report_html()
    island = html.split('id="plan-summary">')[1].split("</script>")[0]
    assert json.loads(island)["totals"] == plan.summary["totals"]
    assert "http://" not in html and "https://" not in html


def test_a_misspelt_optional_pool_column_is_named(tmp_path, capsys):
    folder = small_inputs(tmp_path / "in")
    pools = pd.read_csv(folder / "pools.csv").assign(reserve_limt=[5, 5])
    pools.to_csv(folder / "pools.csv", index=False)
    assert main(["plan", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "reserve_limt" in err and "reserve_limit" in err and "pools.csv" in err


def test_messages_name_each_input_file_once(tmp_path):
    folder = small_inputs(tmp_path / "in")
    inputs = read_plan_inputs(folder)
    inputs.workloads.loc[3, "workload"] = None
    with pytest.raises(InputError) as caught:
        plan_week(inputs)
    text = str(caught.value)
    assert "The 'workload' column of workloads.csv must not have missing values" in text
    assert ".csv.csv" not in text
