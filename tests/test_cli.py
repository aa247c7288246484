"""The command line: exit codes, output files, and error messages instead of tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from resopt.cli import main

EXAMPLE = str(Path(__file__).parents[1] / "models" / "core_assignment" / "worked_example.yaml")


def test_assign_prints_the_plan_and_writes_the_table(tmp_path, capsys):
    out = tmp_path / "plan.csv"
    assert main(["assign", EXAMPLE, "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "status: optimal" in text and "dev-a" in text
    table = pd.read_csv(out)
    assert table.columns[0] == "device" and table["device"].tolist() == ["dev-a", "dev-b"]
    assert table["assigned"].tolist() == [3.0, 2.0]


def test_infeasible_total_exits_3_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "plan.csv"
    assert main(["assign", EXAMPLE, "--total", "9", "--output", str(out)]) == 3
    assert "exceeds the total capacity 6 by 3" in capsys.readouterr().out
    assert not out.exists()


def test_bad_input_exits_2_with_a_message(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("total: 3\ndevices:\n  - {device: a, capacity: -1, demand: 1}\n")
    assert main(["assign", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "'capacity' column of devices must be non-negative. Got -1 at row 'a'" in err
    assert main(["assign", str(tmp_path / "missing.yaml")]) == 2
    assert main(["assign", EXAMPLE, "--continuous", "--backend", "pulp"]) == 2


def test_continuous_flag(capsys):
    assert main(["assign", EXAMPLE, "--continuous", "--backend", "highs"]) == 0
    assert "(continuous)" in capsys.readouterr().out


def test_console_script_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "resopt.cli", "assign", EXAMPLE], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "objective: 5" in proc.stdout


SCHED = Path(__file__).parents[1] / "models" / "scheduling"


def test_simulate_compares_all_policies_and_writes_the_table(tmp_path, capsys):
    out = tmp_path / "compare.csv"
    code = main(["simulate", str(SCHED / "tasks.csv"), "--machines", str(SCHED / "machines.csv"),
                 "--policy", "all", "--output", str(out)])
    assert code == 0
    table = pd.read_csv(out, index_col="policy")
    assert list(table.index) == ["round_robin", "least_connections", "weighted", "fcfs", "sjf", "srtf"]
    assert table.loc["round_robin", "mean_waiting"] == 0.8
    assert table["makespan"].eq(31).all()


def test_simulate_one_policy_with_speeds(capsys):
    assert main(["simulate", str(SCHED / "tasks.csv"), "--machines", "2,1,1", "--policy", "srtf"]) == 0
    assert "policy='srtf'" in capsys.readouterr().out


def test_simulate_bad_input_exits_2(tmp_path, capsys):
    assert main(["simulate", str(SCHED / "tasks.csv"), "--policy", "lottery"]) == 2
    assert "Known policies: round_robin" in capsys.readouterr().err
    assert main(["simulate", str(SCHED / "tasks.csv"), "--machines", "three"]) == 2
    assert main(["simulate", str(tmp_path / "none.csv")]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("task,arrival,duration\na,0,-1\n")
    assert main(["simulate", str(bad)]) == 2
    assert "'duration' column of tasks must be positive. Got -1" in capsys.readouterr().err


PLACE = Path(__file__).parents[1] / "models" / "placement"
RESERVE = Path(__file__).parents[1] / "models" / "reservation"


def test_place_writes_assignments_and_prints_clouds(tmp_path, capsys):
    out = tmp_path / "plan.csv"
    code = main(["place", str(PLACE / "workloads.csv"), str(PLACE / "catalog.csv"), "--carbon-price", "50",
                 "--output", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "status: optimal" in text and "share" in text
    plan = pd.read_csv(out)
    assert not any(c.startswith("Unnamed") for c in plan.columns)
    workloads = pd.read_csv(PLACE / "workloads.csv")
    assert set(plan["workload"]) <= set(workloads["workload"])
    assert plan["cost"].sum() == pytest.approx(47312.56, abs=0.01)  # the README's optimum


def test_place_infeasible_budget_exits_3_with_a_diagnosis(tmp_path, capsys):
    out = tmp_path / "plan.csv"
    code = main(["place", str(PLACE / "workloads.csv"), str(PLACE / "catalog.csv"), "--budget", "1",
                 "--output", str(out)])
    assert code == 3
    assert "diagnosis:" in capsys.readouterr().out
    assert not out.exists()


def test_place_bad_input_exits_2(tmp_path, capsys):
    bad = tmp_path / "w.csv"
    bad.write_text("workload,gpus,hours,accelerator\nw1,-8,10,H100\n")
    assert main(["place", str(bad), str(PLACE / "catalog.csv")]) == 2
    assert "'gpus' column of workloads" in capsys.readouterr().err


def test_reserve_writes_the_reservations(tmp_path, capsys):
    out = tmp_path / "reserve.csv"
    code = main(["reserve", str(RESERVE / "limits_demand.csv"), str(RESERVE / "limits_prices.csv"),
                 "--service-level", "0.8", "--safety-margin", "0.25", "--output", str(out)])
    assert code == 0
    table = pd.read_csv(out)
    assert table.set_index("pool")["reserve"].to_dict() == {"h100-us-east": 23, "l4-us-central": 15, "tpu-v5e-eu": 8}


def test_reserve_bad_input_exits_2(capsys):
    assert main(["reserve", str(RESERVE / "limits_demand.csv"), str(RESERVE / "limits_prices.csv"),
                 "--service-level", "1.5"]) == 2
    assert "service_level" in capsys.readouterr().err


def test_simulate_passes_the_priority_options_through(capsys):
    import resopt

    tasks = str(Path(__file__).parents[1] / "models" / "scheduling" / "tasks_priority.csv")
    assert main(["simulate", tasks, "--machines", "2", "--policy", "priority", "--aging", "0.5",
                 "--priority-weight", "2"]) == 0
    text = capsys.readouterr().out
    expected = resopt.simulate(pd.read_csv(tasks), 2, policy="priority", aging=0.5, priority_weight=2)
    assert f"mean_waiting: {expected.metrics['mean_waiting']:g}" in text
