"""The ``resopt`` command line.

Commands: ``resopt assign`` (core assignment from a YAML instance),
``resopt place`` (workloads on cloud offerings), ``resopt reserve`` (reservation
sizing), ``resopt simulate`` (scheduling policies on a task CSV), and the weekly
plan: ``resopt plan``, ``resopt history``, ``resopt diff``; what-if sweeps: ``resopt sweep``.

Each command is a parser block (``_add_<name>``) plus a function taking the
parsed arguments and returning an exit code; the shared pieces are
:func:`output_options` (``--output`` and ``--force``), :func:`prepare_output`
(every check of the output path, before any solving), :func:`show_table`,
:func:`report` and the exit codes in :class:`ExitCode` (listed by ``--help``).
Standard output carries the product's output only; messages go to standard error.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import textwrap
import threading
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import BackendUnavailableError, InputError, ResoptError, UnsupportedProblemError
from .io import check_output_path, read_instance, read_table, write_frame
from .result import Result, Status

__all__ = ["main", "ExitCode", "EXIT_CODES", "output_options", "prepare_output", "report", "show_table"]


class ExitCode(IntEnum):
    """The exit codes of every command (``resopt --help`` lists them)."""

    OK = 0
    INPUT = 2
    INFEASIBLE = 3
    NO_PLAN = 4
    SOLVER = 5
    OUTPUT = 6
    INTERRUPTED = 130
    TERMINATED = 143


#: What each exit code means, as ``--help`` shows it.
EXIT_CODE_HELP = {
    ExitCode.OK: "a plan was found (optimal, or feasible and said so) or the command finished",
    ExitCode.INPUT: "bad input or option: a table, a file that cannot be read, an output path "
                    "that cannot be used (checked before solving), a missing optional package",
    ExitCode.INFEASIBLE: "infeasible: no plan meets the constraints (nothing is written)",
    ExitCode.NO_PLAN: "no plan within the time limit, or unbounded (nothing is written)",
    ExitCode.SOLVER: "the solver failed (nothing is written)",
    ExitCode.OUTPUT: "the plan was found but writing the output failed (e.g. disk full)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); no partial output is left",
    ExitCode.TERMINATED: "terminated (SIGTERM); no partial output is left",
}

#: The exit code of each result status.
EXIT_CODES: dict[Status, int] = {
    Status.OPTIMAL: ExitCode.OK,
    Status.FEASIBLE: ExitCode.OK,
    Status.INFEASIBLE: ExitCode.INFEASIBLE,
    Status.TIME_LIMIT: ExitCode.NO_PLAN,
    Status.UNBOUNDED: ExitCode.NO_PLAN,
    Status.ERROR: ExitCode.SOLVER,
}

#: Rows of a table printed on standard output; the whole table goes to --output.
SHOWN_ROWS = 20


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so every ``finally`` (temporary files) runs."""


class _WriteFailed(Exception):
    """Writing the output failed after the plan was found (exit code 6)."""


# ----------------------------------------------------------------------------- shared helpers


def output_options(parser: argparse.ArgumentParser, what: str) -> None:
    """``--output`` and ``--force``, for any command that writes a table."""
    parser.add_argument("--output", metavar="FILE",
                        help=f"write {what} here (.csv, .json or .parquet; the folder must exist)")
    parser.add_argument("--force", action="store_true",
                        help="replace FILE if it exists (without --force an existing file is never overwritten)")


def solver_options(parser: argparse.ArgumentParser, backend_choices: str, time_limit: float | None,
                   what: str) -> None:
    """The options every solving command shares: --backend, --time-limit, --output, --force.

    ``backend_choices`` is the help text listing the backends (``"auto, exact or highs"``).
    """
    parser.add_argument("--backend", default="auto", help=backend_choices)
    default = "none" if time_limit is None else f"{time_limit:g}"
    parser.add_argument("--time-limit", type=float, default=time_limit, help=f"seconds (default {default})")
    output_options(parser, what)


def prepare_output(args: argparse.Namespace) -> None:
    """Check ``args.output`` before any work, so a run that would fail at the end fails at once."""
    if getattr(args, "output", None):
        check_output_path(args.output, force=args.force)


