"""The plan report: how long the bundled example's report takes to build, and its size.

Plans the bundled example once, then builds ``plan.report_html()`` several times in this
process and prints the median wall and CPU time (all of it, and the 24 per-pool figures
alone; the first build, which also imports matplotlib, separately),
the page's size and its number of inline figures. On a shared machine the CPU time is
the steadier figure: the wall time grows with the load average, printed with the result.

    python3 benchmarks/report.py            # 5 builds
    python3 benchmarks/report.py --runs 9

Goals: the example's report builds in at most 3 s; the page stays under 2 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import resopt
from resopt import report
from resopt.examples import weekly_example


def timed(call) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    plan = resopt.plan_week(weekly_example())
    first = timed(plan.report_html)  # the first build also imports matplotlib and loads its fonts
    builds = [timed(plan.report_html) for _ in range(args.runs)]
    def pool_figures() -> list:
        sketchbook = report.Sketchbook()
        return [report._pool_section(plan, i, p, sketchbook) for i, p in enumerate(plan.summary["pools"])]

    figures = [timed(pool_figures) for _ in range(args.runs)]
    html = builds[-1][2]
    assert isinstance(html, str)
    size = len(html.encode())
    count = html.count('role="img"')
    wall = statistics.median(b[0] for b in builds)
    cpu = statistics.median(b[1] for b in builds)
    pool_wall = statistics.median(f[0] for f in figures)
    pool_cpu = statistics.median(f[1] for f in figures)
    print(f"load average at start: {load}; at end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'what':<44}{'wall (s)':>10}{'cpu (s)':>10}")
    print(f"{'first report_html() in the process':<44}{first[0]:>10.2f}{first[1]:>10.2f}")
    print(f"{'report_html(), bundled example (median)':<44}{wall:>10.2f}{cpu:>10.2f}")
    print(f"{'  of which the 24 per-pool figures':<44}{pool_wall:>10.2f}{pool_cpu:>10.2f}")
    print(f"page: {size:,} bytes ({size / 1e6:.2f} MB), {count} inline SVG figures, {args.runs} builds")
    print(f"goals: build <= 3 s: {'met' if wall <= 3 else 'NOT met'} (wall), "
          f"{'met' if cpu <= 3 else 'NOT met'} (cpu); size < 2 MB: {'met' if size < 2e6 else 'NOT met'}")


if __name__ == "__main__":
    main()
