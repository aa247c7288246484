"""The resopt exception tree.

Bad input is the caller's to fix and raises :class:`InputError` (also a
``ValueError``). Infeasible, unbounded and time-limited outcomes are *statuses*
on a :class:`~resopt.result.Result`, not exceptions; only
:meth:`Result.raise_for_status` turns them into :class:`InfeasibleError` or
:class:`SolverError`.
"""

from __future__ import annotations

__all__ = [
    "ResoptError",
    "InputError",
    "BackendUnavailableError",
    "UnsupportedProblemError",
    "SolverError",
    "InfeasibleError",
]


class ResoptError(Exception):
    """Base class of every error resopt raises on purpose."""


class InputError(ResoptError, ValueError):
    """Bad input: the message names the table, the column, the row and the value."""


class BackendUnavailableError(ResoptError, ImportError):
    """The requested backend needs a package that is not installed."""


class UnsupportedProblemError(ResoptError, ValueError):
    """The requested backend cannot solve this kind of problem (e.g. an integer QP)."""


class SolverError(ResoptError, RuntimeError):
    """A solver failed in a way that is not a property of the model."""


class InfeasibleError(ResoptError):
    """Raised by ``Result.raise_for_status()`` when the model has no feasible solution."""