def show_table(table: pd.DataFrame, output: str | None) -> None:
    """Print a table, or its first :data:`SHOWN_ROWS` rows and how many more there are."""
    if len(table) <= SHOWN_ROWS:
        print(table.to_string())
        return
    print(table.head(SHOWN_ROWS).to_string())
    where = f"all of them are in {output}" if output else "pass --output FILE to get all of them"
    print(f"... {len(table) - SHOWN_ROWS:,} more rows ({len(table):,} in all; {where})")


def write_output(table: pd.DataFrame, output: str | None) -> None:
    """Write the table to ``output`` (already checked) and say so on standard error."""
    if output:
        try:
            path = write_frame(table, output)
        except OSError as exc:
            raise _WriteFailed(f"could not write {output!r}: {exc.strerror or exc}") from None
        print(f"resopt: wrote {len(table):,} rows to {path}", file=sys.stderr)


def report(result: Result, table: pd.DataFrame | None, args: argparse.Namespace) -> int:
    """Print the result and, when it has a plan, the table (all of it goes to ``--output``).

    Without a plan nothing is written, and an existing output file is left as it was.
    """
    print(repr(result))
    output = getattr(args, "output", None)
    if result.success and table is not None:
        print()
        show_table(table, output)
        write_output(table, output)
    elif output:
        kept = " (the existing file was not replaced)" if Path(output).exists() else ""
        print(f"resopt: no plan (status {result.status}), so {output} was not written{kept}.", file=sys.stderr)
    return EXIT_CODES[Status(result.status)]


# ----------------------------------------------------------------------------- assign


def _add_assign(sub: argparse._SubParsersAction) -> None:
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
    solver_options(assign, "auto, exact, highs, cvxpy or pulp", None, "the assignment table")


def _assign(args: argparse.Namespace) -> int:
    from .problems.core_assignment import assign_cores, instance_arguments

    inst = instance_arguments(read_instance(args.instance), repr(args.instance))
    total = args.total if args.total is not None else inst.get("total")
    if total is None:
        raise InputError(f"{args.instance}: no 'total' given (set it in the file or pass --total).")
    integer = args.integer if args.integer is not None else inst.get("integer", True)
    result = assign_cores(inst["devices"], total, integer=integer, backend=args.backend, time_limit=args.time_limit)
    return report(result, result.to_frame(), args)


# ----------------------------------------------------------------------------- place


def _add_place(sub: argparse._SubParsersAction) -> None:
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
    solver_options(place, "auto, highs, cvxpy, pulp or heuristic", 60.0, "the assignments")


def _place(args: argparse.Namespace) -> int:
    from .problems.placement import place_workloads

    result = place_workloads(
        read_table(args.workloads, "workloads"),
        read_table(args.offerings, "offerings"),
        egress=read_table(args.egress, "egress") if args.egress else None,
        budget=args.budget,
        max_cloud_share=args.max_cloud_share,
        carbon_price=args.carbon_price,
        backend=args.backend,
        time_limit=args.time_limit,
        mip_gap=args.mip_gap,
    )
    code = report(result, result.assignments, args)
    if result.success:
        print()
        print(result.by_cloud().to_string())
    elif result.diagnosis:
        print(f"\ndiagnosis: {result.diagnosis}")
    return code


# ----------------------------------------------------------------------------- reserve


def _add_reserve(sub: argparse._SubParsersAction) -> None:
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
    solver_options(reserve, "auto, exact, highs, cvxpy or pulp", None, "the reservations table")


def _reserve(args: argparse.Namespace) -> int:
    from .problems.reservation import size_reservations

    result = size_reservations(
        read_table(args.demand, "demand"),
        read_table(args.prices, "prices"),
        service_level=args.service_level,
        safety_margin=args.safety_margin,
        integer=args.integer,
        backend=args.backend,
        time_limit=args.time_limit,
    )
    return report(result, result.reservations, args)


