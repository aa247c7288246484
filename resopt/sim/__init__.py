"""Scheduling and load-balancing policies: an exact, event-driven simulator.

- :func:`simulate` runs one policy and returns a :class:`ScheduleResult`.
- :func:`compare_policies` runs several and returns one row of metrics per policy.
- :class:`Elastic` describes an autoscaled fleet, passed as ``machines``.

The policies (``round_robin``, ``least_connections``, ``weighted``, ``fcfs``,
``sjf``, ``srtf``, ``priority``, ``priority_preemptive``) and their tie rules are documented in :func:`simulate` and
:mod:`resopt.sim.policies`; the metrics in :mod:`resopt.sim.metrics`.
"""

from __future__ import annotations

from .elastic import Elastic
from .engine import ELASTIC_POLICIES, compare_policies, simulate
from .policies import DISPATCH_POLICIES, POLICIES, PRIORITY_POLICIES, QUEUE_POLICIES
from .result import ScheduleResult

__all__ = [
    "simulate",
    "compare_policies",
    "ScheduleResult",
    "Elastic",
    "POLICIES",
    "PRIORITY_POLICIES",
    "ELASTIC_POLICIES",
    "DISPATCH_POLICIES",
    "QUEUE_POLICIES",
]
