"""Backends: the one solve protocol, a registry with checked capabilities, and the model solvers.

Every backend of every problem is a :class:`Backend` whose ``solve(instance, options)``
takes the problem's validated instance and a :class:`SolveOptions`, and returns a
:class:`~resopt.model.Solution` (status, the decision vector ``x``, objective, bound,
solver text, timings, and problem-specific extras in ``attr``). Each problem declares its
backends in a :class:`BackendRegistry`; :meth:`BackendRegistry.resolve` is the one place
that checks a request against the backends' :class:`Capability` flags and resolves
``"auto"``: the first backend in registration order that is installed, supports every
capability asked for, and whose ``fits(instance, options)`` accepts the instance.
"""

from __future__ import annotations

import enum
import importlib.util
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._validate import check_mip_gap, check_time_limit
from ..errors import BackendUnavailableError, InputError, UnsupportedProblemError
from ..model import LinearModel, Solution
from ..result import Status

__all__ = ["Backend", "BackendRegistry", "Capability", "SolveOptions", "model_solver", "solve_within",
           "MODEL_SOLVER_REQUIRES"]

#: The generic :class:`~resopt.model.LinearModel` solvers and the modules each needs.
MODEL_SOLVER_REQUIRES: dict[str, tuple[str, ...]] = {
    "highs": ("highspy",),
    "cvxpy": ("cvxpy", "highspy"),
    "pulp": ("pulp", "highspy"),
}


class Capability(str, enum.Enum):
    """What a backend can do. A request needs some of these; :meth:`Backend.supports` checks.

    The members compare equal to their values, so ``"integer"`` and
    ``Capability.INTEGER`` name the same capability.
    """

    CONTINUOUS = "continuous"  #: continuous decision variables
    INTEGER = "integer"  #: whole-number decision variables
    TIME_LIMIT = "time_limit"  #: stops within a wall-clock budget and says so (status ``time_limit``)
    MIP_GAP = "mip_gap"  #: stops at a requested relative optimality gap
    BOUND = "bound"  #: reports a valid lower bound on the optimum
    LARGE = "large"  #: meant for instances too large for an exact MILP

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class SolveOptions:
    """The options every backend of every problem understands.

    ``time_limit`` is a wall-clock budget in seconds for the whole public call that
    created the options (``None``: no limit); :meth:`remaining` is what is left of it.
    ``mip_gap`` is the relative gap at which a MILP may stop (``None``: the solver's own).

    Examples
    --------
    >>> opts = SolveOptions.start(time_limit=None)
    >>> opts.remaining() is None, opts.expired()
    (True, False)
    >>> sorted(opts.needs())
    []
    """

    time_limit: float | None = None
    mip_gap: float | None = None
    started: float = field(default_factory=time.perf_counter)

    @classmethod
    def start(cls, time_limit: float | None = None, mip_gap: float | None = None) -> SolveOptions:
        """Options whose clock starts now (at the top of a public function)."""
        return cls(time_limit=time_limit, mip_gap=mip_gap, started=time.perf_counter())

    def remaining(self) -> float | None:
        """Seconds left of the budget (never below 0), or None without a limit."""
        if self.time_limit is None:
            return None
        return max(0.0, self.time_limit - (time.perf_counter() - self.started))

    def portion(self, share: float) -> SolveOptions:
        """Options for a step that may spend ``share`` of what is left (the rest is kept for
        the steps after it); unchanged without a limit.

        >>> SolveOptions.start(10.0).portion(0.8).time_limit <= 8.0
        True
        """
        left = self.remaining()
        if left is None:
            return self
        return SolveOptions(time_limit=share * left, mip_gap=self.mip_gap, started=time.perf_counter())

    def expired(self) -> bool:
        """True once the budget is spent."""
        left = self.remaining()
        return left is not None and left <= 0.0

    def gap_or(self, default: float | None) -> float | None:
        """``mip_gap``, or ``default`` when none was asked for."""
        return default if self.mip_gap is None else self.mip_gap

    def needs(self) -> frozenset[Capability]:
        """The capabilities these options ask of a backend."""
        needs = set()
        if self.time_limit is not None and math.isfinite(self.time_limit):
            needs.add(Capability.TIME_LIMIT)
        if self.mip_gap is not None:
            needs.add(Capability.MIP_GAP)
        return frozenset(needs)


