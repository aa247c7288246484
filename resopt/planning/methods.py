"""Forecasting methods on arrays: ``(pools, hours)`` of history in, ``(pools, scenarios, horizon)`` out.

Every method is a *point path* plus *uncertainty from its own past errors*:

- the point forecast ``f[k]`` for the hours ``k = 0 .. H-1`` after the history;
- the method is also run from past *daily origins* ``o_i = n - 24 i`` (the same
  hour of the day as the real origin; up to 12 weeks back), and its errors at each
  lead are kept: ``e[i, k] = (y[o_i + k] - f_i[k]) / scale_i[k]``;
- a scenario replays those errors a whole day at a time (a block bootstrap of
  residual days, so hours within a day stay correlated): each scenario picks one
  past origin and follows its error path for as many days as that origin has data
  after it; for later days it draws, day by day, an origin that does. The error for
  day ``d`` always comes from lead day ``d`` (errors grow with the lead time); a lead
  day longer than the history reuses the longest one available:
  ``scenario[k] = max(0, f[k] + scale[k] * e[i, k])``.

The level at each origin uses only the hours before it, so the errors are out of
sample (the hour-of-week profile and the trend are fitted once, on the whole
history). The spread of the scenarios is the spread the method has actually shown,
and a systematic error (a lag behind growth, say) shows up in the errors' mean and
is added back: the scenarios are calibrated by construction, not by assumption.

Methods:

``seasonal_naive``
    ``f[k] = y[n - 168 + (k mod 168)]``: next week repeats the last week. Errors are
    relative to the mean of the week the forecast repeats (at least 0.2 x the mean
    usage of the last 4 weeks), so they grow with the pool.
``seasonal``
    ``f[k] = s[k mod 168] * L * G(k)``, multiplicative:

    - hour-of-week profile ``s`` (mean 1): the last 8 weeks, weighted by recency
      (half-life 2 weeks), each hour divided by the local level (a centred 7-day
      median of daily medians of ``z = y / s``; three passes), and clipped across
      weeks at 4 MADs from the median (spikes);
    - level ``L``: the median of ``z`` over the last 12 hours, so a step change
      (a training job starting or ending) is followed within hours. In an
      intermittent pool (its 168-hour median below 0.75 x its mean usage: mostly
      idle, short jobs) the 168-hour median is used instead when it had the lower mean
      absolute error over the past origins: a job running now says little there;
    - trend: ``beta``, the median of ``log z_day[j] - log z_day[j - 7]`` over the
      last 28 daily medians (a step spoils only a few of these differences), clipped
      to +-40% a week and damped: ``G(k) = exp(beta * (1 - phi^x) / ln(1/phi))``,
      ``x = k + 6.5`` hours after the middle of the level's window, ``phi = 0.85`` a
      week;
    - errors relative to ``scale = max(median of z over the last 168 hours,
      0.2 x mean usage) * G(k)``.

    With this scale, a scenario is the path that followed a past origin, rescaled to
    today's level and corrected for the hour of the week:
    ``f[k] + (scale / scale_i) (y[o_i + k] - f_i[k])``. The growth the scenarios show
    over the first weeks is therefore the growth the history showed over the same
    lead (the damped trend cancels out of the mean there); beyond the history's
    length the damped trend carries it.
``mstl``
    statsforecast's MSTL (seasonalities 24 and 168; 24 only below two weeks of
    history) for the point path, with the ``seasonal`` method's errors and scale.
``auto`` (in :func:`forecast_arrays`)
    Per pool, ``seasonal`` unless ``seasonal_naive`` had a ``crps`` at least 25% lower
    on the held-out last week.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import BackendUnavailableError, InputError

__all__ = ["METHODS", "ArrayForecast", "forecast_arrays", "backtest_arrays", "scenario_quantiles", "Draws"]

WEEK, DAY = 168, 24
METHODS = ("seasonal_naive", "seasonal", "mstl")
#: Weeks of history behind the hour-of-week profile, and their recency half-life.
PROFILE_WEEKS, HALF_LIFE_WEEKS = 8, 2.0
#: Daily medians behind the trend; the trend's damping per week and its clip (log per week).
TREND_DAYS, DAMPING, MAX_GROWTH = 28, 0.85, np.log(1.4)
#: Hours behind the level at the forecast origin.
LEVEL_HOURS = 12
#: Hours behind the scale of the errors (a slower level than the forecast's).
SCALE_HOURS = 168
#: Most past daily origins whose errors are replayed (12 weeks).
MAX_ORIGINS = 84
#: A pool whose 168-hour median is below this share of its mean usage is intermittent (mostly idle).
INTERMITTENT = 0.75
#: Errors are relative to at least FLOOR x the mean usage of the last 4 weeks (idle pools).
FLOOR = 0.2
#: Quantiles whose mean pinball loss picks the method under "auto" (approximately the CRPS).
SELECTION_QUANTILES = np.round(np.arange(0.1, 0.95, 0.1), 2)
#: "auto" switches from "seasonal" to "seasonal_naive" only when that one's crps is lower by this share.
AUTO_MARGIN = 0.25
#: Scenarios behind the backtest's scores (fewer than the forecast's: the scores are means over hours).
BACKTEST_SCENARIOS = 100
#: Pools per chunk: bounds the memory of the error paths.
CHUNK = 128


@dataclass(frozen=True)
class Draws:
    """The random numbers of one forecast, shared by all pools and methods (common random numbers).

    ``origin[s]`` picks scenario ``s``'s past origin; ``day[s, d]`` the replacement
    origin for day ``d`` when that one has no data so far ahead.
    """

    origin: np.ndarray
    day: np.ndarray

    @classmethod
    def make(cls, seed: int, scenarios: int, horizon_hours: int) -> Draws:
        rng = np.random.default_rng(seed)
        days = -(-horizon_hours // DAY)
        return cls(rng.random(scenarios), rng.random((scenarios, days)))


@dataclass
class ArrayForecast:
    """The output of :func:`forecast_arrays`.

    Attributes
    ----------
    scenarios : ndarray, shape (pools, scenarios, horizon)
    method : ndarray of str, shape (pools,)
        The method each pool used.
    backtest : DataFrame
        One row per pool (positional index): ``method``, ``mase``, ``pinball_50``,
        ``pinball_90``, ``coverage_90``, ``crps`` (see :func:`backtest_arrays`); NaN
        where the history is shorter than two weeks.
    """

    scenarios: np.ndarray
    method: np.ndarray
    backtest: pd.DataFrame


# ----------------------------------------------------------------------------- helpers


def _nanmedian_last(x: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN when all are NaN); fast for small last axes."""
    ordered = np.sort(x, axis=-1)
    count = (~np.isnan(x)).sum(axis=-1)
    lo = np.maximum((count - 1) // 2, 0)[..., None]
    hi = np.minimum(count // 2, x.shape[-1] - 1)[..., None]
    med = 0.5 * (np.take_along_axis(ordered, lo, -1) + np.take_along_axis(ordered, hi, -1))[..., 0]
    return np.where(count > 0, med, np.nan)


def scenario_quantiles(scenarios: np.ndarray, taus: np.ndarray | list[float]) -> np.ndarray:
    """``numpy.quantile(scenarios, taus, axis=1)`` (linear interpolation) for ``(pools, S, hours)``, sorting once.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((2, 7, 3))
    >>> bool(np.allclose(scenario_quantiles(x, [0.1, 0.5]), np.quantile(x, [0.1, 0.5], axis=1)))
    True
    """
    ordered = np.sort(np.swapaxes(scenarios, 1, 2), axis=2)  # (pools, hours, S)
    S = ordered.shape[2]
    position = np.asarray(taus, dtype=np.float64) * (S - 1)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, S - 1)
    frac = position - lo
    out = ordered[:, :, lo] * (1 - frac) + ordered[:, :, hi] * frac  # (pools, hours, taus)
    return np.moveaxis(out, 2, 0)


def _first_index(y: np.ndarray) -> np.ndarray:
    """Index of each pool's first observed hour."""
    return np.argmax(~np.isnan(y), axis=1)


def _day_blocks(values: np.ndarray) -> np.ndarray:
    """``(pools, days, 24)`` blocks aligned to the end of the history (a partial first day is dropped)."""
    P, n = values.shape
    days = n // DAY
    return values[:, n - days * DAY:].reshape(P, days, DAY)


def _damped(hours: np.ndarray) -> np.ndarray:
    """Damped elapsed time: ``(1 - phi^x) / ln(1/phi)`` with ``phi = DAMPING`` per week (about x for small x)."""
    rate = -np.log(DAMPING) / WEEK
    return -np.expm1(-rate * hours) / rate


def _bootstrap(errors: np.ndarray, origins: np.ndarray, horizon: int, draws: Draws,
               out: np.ndarray | None = None) -> np.ndarray:
    """Scenario errors ``(pools, scenarios, horizon)`` from per-origin error paths (into ``out`` if given).

    ``errors[p, i - 1, k]`` is the error at lead ``k`` from origin ``i`` (``o_i = n - 24 i``),
    usable for ``k < 24 i`` and ``i <= origins[p]``.
    """
    P, M, L = errors.shape
    S = draws.origin.size
    if out is None:
        out = np.empty((P, S, horizon))
    has = origins > 0
    if not has.any():
        out[...] = 0.0
        return out
    # Whole days of errors as rows: by_day[p, i - 1, d] is origin i's error path on lead day d.
    days = -(-L // DAY)
    by_day = np.zeros((P, M, days * DAY))
    by_day[:, :, :L] = errors
    by_day = by_day.reshape(P, M, days, DAY)
    Mp = np.maximum(origins, 1)
    own = 1 + np.minimum(np.floor(draws.origin[None, :] * Mp[:, None]).astype(np.int64), Mp[:, None] - 1)
    rows = np.arange(P)[:, None]
    for d in range(-(-horizon // DAY)):
        k0, k1 = d * DAY, min(d * DAY + DAY, horizon)
        lead_day = np.minimum(d, Mp - 1)
        lo = lead_day + 1
        span = Mp - lead_day
        alt = lo[:, None] + np.minimum(np.floor(draws.day[None, :, d] * span[:, None]).astype(np.int64), span[:, None] - 1)
        origin = np.where(own >= lo[:, None], own, alt)
        out[:, :, k0:k1] = by_day[rows, origin - 1, lead_day[:, None]][:, :, : k1 - k0]
    out[~has] = 0.0
    return out


def _past_origins(n: int, count: int, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hours ``t[i - 1, k] = o_i + k`` for origins ``i = 1..count`` and leads ``k < length``, clipped, and validity."""
    o = n - DAY * np.arange(1, count + 1)
    t = o[:, None] + np.arange(length)[None, :]
    return o, np.minimum(t, n - 1), t < n


# ----------------------------------------------------------------------------- the methods


@dataclass
class _Path:
    """One method's point path, error scale and past errors for a block of pools."""

    point: np.ndarray  # (P, H)
    scale: np.ndarray  # (P, H): multiplies the replayed errors
    errors: np.ndarray  # (P, M, L)
    origins: np.ndarray  # (P,) usable past origins

    def scenarios(self, horizon: int, draws: Draws, out: np.ndarray | None = None) -> np.ndarray:
        out = _bootstrap(np.nan_to_num(self.errors), self.origins, horizon, draws, out)
        out *= self.scale[:, None, :]
        out += self.point[:, None, :]
        return np.maximum(out, 0.0, out=out)


def _floor(y: np.ndarray) -> np.ndarray:
    """The least error scale per pool: ``FLOOR`` x the mean usage of the last 4 weeks (idle pools)."""
    return FLOOR * np.nan_to_num(np.nanmean(y[:, -4 * WEEK:], axis=1)) + 1e-9


def _seasonal_naive(y: np.ndarray, horizon: int) -> _Path:
    P, n = y.shape
    k = np.arange(horizon)
    point = y[:, n - WEEK + (k % WEEK)]
    first = _first_index(y)
    origins = np.clip((n - first - WEEK) // DAY, 0, MAX_ORIGINS)
    M = max(int(origins.max()), 1)
    L = min(horizon, DAY * M)
    o, t, valid = _past_origins(n, M, L)
    base = o[:, None] - WEEK + (np.arange(L)[None, :] % WEEK)
    # Errors relative to the mean of the week the forecast repeats (usage grows, errors with it).
    floor = _floor(y)
    cumulative = np.nancumsum(np.concatenate([np.zeros((P, 1)), y], axis=1), axis=1)
    past_scale = np.maximum((cumulative[:, o] - cumulative[:, np.maximum(o - WEEK, 0)]) / WEEK, floor[:, None])
    scale = np.maximum(np.nanmean(y[:, -WEEK:], axis=1), floor)
    errors = np.where(valid, (y[:, t] - y[:, np.maximum(base, 0)]) / past_scale[:, :, None], np.nan)
    return _Path(point, np.repeat(scale[:, None], horizon, axis=1), errors, origins)


@dataclass
class _Seasonal:
    """The fitted parts of the ``seasonal`` method."""

    profile: np.ndarray  # (P, 168), position j is hour (t - n) mod 168
    level_at: np.ndarray  # (P, I + 1): median of z over the LEVEL_HOURS before o_i = n - 24 i, i = 0..I
    slow_at: np.ndarray  # (P, I + 1): the same over SCALE_HOURS (as far back as the data goes)
    scale_at: np.ndarray  # (P, I + 1): slow_at, at least floor
    beta: np.ndarray  # (P,) log growth per hour
    floor: np.ndarray  # (P,)
    first: np.ndarray  # (P,)


def _fit_seasonal(y: np.ndarray) -> _Seasonal:
    P, n = y.shape
    position = (np.arange(n) - n) % WEEK
    weeks = min(n // WEEK, PROFILE_WEEKS)
    weights = 0.5 ** ((weeks - 1 - np.arange(weeks)) / HALF_LIFE_WEEKS)
    profile = np.ones((P, WEEK))
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(3):
            z = y / profile[:, position]
            local = _smooth_level(z)
            ratio = np.where(local > 0, y / local, np.nan)
            recent = ratio[:, n - weeks * WEEK:].reshape(P, weeks, WEEK)
            recent = _clip_across_weeks(recent)
            w = np.where(np.isnan(recent), 0.0, weights[None, :, None])
            total = w.sum(axis=1)
            shape = np.where(total > 0, np.nansum(recent * w, axis=1) / np.where(total > 0, total, 1), np.nan)
            count = (~np.isnan(shape)).sum(axis=1, keepdims=True)
            mean = np.where(count > 0, np.nansum(shape, axis=1, keepdims=True) / np.maximum(count, 1), 1.0)
            shape = np.where(np.isnan(shape) | (mean <= 0), 1.0, shape / np.where(mean > 0, mean, 1.0))
            profile = np.maximum(shape, 0.05)
        z = y / profile[:, position]
    blocks = _day_blocks(z)
    daily = _nanmedian_last(blocks)
    ends = n - DAY * np.arange(min((n - LEVEL_HOURS) // DAY, MAX_ORIGINS) + 1)
    level_at = _nanmedian_last(z[:, ends[:, None] - LEVEL_HOURS + np.arange(LEVEL_HOURS)[None, :]])
    window = ends[:, None] - SCALE_HOURS + np.arange(SCALE_HOURS)[None, :]
    slow_at = np.nan_to_num(_nanmedian_last(np.where(window >= 0, z[:, np.maximum(window, 0)], np.nan)))
    floor = _floor(y)
    scale_at = np.maximum(slow_at, floor[:, None])
    return _Seasonal(profile, level_at, slow_at, scale_at, _trend(daily, floor), floor, _first_index(y))


def _smooth_level(z: np.ndarray) -> np.ndarray:
    """A centred 7-day median of daily medians of ``z``, linearly interpolated to hours."""
    P, n = z.shape
    daily = _nanmedian_last(_day_blocks(z))
    days = daily.shape[1]
    padded = np.pad(daily, ((0, 0), (3, 3)), constant_values=np.nan)
    smooth = _nanmedian_last(np.lib.stride_tricks.sliding_window_view(padded, 7, axis=1))
    offset = n - days * DAY
    x = np.clip((np.arange(n) - offset - 11.5) / DAY, 0, days - 1)
    j = np.minimum(np.floor(x).astype(np.int64), max(days - 2, 0))
    frac = (x - j)[None, :]
    nxt = np.minimum(j + 1, days - 1)
    return smooth[:, j] * (1 - frac) + smooth[:, nxt] * frac


def _clip_across_weeks(values: np.ndarray) -> np.ndarray:
    """Clip each hour-of-week's values across weeks to median +- 4 scaled MADs (spikes)."""
    if values.shape[1] < 3:
        return values
    swapped = np.moveaxis(values, 1, -1)
    med = _nanmedian_last(swapped)
    mad = 1.4826 * _nanmedian_last(np.abs(swapped - med[..., None]))
    lo, hi = med - 4 * mad, med + 4 * mad
    return np.clip(values, lo[:, None, :], hi[:, None, :])


def _trend(daily: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Log growth per hour: the median week-over-week log change of the last daily medians."""
    recent = daily[:, -TREND_DAYS:]
    if recent.shape[1] <= 7:
        return np.zeros(daily.shape[0])
    logs = np.log(np.maximum(recent, floor[:, None]))
    change = logs[:, 7:] - logs[:, :-7]
    count = (~np.isnan(change)).sum(axis=1)
    beta = np.where(count >= 3, _nanmedian_last(change), 0.0)
    return np.clip(np.nan_to_num(beta), -MAX_GROWTH, MAX_GROWTH) / WEEK


def _seasonal(y: np.ndarray, horizon: int, fit: _Seasonal | None = None, point: np.ndarray | None = None) -> _Path:
    fit = fit or _fit_seasonal(y)
    P, n = y.shape
    last = fit.level_at.shape[1] - 1
    k = np.arange(horizon)
    elapsed = _damped(k + LEVEL_HOURS / 2 + 0.5)
    growth = np.exp(fit.beta[:, None] * elapsed[None, :])
    scale = fit.scale_at[:, :1] * growth
    origins = np.clip(np.minimum((n - fit.first - LEVEL_HOURS) // DAY, last), 0, MAX_ORIGINS)
    M = max(int(origins.max()), 1)
    L = min(horizon, DAY * M)
    o, t, valid = _past_origins(n, M, L)
    past = np.minimum(np.arange(1, M + 1), last)
    past_growth = growth[:, None, :L]
    past_profile = fit.profile[:, (t - n) % WEEK]
    denominator = fit.scale_at[:, past, None] * past_growth

    def past_errors(levels: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            errors = (y[:, t] - past_profile * np.nan_to_num(levels[:, past, None]) * past_growth) / denominator
        return np.where(valid[None], errors, np.nan)

    # The level: the last 12 hours, except in an intermittent pool (its 168-hour median below
    # half its mean usage) where the 168-hour median forecast the past weeks better
    # (mean absolute error over the past origins): short jobs in a mostly idle pool say little
    # about next week.
    fast, slow = past_errors(fit.level_at), past_errors(fit.slow_at)
    use_slow = (fit.slow_at[:, 0] < INTERMITTENT / FLOOR * fit.floor) & (_mean_abs(slow) < _mean_abs(fast))
    errors = np.where(use_slow[:, None, None], slow, fast)
    level = np.where(use_slow, fit.slow_at[:, 0], np.nan_to_num(fit.level_at[:, 0]))
    if point is None:
        point = fit.profile[:, k % WEEK] * level[:, None] * growth
    return _Path(point, scale, errors, origins)


def _mean_abs(errors: np.ndarray) -> np.ndarray:
    """Mean absolute value per pool over the finite entries (inf where there are none)."""
    finite = np.isfinite(errors)
    count = finite.sum(axis=(1, 2))
    total = np.where(finite, np.abs(errors), 0.0).sum(axis=(1, 2))
    return np.where(count > 0, total / np.maximum(count, 1), np.inf)


def _mstl_point(y: np.ndarray, horizon: int) -> np.ndarray:
    """MSTL point forecasts with statsforecast (seasonalities 24 and 168)."""
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import MSTL
    except ImportError:
        raise BackendUnavailableError(
            "The 'mstl' forecast method needs statsforecast: pip install 'resopt[forecast]'."
        ) from None
    P, n = y.shape
    first = _first_index(y)
    out = np.empty((P, horizon))
    lengths = n - first
    for seasons, mask in (([DAY, WEEK], lengths >= 2 * WEEK), ([DAY], lengths < 2 * WEEK)):
        rows = np.flatnonzero(mask)
        if not rows.size:
            continue
        ids = np.concatenate([np.full(lengths[p], p) for p in rows])
        ds = np.concatenate([np.arange(first[p], n) for p in rows])
        values = np.concatenate([y[p, first[p]:] for p in rows])
        frame = pd.DataFrame({"unique_id": ids, "ds": ds, "y": values})
        model = StatsForecast(models=[MSTL(season_length=seasons)], freq=1, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = model.forecast(df=frame, h=horizon)
        fc = fc.sort_values(["unique_id", "ds"])
        out[rows] = fc["MSTL"].to_numpy().reshape(rows.size, horizon)
    return np.maximum(out, 0.0)


def _mstl(y: np.ndarray, horizon: int) -> _Path:
    return _seasonal(y, horizon, point=_mstl_point(y, horizon))


_PATHS: dict[str, Callable[[np.ndarray, int], _Path]] = {
    "seasonal_naive": _seasonal_naive,
    "seasonal": _seasonal,
    "mstl": _mstl,
}


def _simulate(y: np.ndarray, method: str, horizon: int, draws: Draws) -> np.ndarray:
    """Scenarios ``(pools, S, horizon)`` of one method, in chunks of pools."""
    P = y.shape[0]
    S = draws.origin.size
    out = np.empty((P, S, horizon))
    step = P if method == "mstl" else CHUNK
    for lo in range(0, P, step):
        block = y[lo:lo + step]
        _PATHS[method](block, horizon).scenarios(horizon, draws, out[lo:lo + step])
    return out


# ----------------------------------------------------------------------------- backtest and the entry point


def _pinball(actual: np.ndarray, quantile: np.ndarray, tau: float) -> np.ndarray:
    diff = actual - quantile
    return np.maximum(tau * diff, (tau - 1) * diff).mean(axis=-1)


def _naive_scale(train: np.ndarray) -> np.ndarray:
    """Mean absolute in-sample error of ``y[t - 168]`` (NaN below two weeks)."""
    if train.shape[1] <= WEEK:
        return np.full(train.shape[0], np.nan)
    diff = np.abs(train[:, WEEK:] - train[:, :-WEEK])
    count = (~np.isnan(diff)).sum(axis=1)
    return np.where(count > 0, np.nansum(diff, axis=1) / np.maximum(count, 1), np.nan)


def backtest_arrays(history: np.ndarray, method: str, *, scenarios: int = 200, seed: int = 0) -> pd.DataFrame:
    """Hold out the last week, forecast it from the weeks before, and score the forecast per pool.

    Columns: ``mase`` (mean absolute error of the scenario median, divided by the
    mean absolute error of the in-sample seasonal-naive forecast ``y[t - 168]``;
    Hyndman and Koehler's MASE with m = 168; NaN below two training weeks),
    ``pinball_50`` and ``pinball_90`` (mean pinball loss of the 0.5 and 0.9
    quantiles, in units), ``coverage_90`` (share of held-out hours inside the 5-95%
    band), ``crps`` (mean pinball loss over the quantiles 0.1, ..., 0.9: the score
    ``"auto"`` uses), from ``min(scenarios, 100)`` scenarios. Pools with fewer than
    168 hours before the held-out week get NaN.

    Examples
    --------
    >>> week = np.tile(np.r_[np.full(8, 60.0), np.full(16, 100.0)], 7)  # the same week, 4 times
    >>> y = np.tile(week, 4)[None, :]
    >>> bt = backtest_arrays(y, "seasonal_naive")
    >>> float(bt["mase"].iloc[0]), float(bt["coverage_90"].iloc[0])
    (0.0, 1.0)
    """
    P, n = history.shape
    table = pd.DataFrame(np.nan, index=pd.RangeIndex(P), columns=["mase", "pinball_50", "pinball_90",
                                                                  "coverage_90", "crps"])
    if n < 2 * WEEK:
        return table
    train, actual = history[:, : n - WEEK], history[:, n - WEEK:]
    ok = (n - WEEK - _first_index(history)) >= WEEK
    ok &= ~np.isnan(actual).any(axis=1)
    rows = np.flatnonzero(ok)
    if not rows.size:
        return table
    draws = Draws.make(seed, min(scenarios, BACKTEST_SCENARIOS), WEEK)
    sims = _simulate(train[rows], method, WEEK, draws)
    taus = np.concatenate([[0.05, 0.5, 0.9, 0.95], SELECTION_QUANTILES])
    q = scenario_quantiles(sims, taus)  # (taus, pools, hours)
    truth = actual[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = _naive_scale(train[rows])
        mae = np.abs(truth - q[1]).mean(axis=1)
        table.loc[rows, "mase"] = np.where(scale > 0, mae / scale, np.where(mae == 0, 0.0, np.inf))
    table.loc[rows, "pinball_50"] = _pinball(truth, q[1], 0.5)
    table.loc[rows, "pinball_90"] = _pinball(truth, q[2], 0.9)
    table.loc[rows, "coverage_90"] = ((truth >= q[0]) & (truth <= q[3])).mean(axis=1)
    table.loc[rows, "crps"] = np.mean([_pinball(truth, q[4 + j], tau) for j, tau in enumerate(SELECTION_QUANTILES)], axis=0)
    return table


def forecast_arrays(history: np.ndarray, *, horizon_hours: int = 168, scenarios: int = 200, seed: int = 0,
                    method: str = "auto", backtest: bool = True) -> ArrayForecast:
    """Demand scenarios for every pool of a ``(pools, hours)`` hourly history.

    The array core of :func:`resopt.forecast_demand`: no tables, no validation of
    labels. A pool's history may start with NaN (a pool that started later) but
    needs 168 values after that, with no gaps (fill them first:
    :func:`resopt.planning.usage.fill_gaps`). Scenarios are the same for the same
    ``seed``.

    Parameters
    ----------
    method : {"auto", "seasonal", "seasonal_naive", "mstl"}
        See :mod:`resopt.planning.methods`. ``"auto"`` backtests ``"seasonal"`` and
        ``"seasonal_naive"`` on the last week of history and keeps ``"seasonal"``
        unless ``"seasonal_naive"`` had a ``crps`` at least 25% lower (``AUTO_MARGIN``;
        one week is a noisy judge, and in the decision backtest a plain "lowest crps"
        rule cost more than it saved); ``"seasonal"`` when the history is shorter than
        two weeks. ``"mstl"`` is not tried by ``"auto"``: ask for it by name.
    backtest : bool
        Also score the chosen method on the held-out last week (``"auto"`` always does).

    Examples
    --------
    >>> t = np.arange(3 * 168)
    >>> history = np.vstack([100 + 20 * np.sin(2 * np.pi * t / 24), np.full(t.size, 8.0)])
    >>> fc = forecast_arrays(history, horizon_hours=24, scenarios=50)
    >>> fc.scenarios.shape, list(fc.method)
    ((2, 50, 24), ['seasonal', 'seasonal'])
    >>> bool(np.allclose(fc.scenarios[1], 8.0))
    True
    """
    history = np.asarray(history, dtype=np.float64)
    if history.ndim != 2:
        raise InputError(f"history must be a 2-D array (pools, hours). Got shape {history.shape}.")
    methods = ("auto", *METHODS)
    if method not in methods:
        raise InputError(f"Unknown forecast method {method!r}. Choose from {', '.join(repr(m) for m in methods)}.")
    horizon_hours, scenarios = int(horizon_hours), int(scenarios)
    P, n = history.shape
    lengths = n - _first_index(history)
    all_nan = np.isnan(history).all(axis=1)
    if n < WEEK or (lengths < WEEK).any() or all_nan.any() or np.isnan(history[:, -WEEK:]).any():
        raise InputError("Every pool needs at least 168 hourly values (one full week) at the end of history.")
    inside = np.maximum.accumulate(~np.isnan(history), axis=1)
    if np.isnan(history[inside]).any():
        raise InputError("history has gaps (NaN after a pool's first value); fill them first.")
    draws = Draws.make(seed, scenarios, horizon_hours)
    if method == "auto":
        tables = {m: backtest_arrays(history, m, scenarios=scenarios, seed=seed) for m in ("seasonal", "seasonal_naive")}
        naive_better = tables["seasonal_naive"]["crps"].to_numpy() < (1 - AUTO_MARGIN) * tables["seasonal"]["crps"].to_numpy()
        chosen = np.where(naive_better, "seasonal_naive", "seasonal").astype(object)
        table = tables["seasonal"].copy()
        table[naive_better] = tables["seasonal_naive"][naive_better]
    else:
        chosen = np.full(P, method, dtype=object)
        table = backtest_arrays(history, method, scenarios=scenarios, seed=seed) if backtest else None
    out = np.empty((P, scenarios, horizon_hours))
    for name in pd.unique(chosen):
        rows = np.flatnonzero(chosen == name)
        out[rows] = _simulate(history[rows], str(name), horizon_hours, draws)
    if table is None:
        table = pd.DataFrame(np.nan, index=pd.RangeIndex(P), columns=["mase", "pinball_50", "pinball_90",
                                                                      "coverage_90", "crps"])
    table.insert(0, "method", chosen)
    return ArrayForecast(out, chosen, table)
