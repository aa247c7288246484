"""forecast_demand: probabilistic hourly demand scenarios per pool, from a usage export.

A forecast is not an optimization (no status, objective or bound), so
:class:`ForecastResult` is its own type rather than a :class:`resopt.Result`.
The mathematics of the methods is in :mod:`resopt.planning.methods`; reading and
cleaning the usage table in :mod:`resopt.planning.usage`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._validate import TableLike, check_scalar
from ..errors import InputError
from ..result import render_html, render_text, stopwatch
from .methods import METHODS, ArrayForecast, forecast_arrays, scenario_quantiles
from .usage import UsageHistory, read_usage

__all__ = ["forecast_demand", "ForecastResult", "forecast_arrays"]


@dataclass(repr=False, eq=False)
class ForecastResult:
    """Demand scenarios per pool for the hours after the usage history.

    Attributes
    ----------
    scenarios : DataFrame
        Long table ``pool, scenario, hour, timestamp, demand``; ``hour`` counts
        ``0 .. horizon_hours - 1`` from the first forecast hour. It is a valid
        ``demand`` table for :func:`resopt.size_reservations`.
    quantiles : DataFrame
        Per pool and forecast hour: ``pool, timestamp, mean, p05, p50, p95`` over the scenarios.
    backtest : DataFrame
        Per pool: ``method`` and, on the last week of history held out and forecast from
        the weeks before it, ``mase``, ``pinball_50``, ``pinball_90``, ``coverage_90``
        and ``crps`` (see :func:`resopt.planning.methods.backtest_arrays`).
    method : Series
        The method each pool used, indexed by pool.
    history : DataFrame
        The cleaned hourly history: ``pool, timestamp, used, filled``.
    filled_hours : Series
        Hours filled in per pool.
    horizon_hours, num_scenarios, seed : int
    runtime_s : float
    timings : dict
        Seconds per phase (``validate``, ``forecast``).
    """

    arrays: ArrayForecast
    usage: UsageHistory
    horizon_hours: int
    seed: int
    runtime_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def pools(self) -> list[str]:
        return self.usage.pools

    @property
    def num_scenarios(self) -> int:
        return self.arrays.scenarios.shape[1]

    @cached_property
    def future(self) -> pd.Index:
        """Timestamps of the forecast hours (in the input's zone, or integer hours)."""
        return self.usage.times(self.usage.num_hours, self.horizon_hours)

    @cached_property
    def scenarios(self) -> pd.DataFrame:
        P, S, H = self.arrays.scenarios.shape
        return pd.DataFrame({
            "pool": pd.Categorical.from_codes(np.repeat(np.arange(P), S * H), categories=self.pools),
            "scenario": np.tile(np.repeat(np.arange(S), H), P),
            "hour": np.tile(np.arange(H), P * S),
            "timestamp": self.future[np.tile(np.arange(H), P * S)],
            "demand": self.arrays.scenarios.ravel(),
        })

    @cached_property
    def quantiles(self) -> pd.DataFrame:
        P, S, H = self.arrays.scenarios.shape
        q = scenario_quantiles(self.arrays.scenarios, [0.05, 0.5, 0.95])
        return pd.DataFrame({
            "pool": np.repeat(np.array(self.pools, dtype=object), H),
            "timestamp": self.future[np.tile(np.arange(H), P)],
            "mean": self.arrays.scenarios.mean(axis=1).ravel(),
            "p05": q[0].ravel(),
            "p50": q[1].ravel(),
            "p95": q[2].ravel(),
        })

    @cached_property
    def backtest(self) -> pd.DataFrame:
        table = self.arrays.backtest.copy()
        table.insert(0, "pool", self.pools)
        return table

    @property
    def method(self) -> pd.Series:
        return pd.Series(self.arrays.method, index=pd.Index(self.pools, name="pool"), name="method")

    @cached_property
    def history(self) -> pd.DataFrame:
        return self.usage.to_frame()

    @property
    def filled_hours(self) -> pd.Series:
        return self.usage.filled_hours

    def to_frame(self) -> pd.DataFrame:
        """The quantiles table (a copy)."""
        return self.quantiles.copy()

    def plot(self, pool: str, ax: Any = None, *, history_hours: int | None = 672) -> Any:
        """History, forecast median and 90% band of ``pool``; return the Axes."""
        from ..plotting import forecast_fan

        if pool not in self.pools:
            raise InputError(f"No pool {pool!r} in this forecast. Pools: {self.pools[:10]}.")
        history = self.history[self.history["pool"] == pool]
        quantiles = self.quantiles[self.quantiles["pool"] == pool]
        return forecast_fan(history, quantiles, ax=ax, title=f"{pool} ({self.method[pool]})",
                            history_hours=history_hours)

    def _lines(self) -> list[tuple[str, str]]:
        methods = ", ".join(f"{k}: {v}" for k, v in self.method.value_counts().items())
        bt = self.arrays.backtest
        lines = [
            ("pools", str(len(self.pools))),
            ("history", f"{self.usage.num_hours} hours, {int(self.filled_hours.sum())} filled"),
            ("forecast", f"{self.future[0]} .. {self.future[-1]}"),
            ("scenarios", str(self.num_scenarios)),
            ("methods", methods),
        ]
        if bt["coverage_90"].notna().any():
            lines += [("backtest MASE", f"median {np.nanmedian(bt['mase']):.3f}"),
                      ("backtest coverage_90", f"mean {np.nanmean(bt['coverage_90']):.3f}")]
        lines.append(("runtime_s", f"{self.runtime_s:.4f}"))
        return lines

    def _title(self) -> str:
        return f"horizon_hours={self.horizon_hours}, seed={self.seed}"

    def __repr__(self) -> str:
        return render_text("ForecastResult", self._title(), self._lines())

    def _repr_html_(self) -> str:
        return render_html("ForecastResult", self._title(), self._lines(), self.backtest)


def forecast_demand(usage: TableLike, *, horizon_hours: int = 168, scenarios: int = 200, seed: int = 0,
                    method: str = "auto") -> ForecastResult:
    """Probabilistic hourly demand scenarios per pool for the hours after the usage history.

    Parameters
    ----------
    usage : DataFrame or mapping of column -> sequence
        ``timestamp``, ``pool``, ``used`` (>= 0: average units in use). Rows may be
        unsorted, finer than an hour (averaged per hour), repeated for one pool and
        time (summed: one row per node or account) and have gaps (filled and
        counted, never read as zero); see :mod:`resopt.planning.usage`. Every pool
        needs at least 168 hours (one full week).
    horizon_hours : int, default 168
        Hours to forecast, from the hour after the last hour of history.
    scenarios : int, default 200
        Scenarios per pool.
    seed : int, default 0
        The same seed gives the same scenarios.
    method : {"auto", "seasonal", "seasonal_naive", "mstl"}
        ``"seasonal"``: hour-of-week profile x robust level x damped trend, with a block
        bootstrap of the method's past errors by whole days; ``"seasonal_naive"``: next
        week repeats the last one; ``"mstl"``: statsforecast's MSTL (needs
        ``resopt[forecast]``); ``"auto"``: per pool, ``"seasonal"`` unless
        ``"seasonal_naive"`` forecast the held-out last week clearly better (a mean
        pinball loss at least 25% lower). See :mod:`resopt.planning.methods`.

    Returns
    -------
    ForecastResult

    Raises
    ------
    InputError
        Bad input, naming the table, the column, the row and the value.
    BackendUnavailableError
        ``method="mstl"`` without statsforecast installed.

    Examples
    --------
    >>> from resopt.planning.synthetic import synthetic_usage
    >>> usage = synthetic_usage(3, weeks=4, seed=0)
    >>> fc = forecast_demand(usage, horizon_hours=24, scenarios=50)
    >>> fc.scenarios.columns.tolist()
    ['pool', 'scenario', 'hour', 'timestamp', 'demand']
    >>> len(fc.scenarios), str(fc.quantiles["timestamp"].iloc[0])
    (3600, '2026-02-02 00:00:00+00:00')
    """
    start = time.perf_counter()
    timings: dict[str, float] = {}
    with stopwatch(timings, "validate"):
        horizon = _count(horizon_hours, "horizon_hours")
        count = _count(scenarios, "scenarios")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise InputError(f"'seed' must be an integer. Got {seed!r}.")
        choices = ("auto", *METHODS)
        if method not in choices:
            raise InputError(f"Unknown forecast method {method!r}. Choose from {', '.join(map(repr, choices))}.")
        history = read_usage(usage)
    with stopwatch(timings, "forecast"):
        arrays = forecast_arrays(history.used, horizon_hours=horizon, scenarios=count, seed=int(seed), method=method)
    result = ForecastResult(arrays, history, horizon, int(seed), timings=timings)
    result.runtime_s = time.perf_counter() - start
    return result


def _count(value: Any, name: str) -> int:
    check_scalar(value, name, minimum=1)
    if float(value) != int(value):
        raise InputError(f"'{name}' must be a whole number. Got {value!r}.")
    return int(value)
