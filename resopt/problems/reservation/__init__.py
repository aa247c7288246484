"""Reservation sizing: how much capacity to commit to, with a safety margin and a service level.

See :func:`size_reservations` for the model. The package splits the problem
into its parts: :mod:`.inputs` (validation), :mod:`.exact` (the per-pool
mathematics and the exact search), :mod:`.formulation` (the LP/MILP for the
HiGHS, cvxpy and PuLP backends), :mod:`.result` (the result tables) and
:mod:`.api` (the entry points).
"""

from .api import BACKENDS, size_reservations, size_reservations_array
from .result import ReservationResult

__all__ = ["size_reservations", "size_reservations_array", "ReservationResult", "BACKENDS"]
