"""Reading usage exports: messy long tables in, one clean hourly array per fleet out.

Real exports (Prometheus with DCGM metrics, billing exports) arrive unsorted, with
samples finer than an hour, several rows per pool and time (one per node or
account), gaps and time zones. :func:`read_usage` turns them into a
:class:`UsageHistory`:

1. Timestamps: datetimes, ISO 8601 strings (with or without a zone) or integer
   hours (numbers; a fractional hour belongs to the hour it falls in). Zoned times
   are converted to UTC for the work; results are shown in the zone of the first
   row. Times without a zone are taken as they are (as UTC).
2. Rows with the same pool and the same timestamp are *summed* (one row per node
   or account); the sums within one hour are then *averaged* (sub-hourly samples).
3. Every pool runs on one hourly grid from its first hour to the last hour seen in
   any pool. Missing hours are filled, never read as zero: a gap of at most
   :data:`SHORT_GAP` hours by linear interpolation between its neighbours; a longer
   gap (or one at the end) by the same hour of the nearest week that has it (one week
   back, one week ahead, two weeks back, ...), and where no week has it, by the
   nearest observed value. The filled hours are flagged and counted per pool.
4. Each pool needs at least 168 observed hours (one full week).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import TableLike, as_frame, check_columns, column_error, numeric_column, text_column
from ..errors import InputError

__all__ = ["UsageHistory", "read_usage", "fill_gaps", "SHORT_GAP", "MIN_HOURS"]

TABLE = "usage"
WEEK = 168
#: Gaps of at most this many hours are filled by linear interpolation.
SHORT_GAP = 3
#: Observed hours every pool needs.
MIN_HOURS = WEEK
_NS_PER_HOUR = 3_600_000_000_000


@dataclass
class UsageHistory:
    """A fleet's cleaned hourly usage.

    Attributes
    ----------
    pools : list of str
        Pool names, sorted.
    used : ndarray, shape (pools, hours)
        Units in use per hour on the common grid; NaN before a pool's first hour.
    filled : ndarray of bool, shape (pools, hours)
        Hours that were missing and filled in.
    start : int
        The first grid hour: hours since 1970-01-01 00:00 UTC, or the integer hour.
    zone : str or tzinfo or None
        ``"hour"`` for integer hours; the display zone of zoned times; None for
        times without a zone.
    """

    pools: list[str]
    used: np.ndarray
    filled: np.ndarray
    start: int
    zone: Any

    @property
    def num_hours(self) -> int:
        return self.used.shape[1]

    @property
    def filled_hours(self) -> pd.Series:
        """Filled hours per pool."""
        return pd.Series(self.filled.sum(axis=1), index=pd.Index(self.pools, name="pool"), name="filled_hours")

    def times(self, offset: int = 0, count: int | None = None) -> pd.Index:
        """Display labels of grid hours ``offset .. offset + count - 1`` (may run past the history)."""
        count = self.num_hours - offset if count is None else count
        first = self.start + offset
        if self.zone == "hour":
            return pd.Index(np.arange(first, first + count, dtype=np.int64), name="timestamp")
        stamps = pd.date_range(pd.Timestamp(first * _NS_PER_HOUR), periods=count, freq="h", name="timestamp")
        if self.zone is not None:
            stamps = stamps.tz_localize("UTC").tz_convert(self.zone)
        return stamps

    def to_frame(self) -> pd.DataFrame:
        """The long table ``pool, timestamp, used, filled`` (from each pool's first hour)."""
        P, n = self.used.shape
        keep = ~np.isnan(self.used).ravel()
        times = self.times()
        return pd.DataFrame({
            "pool": np.repeat(np.array(self.pools, dtype=object), n)[keep],
            "timestamp": np.tile(times, P)[keep] if self.zone in ("hour", None) else times[np.tile(np.arange(n), P)[keep]],
            "used": self.used.ravel()[keep],
            "filled": self.filled.ravel()[keep],
        })


def read_usage(usage: TableLike) -> UsageHistory:
    """Validate and clean a usage table (``timestamp``, ``pool``, ``used``); see the module docstring.

    Raises
    ------
    InputError
        Missing columns, a missing or unparseable timestamp, missing pool names,
        negative, NaN or infinite usage, or a pool with fewer than 168 hours.

    Examples
    --------
    >>> rows = {"timestamp": ["2026-01-05T00:10:00Z", "2026-01-05T00:40:00Z", "2026-01-05T00:10:00Z"],
    ...         "pool": ["h100"] * 3, "used": [4.0, 6.0, 2.0]}
    >>> read_usage(rows)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    InputError: Pool 'h100' has 1 hour of usage; ...
    """
    frame = as_frame(usage, TABLE)
    check_columns(frame, TABLE, ["timestamp", "pool", "used"])
    if len(frame) == 0:
        raise InputError("usage has no rows; every pool needs at least 168 hours (one full week).")
    pool = text_column(frame, TABLE, "pool")
    empty = np.flatnonzero(pool == "")
    if empty.size:
        raise column_error(TABLE, "pool", "must not be empty", frame, int(empty[0]), frame["pool"].iloc[int(empty[0])])
    used = numeric_column(frame, TABLE, "used", minimum=0)
    exact, zone = _read_times(frame)
    hour = exact // _NS_PER_HOUR if zone != "hour" else exact
    codes, names = pd.factorize(pool, sort=True)
    # Rows with the same pool and exact time are summed; the sums are averaged per hour.
    per_time = pd.DataFrame({"p": codes, "exact": exact, "hour": hour, "used": used})
    per_time = per_time.groupby(["p", "exact"], sort=False).agg(hour=("hour", "first"), used=("used", "sum"))
    per_hour = per_time.groupby(["p", "hour"], sort=False)["used"].mean()
    p_idx = per_hour.index.get_level_values(0).to_numpy()
    h_idx = per_hour.index.get_level_values(1).to_numpy().astype(np.int64)
    observed_hours = np.bincount(p_idx, minlength=len(names))
    short = np.flatnonzero(observed_hours < MIN_HOURS)
    if short.size:
        p = int(short[0])
        count = int(observed_hours[p])
        raise InputError(
            f"Pool {names[p]!r} has {count} hour{'s' if count != 1 else ''} of usage; at least {MIN_HOURS} "
            "(one full week) are needed for a forecast."
        )
    start = int(h_idx.min())
    n = int(h_idx.max()) - start + 1
    grid = np.full((len(names), n), np.nan)
    grid[p_idx, h_idx - start] = per_hour.to_numpy()
    values, filled = fill_gaps(grid)
    return UsageHistory([str(x) for x in names], values, filled, start, zone)


def _read_times(frame: pd.DataFrame) -> tuple[np.ndarray, Any]:
    """Exact times as int64 (ns since the epoch, UTC) and the display zone; integer hours as ``"hour"``."""
    raw = frame["timestamp"]
    missing = pd.isna(raw).to_numpy()
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise column_error(TABLE, "timestamp", "must not have missing values", frame, pos, raw.iloc[pos])
    if raw.dtype.kind in "iuf":
        values = raw.to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise column_error(TABLE, "timestamp", "must be finite", frame, int(bad[0]), raw.iloc[int(bad[0])])
        return np.floor(values).astype(np.int64), "hour"
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return _ns(raw.dt.tz_convert("UTC").dt.tz_localize(None)), raw.dt.tz
    if raw.dtype.kind == "M":
        return _ns(raw), None
    first = raw.iloc[0]
    try:
        parsed = pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):
        parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    # pandas 3 parses strings at the resolution they carry (often microseconds): convert to ns.
    ns = _ns(parsed.dt.tz_convert(None))
    bad = np.flatnonzero(pd.isna(parsed).to_numpy())
    if bad.size:
        # Try each failing value on its own (pandas gives up on a whole column for some mixes).
        retry = pd.DatetimeIndex([_one_time(v) for v in raw.iloc[bad]], dtype="datetime64[ns, UTC]")
        ns[bad] = retry.asi8
        still = bad[retry.isna()]
        if still.size:
            pos = int(still[0])
            raise column_error(TABLE, "timestamp", "must be a date-time (ISO 8601) or an integer hour",
                               frame, pos, raw.iloc[pos])
    return ns, _zone_of(first)