# ----------------------------------------------------------------------------- simulate


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser(
        "simulate",
        help="run scheduling / load-balancing policies on a task table",
        description="Simulate a policy on tasks (CSV with task, arrival, duration, and optionally "
        "importance and urgency, or priority); --policy all compares every policy that applies.",
    )
    sim.add_argument("tasks", help="CSV file with columns task, arrival, duration (+ importance, urgency)")
    sim.add_argument("--machines", default="1",
                     help="a count (3), comma-separated speeds (2,1,1), or a CSV with a 'speed' column; "
                          "the same values simulate(tasks, machines) accepts")
    sim.add_argument("--policy", default="fcfs",
                     help="round_robin, least_connections, weighted, fcfs, sjf, srtf, priority, "
                          "priority_preemptive, or all")
    sim.add_argument("--priority-weight", type=float, default=1.0,
                     help="w in priority = w x (importance + urgency) (default 1)")
    sim.add_argument("--aging", type=float, default=0.0,
                     help="priority gained per unit of waiting time (default 0)")
    output_options(sim, "the schedule (or the comparison)")


_INTEGER = re.compile(r"[+-]?\d+")


def machines_argument(spec: str) -> int | float | list[float]:
    """``--machines`` as the value the API takes: the CLI does not reinterpret it.

    ``3`` is the count 3, ``2.5`` the count 2.5 (which :func:`resopt.simulate`
    refuses, as it does in Python), ``2,1,1`` three speeds, ``m.csv`` the speeds
    in its ``speed`` column.

    Examples
    --------
    >>> machines_argument("3"), machines_argument("2.5"), machines_argument("2,1,1")
    (3, 2.5, [2.0, 1.0, 1.0])
    """
    spec = spec.strip()
    if spec.lower().endswith(".csv"):
        table = read_table(spec, "machines")
        if "speed" not in table.columns:
            raise InputError(f"The machines file {spec!r} needs a 'speed' column. Got {list(table.columns)}.")
        return table["speed"].tolist()
    try:
        if "," in spec:
            return [float(v) for v in spec.split(",")]
        return int(spec) if _INTEGER.fullmatch(spec) else float(spec)
    except ValueError:
        raise InputError(f"--machines must be a count, comma-separated speeds or a CSV file. Got {spec!r}.") from None


def _simulate(args: argparse.Namespace) -> int:
    from .sim import compare_policies, simulate

    tasks = read_table(args.tasks, "tasks")
    machines = machines_argument(args.machines)
    options = {"priority_weight": args.priority_weight, "aging": args.aging}
    if args.policy == "all":
        table = compare_policies(tasks, machines, **options)
    else:
        result = simulate(tasks, machines, policy=args.policy, **options)
        print(repr(result))
        print()
        table = result.schedule
    show_table(table, args.output)
    write_output(table, args.output)
    return ExitCode.OK


# ----------------------------------------------------------------------------- plan, history, diff


def _add_plan(sub: argparse._SubParsersAction) -> None:
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


def _add_history(sub: argparse._SubParsersAction) -> None:
    history = sub.add_parser("history", help="list the recorded weekly plans",
                             description="List the runs recorded in the history database.")
    _db_option(history)
    history.add_argument("--json", action="store_true", help="print the runs as JSON")


