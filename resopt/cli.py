"""The ``resopt`` command line.

Commands: ``resopt assign`` (core assignment from a YAML instance),
``resopt place`` (workloads on cloud offerings), ``resopt reserve`` (reservation
sizing) and ``resopt simulate`` (scheduling policies on a task CSV).

Exit codes: 0 a plan was found (optimal, or feasible and said so), 2 bad input,
3 infeasible, 4 no plan within the time limit or unbounded, 5 solver error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import pandas as pd

from .errors import BackendUnavailableError, InputError, ResoptError, UnsupportedProblemError
from .io import read_instance, write_frame
from .result import Result, Status

__all__ = ["main"]

EXIT_CODES = {
    Status.OPTIMAL: 0,
    Status.FEASIBLE: 0,
    Status.INFEASIBLE: 3,
    Status.TIME_LIMIT: 4,
    Status.UNBOUNDED: 4,
    Status.ERROR: 5,
}


def _solver_options(parser: argparse.ArgumentParser, backends: str, time_limit: float | None, table: str) -> None:
    """The options every solving command shares: --backend, --time-limit, --output."""
    parser.add_argument("--backend", default="auto", help=backends)
    default = "none" if time_limit is None else f"{time_limit:g}"
    parser.add_argument("--time-limit", type=float, default=time_limit, help=f"seconds (default {default})")
    parser.add_argument("--output", help=f"write {table} here (.csv or .parquet)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resopt", description="Optimization for compute planning.")
    sub = parser.add_subparsers(dest="command", required=True)
    assign = sub.add_parser(
        "assign",
        help="split cores across devices (quadratic deviation cost)",
        description="Solve a core-assignment instance from a YAML file (see models/core_assignment/).",
    )
    assign.add_argument("instance", help="YAML file with 'devices', 'total' and optionally 'integer'")
    assign.add_argument("--total", type=float, help="override the instance's total")
    group = assign.add_mutually_exclusive_group()
    group.add_argument("--integer", dest="integer", action="store_true", default=None, help="whole cores")
    group.add_argument("--continuous", dest="integer", action="store_false", help="fractional cores")
    _solver_options(assign, "auto, exact, highs, cvxpy or pulp", None, "the assignment table")
    place = sub.add_parser(
        "place",
        help="place workloads on priced cloud offerings (MILP or heuristic)",
        description="Place workloads (CSV) on offerings (CSV, a GPU price catalog with capacities).",
    )
    place.add_argument("workloads", help="CSV: workload, gpus, hours, accelerator, ...")
    place.add_argument("offerings", help="CSV: cloud, region, instance_type, accelerator, accelerator_count, ...")
    place.add_argument("--egress", help="CSV of egress rates (src_cloud, dst_cloud, usd_per_gb, ...)")
    place.add_argument("--budget", type=float, help="most the plan may spend (USD)")
    place.add_argument("--max-cloud-share", type=float, help="most any one cloud's share of the spend (0..1)")
    place.add_argument("--carbon-price", type=float, default=0.0, help="USD per tonne of CO2")
    place.add_argument("--mip-gap", type=float, default=1e-3, help="relative MIP gap (default 1e-3)")
    _solver_options(place, "auto, highs, cvxpy, pulp or heuristic", 60.0, "the assignments")
    reserve = sub.add_parser(
        "reserve",
        help="size reservations per pool against on-demand and spot",
        description="Size reservations from demand scenarios (CSV) and prices per pool (CSV).",
    )
    reserve.add_argument("demand", help="CSV: pool, hour, demand, optional scenario")
    reserve.add_argument("prices", help="CSV: pool, reserved, on_demand, optional spot, limits, existing, ...")
    reserve.add_argument("--service-level", type=float, help="share of scenario-hours reserved capacity covers")
    reserve.add_argument("--safety-margin", type=float, default=0.0, help="relative head-room (default 0)")
    reserve.add_argument("--continuous", dest="integer", action="store_false", help="fractional units")
    _solver_options(reserve, "auto, exact, highs, cvxpy or pulp", None, "the reservations table")
    sim = sub.add_parser(
        "simulate",
        help="run scheduling / load-balancing policies on a task table",
        description="Simulate a policy on tasks (CSV with task, arrival, duration); "
        "--policy all compares the six policies.",
    )
    sim.add_argument("tasks", help="CSV file with columns task, arrival, duration")
    sim.add_argument("--machines", default="1",
                     help="a count (3), comma-separated speeds (2,1,1), or a CSV with a 'speed' column")
    sim.add_argument("--policy", default="fcfs",
                     help="round_robin, least_connections, weighted, fcfs, sjf, srtf, or all")
    sim.add_argument("--output", help="write the schedule (or the comparison) here (.csv or .parquet)")
    _plan_parsers(sub)
    return parser


def _plan_parsers(sub: argparse._SubParsersAction) -> None:
    """``resopt plan``, ``resopt history`` and ``resopt diff``."""
    plan = sub.add_parser(
        "plan",
        help="the weekly capacity plan: forecast, reserve, place, report, record",
        description="Plan next week from a directory of inputs (usage.csv, pools.csv, and optionally "
        "offerings.csv, workloads.csv, egress.csv, policy.yaml); write forecast.csv, reservations.csv, "
        "placement.csv, summary.json and report.html to --out; record the run in the history database.",
    )
    source = plan.add_mutually_exclusive_group(required=True)
    source.add_argument("inputs", nargs="?", help="the input directory")
    source.add_argument("--example", action="store_true", help="plan the example bundled with resopt")
    plan.add_argument("--out", required=True, help="output directory (written atomically)")
    plan.add_argument("--force", action="store_true", help="replace a non-empty --out")
    _db_option(plan)
    plan.add_argument("--json", action="store_true", help="print the summary as JSON (and nothing else)")
    plan.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    history = sub.add_parser("history", help="list the recorded weekly plans",
                             description="List the runs recorded in the history database.")
    _db_option(history)
    history.add_argument("--json", action="store_true", help="print the runs as JSON")
    diff = sub.add_parser("diff", help="what changed between two recorded plans",
                          description="Per-pool reservation changes, cost changes by cloud and mode, and "
                          "workloads that moved cloud or region, between RUN_A and RUN_B (default: the last two).")
    diff.add_argument("run_a", nargs="?", help="the earlier run id (default: the second to last)")
    diff.add_argument("run_b", nargs="?", help="the later run id (default: the last)")
    _db_option(diff)
    diff.add_argument("--json", action="store_true", help="print the diff as JSON")


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="history database (default: $RESOPT_DB, else ./resopt-history.sqlite)")


def _read_csv(path: str, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise InputError(f"The {what} file {path!r} does not exist.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"The {what} file {path!r} could not be read as CSV: {exc}") from None


def _machines(spec: str) -> int | list[float]:
    if spec.endswith(".csv"):
        table = _read_csv(spec, "machines")
        if "speed" not in table.columns:
            raise InputError(f"The machines file {spec!r} needs a 'speed' column. Got {list(table.columns)}.")
        return table["speed"].tolist()
    try:
        values = [float(v) for v in spec.split(",")]
    except ValueError:
        raise InputError(f"--machines must be a count, comma-separated speeds or a CSV file. Got {spec!r}.") from None
    if len(values) == 1 and values[0].is_integer():
        return int(values[0])
    return values


def _place(args: argparse.Namespace) -> int:
    from .problems.placement import place_workloads

    result = place_workloads(
        _read_csv(args.workloads, "workloads"),
        _read_csv(args.offerings, "offerings"),
        egress=_read_csv(args.egress, "egress") if args.egress else None,
        budget=args.budget,
        max_cloud_share=args.max_cloud_share,
        carbon_price=args.carbon_price,
        backend=args.backend,
        time_limit=args.time_limit,
        mip_gap=args.mip_gap,
    )
    code = _report(result, result.assignments, args.output)
    if result.success:
        print()
        print(result.by_cloud().to_string())
    elif result.diagnosis:
        print(f"\ndiagnosis: {result.diagnosis}")
    return code


def _reserve(args: argparse.Namespace) -> int:
    from .problems.reservation import size_reservations

    result = size_reservations(
        _read_csv(args.demand, "demand"),
        _read_csv(args.prices, "prices"),
        service_level=args.service_level,
        safety_margin=args.safety_margin,
        integer=args.integer,
        backend=args.backend,
        time_limit=args.time_limit,
    )
    return _report(result, result.reservations, args.output)


def _simulate(args: argparse.Namespace) -> int:
    from .sim import compare_policies, simulate

    tasks = _read_csv(args.tasks, "tasks")
    machines = _machines(args.machines)
    if args.policy == "all":
        table = compare_policies(tasks, machines)
        print(table.to_string())
    else:
        result = simulate(tasks, machines, policy=args.policy)
        print(repr(result))
        print()
        table = result.schedule
        print(table.to_string())
    if args.output:
        print(f"\nwrote {write_frame(table, args.output)}")
    return 0


def _report(result: Result, table: pd.DataFrame, output: str | None) -> int:
    """Print the result and, when it has a plan, the table (also written to ``output``)."""
    print(repr(result))
    if result.success:
        print()
        print(table.to_string())
        if output:
            path = write_frame(table, output)
            print(f"\nwrote {path}")
    return EXIT_CODES[Status(result.status)]


def _assign(args: argparse.Namespace) -> int:
    from .problems.core_assignment import assign_cores, instance_arguments

    inst = instance_arguments(read_instance(args.instance), repr(args.instance))
    total = args.total if args.total is not None else inst.get("total")
    if total is None:
        raise InputError(f"{args.instance}: no 'total' given (set it in the file or pass --total).")
    integer = args.integer if args.integer is not None else inst.get("integer", True)
    result = assign_cores(inst["devices"], total, integer=integer, backend=args.backend, time_limit=args.time_limit)
    return _report(result, result.to_frame(), args.output)


def _plan(args: argparse.Namespace) -> int:
    import json

    from .examples import weekly_example
    from .planning.history import default_db_path
    from .planning.weekly import plan_week

    def progress(step: str, seconds: float) -> None:
        if not args.quiet:
            print(f"resopt plan: {step} done ({seconds:.1f} s)", file=sys.stderr, flush=True)

    source = weekly_example() if args.example else args.inputs
    plan = plan_week(source, out=args.out, db=args.db or default_db_path(), force=args.force, progress=progress)
    if args.json:
        print(json.dumps(plan.summary, indent=2))
    else:
        print(_plan_text(plan.summary))
    if not plan.success:
        print(f"resopt plan: no plan ({plan.status}); nothing was written to {args.out!r} and no run was recorded.",
              file=sys.stderr)
    elif not args.quiet:
        print(f"resopt plan: wrote {args.out} and recorded run {plan.run_id}", file=sys.stderr)
    return EXIT_CODES[plan.status]


def _plan_text(s: dict) -> str:
    """The plan summary as a few readable tables."""
    t = s["totals"]
    lines = [
        f"run {s['run_id']}: {s['status']}",
        f"expected cost {t['expected_cost']:,.2f} USD; all on demand {t['all_on_demand_cost']:,.2f} USD; "
        f"savings {t['savings']:,.2f} USD ({t['savings_pct']:.1f}%)",
        "",
        pd.DataFrame(s["pools"])[["pool", "reserve", "total_reserved", "binding", "expected_cost", "coverage",
                                  "reserved_utilization", "headroom_gpus"]].round(3).to_string(index=False),
    ]
    if s["by_cloud_mode"]:
        costs = pd.DataFrame(s["by_cloud_mode"]).pivot_table(index="cloud", columns="mode", values="cost",
                                                             aggfunc="sum", fill_value=0.0)
        lines += ["", costs.round(2).to_string()]
    if s["placement"]:
        p = s["placement"]
        lines += ["", f"placement: {p['status']}, {p['replicas_placed']} replicas placed, "
                      f"{p['replicas_unplaced']} unplaced"]
        lines += [f"  {reason}" for reason in p["diagnosis"]]
    lines += [f"warning: {w}" for w in s["warnings"]]
    return "\n".join(lines)


def _history(args: argparse.Namespace) -> int:
    from .planning.history import HistoryStore

    runs = HistoryStore(args.db).runs()
    if args.json:
        print(runs.to_json(orient="records", indent=2))
    elif len(runs):
        print(runs.round(2).to_string(index=False))
    else:
        print("no runs recorded", file=sys.stderr)
    return 0


def _diff(args: argparse.Namespace) -> int:
    import json

    from .planning.history import HistoryStore

    diff = HistoryStore(args.db).diff(args.run_a, args.run_b)
    print(json.dumps(diff.to_dict(), indent=2) if args.json else str(diff))
    return 0


COMMANDS = {"assign": _assign, "place": _place, "reserve": _reserve, "simulate": _simulate, "plan": _plan,
            "history": _history, "diff": _diff}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (InputError, UnsupportedProblemError, BackendUnavailableError) as exc:
        print(f"resopt: error: {exc}", file=sys.stderr)
        return 2
    except ResoptError as exc:
        print(f"resopt: error: {exc}", file=sys.stderr)
        return 5
    except BrokenPipeError:  # e.g. `resopt ... | head`: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