def _one_time(value: Any) -> Any:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return pd.NaT
    if stamp is pd.NaT:
        return pd.NaT
    return stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp.tz_localize("UTC")


def _zone_of(value: Any) -> Any:
    try:
        return pd.Timestamp(value).tzinfo
    except (ValueError, TypeError):
        return None


def _ns(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def fill_gaps(grid: np.ndarray, *, short_gap: int = SHORT_GAP) -> tuple[np.ndarray, np.ndarray]:
    """Fill the NaN hours of ``grid`` (pools x hours) after each pool's first value.

    Returns the filled array (leading NaN kept) and the mask of filled hours. See
    the module docstring for the rule.

    Examples
    --------
    >>> grid = np.array([[1.0, np.nan, 3.0, 4.0]])
    >>> fill_gaps(grid)[0]
    array([[1., 2., 3., 4.]])
    """
    observed = ~np.isnan(grid)
    started = np.maximum.accumulate(observed, axis=1)
    missing = started & ~observed
    if not missing.any():
        return grid.copy(), missing
    P, n = grid.shape
    # Length of the gap each missing hour belongs to, and whether it is closed on the right.
    padded = np.concatenate([missing, np.zeros((P, 1), bool)], axis=1).ravel()
    edges = np.diff(np.concatenate([[0], padded.astype(np.int8)]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    run_length = np.zeros(padded.size, dtype=np.int64)
    lengths = ends - starts
    run_length[starts] = lengths
    run_length[ends] = -lengths
    run_length = np.cumsum(run_length).reshape(P, n + 1)[:, :n]
    right_closed = _run_flag(padded, starts, ends, (ends % (n + 1)) < n).reshape(P, n + 1)[:, :n]
    linear = pd.DataFrame(grid.T).interpolate(method="linear", limit_area="inside").to_numpy().T
    out = grid.copy()
    use_linear = missing & (run_length <= short_gap) & right_closed
    out[use_linear] = linear[use_linear]
    todo = missing & ~use_linear
    weeks = (n - 1) // WEEK
    for k in range(1, weeks + 1):
        if not todo.any():
            break
        for shift in (k * WEEK, -k * WEEK):
            source = np.full_like(grid, np.nan)
            if shift > 0:
                source[:, shift:] = np.where(observed[:, :-shift], grid[:, :-shift], np.nan)
            else:
                source[:, :shift] = np.where(observed[:, -shift:], grid[:, -shift:], np.nan)
            take = todo & ~np.isnan(source)
            out[take] = source[take]
            todo &= ~take
    if todo.any():
        nearest = pd.DataFrame(np.where(observed, grid, np.nan).T).ffill().bfill().to_numpy().T
        out[todo] = nearest[todo]
    return out, missing


def _run_flag(padded: np.ndarray, starts: np.ndarray, ends: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Spread one boolean per run of True in ``padded`` over the run's cells."""
    marks = np.zeros(padded.size + 1, dtype=np.int64)
    np.add.at(marks, starts, flag.astype(np.int64))
    np.add.at(marks, ends, -flag.astype(np.int64))
    return np.cumsum(marks)[:-1] > 0
