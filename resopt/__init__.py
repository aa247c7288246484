"""resopt: mathematical optimization for compute planning.

One function per problem, each returning a :class:`Result`:

- :func:`assign_cores` — split cores across devices (quadratic deviation cost).
- :func:`place_workloads` — place workloads on priced cloud offerings (MILP).
- :func:`size_reservations` — how much capacity to reserve ahead.
- :func:`simulate`, :func:`compare_policies` — scheduling and load-balancing policies (:class:`Elastic` fleets).
- :func:`forecast_demand` — probabilistic hourly demand scenarios per pool.
- :func:`plan_week` — the weekly capacity plan: forecast, reserve, place, summarize.
- :func:`sweep` — what-if sweeps: the weekly plan over a grid of settings, on Dask if asked.

Problem modules are imported on first use, so ``import resopt`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import (
    BackendUnavailableError,
    InfeasibleError,
    InputError,
    ResoptError,
    SolverError,
    UnsupportedProblemError,
)
from .result import Result, Status

__version__ = "0.1.0"

_LAZY = {
    "assign_cores": "resopt.problems.core_assignment",
    "CoreAssignmentResult": "resopt.problems.core_assignment",
    "place_workloads": "resopt.problems.placement",
    "PlacementResult": "resopt.problems.placement",
    "size_reservations": "resopt.problems.reservation",
    "ReservationResult": "resopt.problems.reservation",
    "simulate": "resopt.sim",
    "compare_policies": "resopt.sim",
    "ScheduleResult": "resopt.sim",
    "Elastic": "resopt.sim",
    "forecast_demand": "resopt.planning",
    "ForecastResult": "resopt.planning",
    "plan_week": "resopt.planning.weekly",
    "WeeklyPlan": "resopt.planning.weekly",
    "PlanInputs": "resopt.planning.inputs",
    "Policy": "resopt.planning.inputs",
    "sweep": "resopt.planning.sweep",
    "SweepResult": "resopt.planning.sweep",
}

__all__ = [
    "Result",
    "Status",
    "ResoptError",
    "InputError",
    "BackendUnavailableError",
    "UnsupportedProblemError",
    "SolverError",
    "InfeasibleError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'resopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
