"""Backends: a registry with capability flags, and the solvers for :class:`LinearModel`.

Each problem declares the backends it offers as :class:`Backend` entries
(what each can do, which packages it needs) and resolves the user's choice
through :meth:`BackendRegistry.resolve`, which raises a precise error when a
backend is unknown, not installed, or unable to solve the problem asked.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import BackendUnavailableError, InputError, UnsupportedProblemError

__all__ = ["Backend", "BackendRegistry", "model_solver", "MODEL_SOLVER_REQUIRES"]

#: The generic :class:`~resopt.model.LinearModel` solvers and the modules each needs.
MODEL_SOLVER_REQUIRES: dict[str, tuple[str, ...]] = {
    "highs": ("highspy",),
    "cvxpy": ("cvxpy", "highspy"),
    "pulp": ("pulp", "highspy"),
}


def model_solver(name: str) -> Callable[..., Any]:
    """``solve_<name>`` from ``resopt.backends.<name>``, imported on first call.

    Problems register these without importing cvxpy or PuLP up front, so
    ``import resopt`` stays light.
    """
    if name not in MODEL_SOLVER_REQUIRES:
        raise ValueError(f"no model solver {name!r}; known: {sorted(MODEL_SOLVER_REQUIRES)}")

    def solve(*args: Any, **kwargs: Any) -> Any:
        from .highs import silence_highs_banner

        silence_highs_banner()  # every model solver here runs HiGHS in the end
        module = importlib.import_module(f"{__name__}.{name}")
        return getattr(module, f"solve_{name}")(*args, **kwargs)

    solve.__name__ = f"solve_{name}"
    return solve


@dataclass(frozen=True)
class Backend:
    """One way to solve one problem.

    Attributes
    ----------
    name : str
        What users pass as ``backend=``.
    solve : callable
        The problem's solve function for this backend.
    features : frozenset of str
        What it can do, e.g. ``{"continuous", "integer", "time_limit"}``.
    requires : tuple of str
        Importable modules it needs.
    """

    name: str
    solve: Callable[..., Any]
    features: frozenset[str] = field(default_factory=frozenset)
    requires: tuple[str, ...] = ()

    def is_available(self) -> bool:
        """True when every required module can be imported."""
        return all(importlib.util.find_spec(mod) is not None for mod in self.requires)


class BackendRegistry:
    """The backends of one problem, in the order ``"auto"`` prefers them."""

    def __init__(self, problem: str, backends: Sequence[Backend]) -> None:
        self.problem = problem
        self._backends = {b.name: b for b in backends}

    @property
    def names(self) -> list[str]:
        return list(self._backends)

    def capable(self, needs: Iterable[str]) -> list[str]:
        """Names of the backends whose features include every item of ``needs``."""
        needs = set(needs)
        return [b.name for b in self._backends.values() if needs <= b.features]

    def resolve(self, name: str, *, needs: Iterable[str] = (), auto: Sequence[str] | None = None) -> Backend:
        """Return the backend to run.

        Parameters
        ----------
        name
            A backend name, or ``"auto"``.
        needs
            Features the request needs (e.g. ``{"integer"}``).
        auto
            Preference order for ``"auto"`` (default: registration order); the
            first capable, installed backend wins.
        """
        needs = set(needs)
        if name == "auto":
            for candidate in auto or self.names:
                backend = self._backends[candidate]
                if needs <= backend.features and backend.is_available():
                    return backend
            raise UnsupportedProblemError(
                f"No installed backend of {self.problem} can handle {sorted(needs)}; "
                f"capable backends: {self.capable(needs)}."
            )
        if not isinstance(name, str) or name not in self._backends:
            raise InputError(
                f"Unknown backend {name!r} for {self.problem}. "
                f"Known backends: {', '.join(['auto', *self.names])}."
            )
        backend = self._backends[name]
        missing = needs - backend.features
        if missing:
            raise UnsupportedProblemError(
                f"Backend '{name}' cannot solve {self.problem} with {', '.join(sorted(missing))} "
                f"variables/features. Backends that can: {', '.join(self.capable(needs))}."
            )
        if not backend.is_available():
            absent = [m for m in backend.requires if importlib.util.find_spec(m) is None]
            raise BackendUnavailableError(
                f"Backend '{name}' needs {', '.join(absent)}, which is not installed "
                f"(pip install {' '.join(absent)})."
            )
        return backend