def solve_within(solver: Callable[..., Solution], model: LinearModel, options: SolveOptions,
                 default_mip_gap: float | None = None) -> Solution:
    """Run a :class:`~resopt.model.LinearModel` solver on what is left of the budget.

    A budget already spent gives status ``time_limit`` without calling the solver (HiGHS
    given ``time_limit=0`` still solves a small model); otherwise the solver gets
    ``options.remaining()`` and ``options.gap_or(default_mip_gap)``.
    """
    if options.expired():
        return Solution(Status.TIME_LIMIT, solver_status="Time limit reached before the solver started")
    return solver(model, time_limit=options.remaining(), mip_gap=options.gap_or(default_mip_gap))


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
        ``solve(instance, options) -> Solution`` for this problem.
    features : frozenset of Capability
        What it can do (strings are converted).
    requires : tuple of str
        Importable modules it needs.
    fits : callable, optional
        ``fits(instance, options) -> bool``: whether ``"auto"`` may pick this backend
        for the instance (a size guard); absent means always.
    """

    name: str
    solve: Callable[..., Any]
    features: frozenset[Capability] = field(default_factory=frozenset)
    requires: tuple[str, ...] = ()
    fits: Callable[[Any, SolveOptions], bool] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", frozenset(Capability(f) for f in self.features))

    def is_available(self) -> bool:
        """True when every required module can be imported."""
        return all(importlib.util.find_spec(mod) is not None for mod in self.requires)

    def supports(self, needs: Iterable[Capability | str]) -> bool:
        """True when the backend has every capability in ``needs``."""
        return {Capability(n) for n in needs} <= self.features

    def accepts(self, instance: Any, options: SolveOptions) -> bool:
        """Whether ``"auto"`` may choose this backend for ``instance`` (its size guard)."""
        return self.fits is None or instance is None or bool(self.fits(instance, options))


class BackendRegistry:
    """The backends of one problem, in the order ``"auto"`` prefers them."""

    def __init__(self, problem: str, backends: Sequence[Backend]) -> None:
        self.problem = problem
        self._backends = {b.name: b for b in backends}

    @property
    def names(self) -> list[str]:
        return list(self._backends)

    def __getitem__(self, name: str) -> Backend:
        return self._backends[name]

    def capable(self, needs: Iterable[Capability | str]) -> list[str]:
        """Names of the backends that support every item of ``needs``."""
        needs = {Capability(n) for n in needs}
        return [b.name for b in self._backends.values() if b.supports(needs)]

    def check_name(self, name: Any) -> str:
        """``name`` when it is ``"auto"`` or a registered backend; else an InputError listing them."""
        if not isinstance(name, str) or (name != "auto" and name not in self._backends):
            raise InputError(
                f"Unknown backend {name!r} for {self.problem}. "
                f"Known backends: {', '.join(['auto', *self.names])}."
            )
        return name

    def check_options(self, backend: Any, time_limit: Any, mip_gap: Any) -> tuple[float | None, float | None]:
        """The options every solving function shares: ``backend`` a registered name or ``"auto"``,
        ``time_limit`` None or seconds > 0, ``mip_gap`` None or a number in ``[0, 1]``.

        Returns ``(time_limit, mip_gap)`` as floats (or None); raises InputError naming the option.
        """
        self.check_name(backend)
        return check_time_limit(time_limit), check_mip_gap(mip_gap)

    def resolve(self, name: str, *, needs: Iterable[Capability | str] = (), instance: Any = None,
                options: SolveOptions | None = None) -> Backend:
        """Return the backend to run: the one rule for ``"auto"`` and for capability checks.

        Parameters
        ----------
        name
            A backend name, or ``"auto"``.
        needs
            Capabilities the problem needs (e.g. ``{"integer"}``); the options add theirs
            (``time_limit``, ``mip_gap``).
        instance, options
            The validated instance and the options, for the backends' size guards (``fits``).

        ``"auto"`` takes the first backend in registration order that is installed, supports
        every need and fits the instance. A named backend that lacks a capability is refused
        with :class:`~resopt.errors.UnsupportedProblemError` naming the backends that have it.
        """
        options = options if options is not None else SolveOptions()
        needs = {Capability(n) for n in needs} | set(options.needs())
        self.check_name(name)
        if name == "auto":
            for backend in self._backends.values():
                if backend.supports(needs) and backend.is_available() and backend.accepts(instance, options):
                    return backend
            raise UnsupportedProblemError(
                f"No installed backend of {self.problem} can handle {sorted(str(n) for n in needs)}; "
                f"capable backends: {self.capable(needs)}."
            )
        backend = self._backends[name]
        missing = needs - backend.features
        if missing:
            raise UnsupportedProblemError(
                f"Backend '{name}' cannot solve {self.problem} with {', '.join(sorted(map(str, missing)))} "
                f"variables/features. Backends that can: {', '.join(self.capable(needs)) or 'none'}."
            )
        if not backend.is_available():
            absent = [m for m in backend.requires if importlib.util.find_spec(m) is None]
            raise BackendUnavailableError(
                f"Backend '{name}' needs {', '.join(absent)}, which is not installed "
                f"(pip install {' '.join(absent)})."
            )
        return backend