def _add_diff(sub: argparse._SubParsersAction) -> None:
    diff = sub.add_parser("diff", help="what changed between two recorded plans",
                          description="Per-pool reservation changes, cost changes by cloud and mode, and "
                          "workloads that moved cloud or region, between RUN_A and RUN_B (default: the last two).")
    diff.add_argument("run_a", nargs="?", help="the earlier run id (default: the second to last)")
    diff.add_argument("run_b", nargs="?", help="the later run id (default: the last)")
    _db_option(diff)
    diff.add_argument("--json", action="store_true", help="print the diff as JSON")


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="history database (default: $RESOPT_DB, else ./resopt-history.sqlite)")


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


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser(
        "sweep", help="what-if sweep: the weekly plan for every combination of a grid of settings",
        description="Run the weekly plan for every combination of the settings in --grid (a YAML mapping of "
        "setting to values: any policy key, discounts.CLOUD, price_multiplier.cloud.CLOUD, "
        "price_multiplier.accelerator.NAME, demand_growth); write sweep.csv and frontier.png to --out.")
    source = sweep.add_mutually_exclusive_group(required=True)
    source.add_argument("inputs", nargs="?", help="the input directory")
    source.add_argument("--example", action="store_true", help="sweep the example bundled with resopt")
    sweep.add_argument("--grid", required=True, help="YAML file: setting -> list of values")
    sweep.add_argument("--out", required=True, help="output directory (written atomically)")
    sweep.add_argument("--force", action="store_true", help="replace a non-empty --out")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="run on a local Dask cluster of N worker processes")
    where.add_argument("--scheduler", help="run on the Dask cluster at this scheduler address")
    sweep.add_argument("--x", help="frontier plot: the setting on the x axis (default: the first that varies)")
    sweep.add_argument("--by", help="frontier plot: one line per value of this setting (default: the second)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def _sweep(args: argparse.Namespace) -> int:
    from .examples import weekly_example
    from .planning.inputs import read_plan_inputs
    from .planning.outputs import prepare_output_dir
    from .planning.sweep import check_axes, dask_client, flatten_grid, read_grid, sweep

    prepare_output_dir(args.out, force=args.force)  # refuse bad options before any work
    grid = read_grid(args.grid)
    check_axes(list(flatten_grid(grid)), x=args.x, by=args.by)
    inputs = read_plan_inputs(weekly_example() if args.example else args.inputs)
    with dask_client(workers=args.workers, scheduler=args.scheduler) as client:
        result = sweep(inputs, grid, client=client, progress=not args.quiet)
    try:
        result.write(args.out, force=args.force, x=args.x, by=args.by)
    except OSError as exc:
        raise _WriteFailed(f"could not write {args.out!r}: {exc.strerror or exc}") from None
    shown = [*result.settings, "status", "total_cost", "savings", "new_reserved_units", "error"]
    show_table(result.table[shown].round(2), str(Path(args.out) / "sweep.csv"))
    if len(result.failed):
        print(f"resopt sweep: {len(result.failed)} of {len(result.table)} combinations failed (see 'error')",
              file=sys.stderr)
    if not args.quiet:
        print(f"resopt sweep: wrote {args.out} ({result.backend}, {result.runtime_s:.1f} s)", file=sys.stderr)
    return ExitCode.OK


# ----------------------------------------------------------------------------- main

#: Each command: (parser block, function). A new command adds one entry.
COMMANDS: dict[str, tuple[Callable[[argparse._SubParsersAction], None], Callable[[argparse.Namespace], int]]] = {
    "assign": (_add_assign, _assign),
    "place": (_add_place, _place),
    "reserve": (_add_reserve, _reserve),
    "simulate": (_add_simulate, _simulate),
    "plan": (_add_plan, _plan),
    "history": (_add_history, _history),
    "diff": (_add_diff, _diff),
    "sweep": (_add_sweep, _sweep),
}


def _epilog() -> str:
    lines = [textwrap.fill(text, 79, initial_indent=f"  {int(code):>3}  ", subsequent_indent=" " * 7)
             for code, text in EXIT_CODE_HELP.items()]
    return "exit codes:\n" + "\n".join(lines) + "\n\nStandard output carries the results only; messages go to stderr."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resopt", description="Optimization for compute planning.", epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"resopt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    for command in sub.choices.values():
        command.epilog = _epilog()
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _error(message: object, code: int) -> int:
    """One line on standard error."""
    text = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    print(f"resopt: error: {text}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see :class:`ExitCode`)."""
    args = _parser().parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():  # handlers can only be set there
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        prepare_output(args)
        return COMMANDS[args.command][1](args)
    except (InputError, UnsupportedProblemError, BackendUnavailableError) as exc:
        return _error(exc, ExitCode.INPUT)
    except ResoptError as exc:
        return _error(exc, ExitCode.SOLVER)
    except _WriteFailed as exc:
        return _error(exc, ExitCode.OUTPUT)
    except BrokenPipeError:  # e.g. `resopt ... | head`: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return ExitCode.OK
    except KeyboardInterrupt:
        print("\nresopt: interrupted; no partial output is left.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Terminated:
        print("resopt: terminated; no partial output is left.", file=sys.stderr)
        return ExitCode.TERMINATED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
