"""Synthetic GPU usage histories shaped like an AI company's fleet, for tests, benchmarks and examples.

Each pool is one of four kinds, mixed in a fleet:

``inference``
    Serving traffic: a daily cycle (peak in the afternoon, 15-45% amplitude), a
    weekend dip (10-35%), steady growth of 5-10% a week (multiplicative, so the
    cycle grows with the level), a day-to-day level random walk (0.5-2% a day),
    hourly AR(1) noise (3-8%) and short spikes (a few hours at +30-100%, about one
    every two weeks).
``training``
    A queue of smaller jobs that keeps 30-60% of the pool busy (a little noise and
    cycle) plus large jobs that start and end: each holds a fixed number of GPUs (a
    multiple of 8) for one to several weeks (log-normal, median 7-21 days, about one
    start every 2-6 weeks), so the usage moves in steps.
``mixed``
    An inference pool that also runs training jobs on top (median 5-14 days).
``quiet``
    Mostly idle: a few GPUs used now and then by short jobs (0 most hours).

Usage is the average number of units in use per hour (fractional, >= 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["KINDS", "SyntheticFleet", "synthetic_fleet", "synthetic_usage"]

KINDS = ("inference", "training", "mixed", "quiet")
_DEFAULT_MIX = {"inference": 0.4, "training": 0.25, "mixed": 0.2, "quiet": 0.15}
WEEK = 168


@dataclass(frozen=True)
class SyntheticFleet:
    """Hourly usage of a synthetic fleet.

    Attributes
    ----------
    used : ndarray, shape (pools, hours)
        Average units in use per hour.
    pools : list of str
        Pool names, ``"<kind>-<nn>"``.
    kinds : list of str
        The kind of each pool (see the module docstring).
    start : pandas.Timestamp
        The first hour (UTC).
    """

    used: np.ndarray
    pools: list[str]
    kinds: list[str]
    start: pd.Timestamp

    def to_frame(self) -> pd.DataFrame:
        """The long usage table ``timestamp, pool, used`` (ISO timestamps in UTC)."""
        P, n = self.used.shape
        times = pd.date_range(self.start, periods=n, freq="h", tz="UTC")
        return pd.DataFrame({
            "timestamp": np.tile(times, P),
            "pool": np.repeat(np.array(self.pools, dtype=object), n),
            "used": self.used.ravel(),
        })


def synthetic_fleet(pools: int = 12, weeks: int = 8, *, seed: int = 0, kinds: list[str] | str | None = None,
                    start: str = "2026-01-05") -> SyntheticFleet:
    """Hourly usage for ``pools`` pools over ``weeks`` weeks (the start is a Monday, 00:00 UTC).

    Parameters
    ----------
    kinds : list of str, str or None
        The kind of each pool (one of :data:`KINDS`), one kind for all, or None for a
        random mix (40% inference, 25% training, 20% mixed, 15% quiet).

    Examples
    --------
    >>> fleet = synthetic_fleet(4, weeks=2, seed=1, kinds=["inference", "training", "mixed", "quiet"])
    >>> fleet.used.shape, fleet.pools[0]
    ((4, 336), 'inference-00')
    >>> bool((fleet.used >= 0).all())
    True
    """
    rng = np.random.default_rng(seed)
    hours = int(weeks) * WEEK
    if kinds is None:
        chosen = list(rng.choice(list(_DEFAULT_MIX), size=pools, p=list(_DEFAULT_MIX.values())))
    elif isinstance(kinds, str):
        chosen = [kinds] * pools
    else:
        chosen = list(kinds)
        if len(chosen) != pools:
            raise ValueError(f"kinds has {len(chosen)} entries for {pools} pools")
    unknown = sorted(set(chosen) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown pool kind(s) {unknown}; choose from {KINDS}")
    used = np.empty((pools, hours))
    for p, kind in enumerate(chosen):
        used[p] = _POOL[kind](rng, hours)
    names = [f"{kind}-{p:02d}" for p, kind in enumerate(chosen)]
    return SyntheticFleet(np.maximum(used, 0.0), names, [str(k) for k in chosen], pd.Timestamp(start))


def synthetic_usage(pools: int = 12, weeks: int = 8, *, seed: int = 0, kinds: list[str] | str | None = None,
                    start: str = "2026-01-05") -> pd.DataFrame:
    """The long usage table ``timestamp, pool, used`` of :func:`synthetic_fleet`.

    Examples
    --------
    >>> usage = synthetic_usage(3, weeks=1, seed=0)
    >>> list(usage.columns), len(usage)
    (['timestamp', 'pool', 'used'], 504)
    """
    return synthetic_fleet(pools, weeks, seed=seed, kinds=kinds, start=start).to_frame()


# ----------------------------------------------------------------------------- one pool of each kind


def _cycles(rng: np.random.Generator, hours: int, daily: tuple[float, float], weekend: tuple[float, float]) -> np.ndarray:
    """Multiplicative daily and weekly shape, mean about 1."""
    t = np.arange(hours)
    hour_of_day = t % 24
    day_of_week = (t // 24) % 7
    peak = rng.uniform(13, 18)
    shape = 1 + rng.uniform(*daily) * np.cos(2 * np.pi * (hour_of_day - peak) / 24)
    dip = rng.uniform(*weekend)
    # Saturday and Sunday lower, with a softer Friday evening and Monday morning.
    weekend_weight = np.where(day_of_week >= 5, 1.0, 0.0)
    weekend_weight += np.where((day_of_week == 4) & (hour_of_day >= 18), 0.4, 0.0)
    weekend_weight += np.where((day_of_week == 0) & (hour_of_day < 8), 0.4, 0.0)
    return shape * (1 - dip * weekend_weight)


def _noise(rng: np.random.Generator, hours: int, sigma: float, phi: float = 0.7) -> np.ndarray:
    """Multiplicative AR(1) noise with stationary standard deviation ``sigma``."""
    shocks = rng.normal(0, sigma * np.sqrt(1 - phi**2), hours)
    out = np.empty(hours)
    acc = rng.normal(0, sigma)
    for i in range(hours):
        acc = phi * acc + shocks[i]
        out[i] = acc
    return np.exp(out - sigma**2 / 2)


def _level_walk(rng: np.random.Generator, hours: int, sigma_day: float) -> np.ndarray:
    """A daily random walk in log level, interpolated to hours."""
    days = hours // 24 + 2
    walk = np.cumsum(rng.normal(0, sigma_day, days))
    return np.exp(np.interp(np.arange(hours) / 24, np.arange(days), walk))


def _spikes(rng: np.random.Generator, hours: int, rate_per_week: float) -> np.ndarray:
    """Multiplicative short spikes: 1 to 6 hours at +30% to +100%."""
    out = np.ones(hours)
    for _ in range(rng.poisson(rate_per_week * hours / WEEK)):
        at = rng.integers(0, hours)
        out[at:at + rng.integers(1, 7)] *= 1 + rng.uniform(0.3, 1.0)
    return out


def _jobs(rng: np.random.Generator, hours: int, per_week: float, size: float, median_days: float) -> np.ndarray:
    """Additive training jobs: each holds a multiple of 8 GPUs for a log-normal number of days."""
    out = np.zeros(hours)
    # Jobs already running at the start, then arrivals.
    starts = list(-rng.uniform(0, median_days * 24, rng.poisson(0.7)))
    starts += list(rng.uniform(0, hours, rng.poisson(per_week * hours / WEEK)))
    for begin in starts:
        length = rng.lognormal(np.log(median_days * 24), 0.6)
        gpus = 8 * max(1, round(size * rng.uniform(0.3, 1.0) / 8))
        lo, hi = max(0, int(begin)), min(hours, int(begin + length))
        out[lo:hi] += gpus
    return out


def _inference(rng: np.random.Generator, hours: int) -> np.ndarray:
    level0 = rng.uniform(40, 800)
    growth = rng.uniform(0.05, 0.10) if rng.random() < 0.8 else rng.uniform(-0.02, 0.02)
    trend = (1 + growth) ** (np.arange(hours) / WEEK)
    return (level0 * trend * _cycles(rng, hours, (0.15, 0.45), (0.10, 0.35)) * _level_walk(rng, hours, rng.uniform(0.005, 0.02))
            * _noise(rng, hours, rng.uniform(0.03, 0.08)) * _spikes(rng, hours, 0.5))


def _training(rng: np.random.Generator, hours: int) -> np.ndarray:
    size = rng.uniform(64, 1024)
    base = size * rng.uniform(0.3, 0.6) * _cycles(rng, hours, (0.0, 0.1), (0.0, 0.1))
    base *= _level_walk(rng, hours, rng.uniform(0.005, 0.015)) * _noise(rng, hours, rng.uniform(0.02, 0.05))
    return base + _jobs(rng, hours, rng.uniform(1 / 6, 1 / 2), size * 0.6, rng.uniform(7, 21))


def _mixed(rng: np.random.Generator, hours: int) -> np.ndarray:
    serving = _inference(rng, hours)
    return serving + _jobs(rng, hours, rng.uniform(0.2, 0.5), float(serving.mean()) * rng.uniform(0.3, 0.8),
                           rng.uniform(5, 14))


def _quiet(rng: np.random.Generator, hours: int) -> np.ndarray:
    out = np.zeros(hours)
    for _ in range(rng.poisson(rng.uniform(2, 10) * hours / WEEK)):
        at = rng.integers(0, hours)
        out[at:at + rng.integers(1, 12)] += rng.integers(1, 9)
    return out


_POOL = {"inference": _inference, "training": _training, "mixed": _mixed, "quiet": _quiet}
