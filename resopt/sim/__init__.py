"""Scheduling and load-balancing policies: an exact, event-driven simulator.

- :func:`simulate` runs one policy and returns a :class:`ScheduleResult`.
- :func:`compare_policies` runs several and returns one row of metrics per policy.

The policies (``round_robin``, ``least_connections``, ``weighted``, ``fcfs``,
``sjf``, ``srtf``) and their tie rules are documented in :func:`simulate` and
:mod:`resopt.sim.policies`; the metrics in :mod:`resopt.sim.metrics`.
"""

from __future__ import annotations

from .engine import compare_policies, simulate
from .policies import DISPATCH_POLICIES, POLICIES, QUEUE_POLICIES
from .result import ScheduleResult

__all__ = [
    "simulate",
    "compare_policies",
    "ScheduleResult",
    "POLICIES",
    "DISPATCH_POLICIES",
    "QUEUE_POLICIES",
]
