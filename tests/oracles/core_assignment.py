"""Independent checks for core assignment: the objective written out, brute force, feasibility.

A plain re-statement of the model (it shares no code with
``resopt.problems.core_assignment``): ``sum w_i (x_i - y_i)^2 + c_i x_i`` over
``min_i <= x_i <= capacity_i`` with ``sum x = total``, ``w`` defaulting to the
capacity and ``c`` to 1.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def objective(devices: dict, x: np.ndarray) -> float:
    """The objective written out independently of the package."""
    cap = np.asarray(devices["capacity"], float)
    w = np.asarray(devices.get("weight", cap), float)
    c = np.asarray(devices.get("unit_cost", np.ones_like(cap)), float)
    y = np.asarray(devices["demand"], float)
    return float(np.sum(w * (x - y) ** 2 + c * x))


def brute_force(devices: dict, total: int) -> float:
    """The least objective over every whole assignment of ``total`` cores (tiny instances only)."""
    cap = np.asarray(devices["capacity"], int)
    lo = np.asarray(devices.get("min", np.zeros_like(cap)), int)
    best = math.inf
    for x in itertools.product(*(range(a, b + 1) for a, b in zip(lo, cap))):
        if sum(x) == total:
            best = min(best, objective(devices, np.asarray(x, float)))
    return best


def check_feasible(devices: dict, total: float, x: np.ndarray, *, integer: bool) -> None:
    """Assert that ``x`` respects every bound, hands out ``total`` and is whole when asked."""
    cap = np.asarray(devices["capacity"], float)
    lo = np.asarray(devices.get("min", np.zeros_like(cap)), float)
    assert x.shape == cap.shape
    assert np.all(x >= lo - 1e-7) and np.all(x <= cap + 1e-7)
    assert abs(x.sum() - total) <= 1e-6 * max(1.0, abs(total))
    if integer:
        assert np.array_equal(x, np.round(x))
