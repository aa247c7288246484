"""The weekly plan end to end: the bundled example, and 50 pools with 5,000 workloads.

Each case runs ``resopt.plan_week`` (forecast, reservations, placement, summary, outputs,
history) in this process and prints the median wall time of each step over the runs.

    python3 benchmarks/plan.py            # both cases, 3 runs each
    python3 benchmarks/plan.py --runs 1 --cases example

Goals: the example in at most 10 s; 50 pools x 5,000 workloads x 8 weeks in at most 2 minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import resopt
from resopt.examples import weekly_example, write_weekly_inputs

STEPS = ("forecast", "reservations", "placement", "outputs")


def run_case(source: Path, runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {step: [] for step in (*STEPS, "total")}
    last = None
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            seen: dict[str, float] = {}
            start = time.perf_counter()
            last = resopt.plan_week(source, out=Path(tmp) / "plan", db=Path(tmp) / "h.sqlite",
                                    progress=lambda step, seconds: seen.__setitem__(step, seconds))
            times["total"].append(time.perf_counter() - start)
            for step in STEPS:
                times[step].append(seen.get(step, 0.0))
    medians = {step: statistics.median(values) for step, values in times.items()}
    medians["status"] = str(last.status)  # type: ignore[union-attr]
    medians["gap"] = (last.summary["placement"] or {}).get("gap")  # type: ignore[union-attr]
    medians["backend"] = (last.summary["placement"] or {}).get("backend")  # type: ignore[union-attr]
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default="example,large", help="example, large or both (comma-separated)")
    args = parser.parse_args()
    print(f"load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    header = f"{'case':<34}" + "".join(f"{s:>13}" for s in (*STEPS, "total")) + "  status (placement gap, backend)"
    print(header)
    for case in args.cases.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            if case == "example":
                source, label = weekly_example(), "bundled example (12 pools, 32 wl)"
            else:
                source = write_weekly_inputs(Path(tmp) / "inputs", pools=50, workloads=5000, weeks=8)
                label = "50 pools, 5,000 workloads, 8 weeks"
            m = run_case(source, args.runs)
        cells = "".join(f"{m[s]:>12.2f}s" for s in (*STEPS, "total"))
        print(f"{label:<34}{cells}  {m['status']} ({m['gap']}, {m['backend']})")
    print(f"load average at end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
