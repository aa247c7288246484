"""Bundled example data, installed with the package (no network, any directory).

- :func:`weekly_example` — the directory of the weekly-plan example that
  ``resopt plan --example`` runs: twelve GPU pools on four clouds with eight weeks of
  hourly usage, a catalog of public list prices and next week's workloads.
- :func:`write_weekly_inputs` — writes a weekly-plan input directory of any size
  (the bundled example is ``write_weekly_inputs(dir)`` with its defaults; the plan
  benchmark uses it for 50 pools and 5,000 workloads).
"""

from __future__ import annotations

from .weekly_inputs import weekly_example, write_weekly_inputs

__all__ = ["weekly_example", "write_weekly_inputs"]
