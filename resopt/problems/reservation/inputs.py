"""Validation of the reservation-sizing inputs: tables in, per-pool arrays out.

Everything below this module works on :class:`ReservationData`: one
``(scenarios, hours)`` float64 block of demand per pool, the pool's prices as
plain floats and its recourse :class:`Tiers` in the order they fill.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..._validate import (
    MAX_AMOUNT,
    MAX_COST,
    MAX_PRICE,
    TableLike,
    as_frame,
    check_columns,
    check_flag,
    check_scalar,
    check_unique,
    column_error,
    limit_text,
    numeric_column,
    row_location,
    text_column,
)
from ...backends import BackendRegistry
from ...errors import InputError

__all__ = ["Tiers", "ReservationData", "PoolSubproblem", "read_inputs", "read_arrays", "read_prices",
           "validate_options"]

DEMAND, PRICES = "demand", "prices"
#: Recourse options, in the order used to break price ties.
RECOURSE = ("on_demand", "spot", "shortfall")
#: Columns of each table: required, then optional.
DEMAND_COLUMNS, DEMAND_OPTIONAL = ("pool", "hour", "demand"), ("scenario",)
PRICE_COLUMNS = ("pool", "reserved", "on_demand")
PRICE_OPTIONAL = ("existing", "spot", "shortfall_penalty", "spot_limit", "on_demand_limit", "reserve_limit")


@dataclass(frozen=True)
class Tiers:
    """One pool's recourse, cheapest first: ``names[k]`` costs ``price[k]`` per unit-hour
    for up to ``limit[k]`` units per hour (``inf``: unlimited).

    Tiers after the first unlimited one can never be used and are dropped.
    ``start[k]`` is the excess demand at which tier ``k`` starts to fill.
    """

    names: tuple[str, ...]
    price: np.ndarray
    limit: np.ndarray

    @property
    def start(self) -> np.ndarray:
        return np.concatenate(([0.0], np.cumsum(self.limit)[:-1]))

    @property
    def capacity(self) -> float:
        """Units per hour the recourse can serve at most (``inf``: unlimited)."""
        return float(self.limit.sum()) if self.limit.size else 0.0

    @classmethod
    def build(cls, options: Sequence[tuple[str, float, float]]) -> Tiers:
        """Order ``(name, price, limit)`` options by price (stable) and drop unusable ones."""
        ordered = sorted((o for o in options if not math.isnan(o[1])), key=lambda o: o[1])
        kept = []
        for name, price, limit in ordered:
            kept.append((name, price, limit))
            if math.isinf(limit):
                break
        return cls(
            tuple(k[0] for k in kept),
            np.array([k[1] for k in kept], dtype=np.float64),
            np.array([k[2] for k in kept], dtype=np.float64),
        )


@dataclass
class ReservationData:
    """A validated instance. Arrays of length ``P`` are indexed like ``pools``.

    ``blocks[p]`` is pool ``p``'s demand, shape ``(scenarios_p, hours)``;
    ``hours`` labels the second axis and is the same for every pool. Blocks may
    be read-only views of the caller's table: never write into them.
    """

    pools: list[str]
    hours: pd.Index
    blocks: list[np.ndarray]
    reserved: np.ndarray
    on_demand: np.ndarray
    existing: np.ndarray
    reserve_limit: np.ndarray
    tiers: list[Tiers]
    service_level: float | None
    safety_margin: float
    integer: bool
    _sorted: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def sorted_demand(self, p: int) -> np.ndarray:
        """Pool ``p``'s demand values sorted ascending, computed once and kept until
        :meth:`forget_sorted`, so the floors and the exact search share one sort."""
        values = self._sorted.get(p)
        if values is None:
            values = self._sorted[p] = np.sort(self.blocks[p], axis=None)
        return values

    def forget_sorted(self) -> None:
        """Drop the sorted copies (as much memory as the demand itself)."""
        self._sorted.clear()

    @property
    def num_pools(self) -> int:
        return len(self.pools)

    @property
    def num_hours(self) -> int:
        return len(self.hours)


@dataclass(frozen=True, eq=False)
class PoolSubproblem:
    """What one backend call solves: new units ``R_p`` in ``[lower_p, upper_p]`` for the ``active`` pools.

    ``previous``: new units per pool from an earlier call over a wider range, or None.
    Each pool's cost is convex in ``R_p``, so clipping that answer into this range is
    optimal: a backend may use it instead of searching again.
    """

    data: ReservationData
    lower: np.ndarray
    upper: np.ndarray
    active: np.ndarray
    previous: np.ndarray | None = None


# ----------------------------------------------------------------------------- options


def validate_options(integer: Any, backend: Any, time_limit: Any, mip_gap: Any, *,
                     backends: BackendRegistry) -> tuple[bool, float | None, float | None]:
    """Check the solve options of :func:`~resopt.size_reservations`; return ``(integer, time_limit, mip_gap)``.

    ``integer`` must be a bool, ``backend`` ``"auto"`` or a name in ``backends``,
    ``time_limit`` None or seconds > 0, ``mip_gap`` None or a number in ``[0, 1]``.
    (``service_level`` and ``safety_margin`` belong to the instance: :func:`read_inputs`
    checks them with the tables.)

    Raises
    ------
    InputError
        Naming the option and the value.

    Examples
    --------
    >>> from resopt.problems.reservation import BACKENDS
    >>> validate_options(False, "highs", None, 1e-4, backends=BACKENDS)
    (False, None, 0.0001)
    """
    return (check_flag(integer, "integer"), *backends.check_options(backend, time_limit, mip_gap))


# ----------------------------------------------------------------------------- prices


def read_prices(prices: TableLike) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Check the price table; return it and its columns as float arrays (plus ``pool`` labels).

    Empty ``spot`` means no spot market; empty ``spot_limit``, ``on_demand_limit``
    and ``reserve_limit`` mean unlimited; empty ``shortfall_penalty`` means demand
    must be met.
    """
    frame = as_frame(prices, PRICES)
    check_columns(frame, PRICES, PRICE_COLUMNS, PRICE_OPTIONAL)
    cols: dict[str, np.ndarray] = {"pool": text_column(frame, PRICES, "pool")}
    check_unique(cols["pool"], PRICES, "pool", frame)
    for name in ("reserved", "on_demand"):
        cols[name] = numeric_column(frame, PRICES, name, minimum=0, maximum=MAX_PRICE)
    cols["existing"] = numeric_column(frame, PRICES, "existing", default=0.0, minimum=0, maximum=MAX_AMOUNT)
    for name in ("spot", "shortfall_penalty"):
        cols[name] = numeric_column(frame, PRICES, name, default=math.nan, minimum=0, maximum=MAX_PRICE,
                                    allow_missing=True)
    for name in ("spot_limit", "on_demand_limit", "reserve_limit"):
        values = numeric_column(frame, PRICES, name, default=math.inf, minimum=0, maximum=MAX_AMOUNT,
                                allow_missing=True, allow_inf=True)
        cols[name] = np.where(np.isnan(values), math.inf, values)
    _reject(np.isnan(cols["spot"]) & np.isfinite(cols["spot_limit"]), frame, PRICES, "spot_limit",
            "must be empty where 'spot' is empty (no spot market)")
    return frame, cols


def _reject(mask: np.ndarray, frame: pd.DataFrame, table: str, column: str, rule: str,
            values: pd.Series | None = None) -> None:
    """Raise InputError at the first row flagged by ``mask``, naming the column, row and value."""
    bad = np.flatnonzero(mask)
    if bad.size:
        pos = int(bad[0])
        raise column_error(table, column, rule, frame, pos, (frame[column] if values is None else values).iloc[pos])


def _warn_expensive_reservations(cols: dict[str, np.ndarray]) -> None:
    above = np.flatnonzero(cols["reserved"] > cols["on_demand"])
    if above.size:
        names = ", ".join(repr(cols["pool"][i]) for i in above[:5])
        more = f" and {above.size - 5} more" if above.size > 5 else ""
        first = int(above[0])
        warnings.warn(
            f"The reserved price is above the on-demand price in pool(s) {names}{more} "
            f"(e.g. {cols['reserved'][first]:g} > {cols['on_demand'][first]:g} per unit-hour). "
            "Reserving then only pays off when on-demand and spot are limited or demand must be met; "
            "check the price table.",
            UserWarning,
            stacklevel=5,
        )


def _tiers(cols: dict[str, np.ndarray], i: int) -> Tiers:
    return Tiers.build([
        ("on_demand", float(cols["on_demand"][i]), float(cols["on_demand_limit"][i])),
        ("spot", float(cols["spot"][i]), float(cols["spot_limit"][i])),
        ("shortfall", float(cols["shortfall_penalty"][i]), math.inf),
    ])


# ----------------------------------------------------------------------------- demand


#: Run-length factorizing pays off while a column has at most one run per this many rows.
RUN_ROWS = 16


def _dense_codes(values: np.ndarray) -> tuple[np.ndarray, pd.Index] | None:
    """Codes (sorted labels) of whole numbers in a compact range, without hashing; None if not compact.

    When every number from the smallest to the largest occurs (hours ``0..T-1``,
    scenarios ``0..S-1``), the codes are the values themselves, shifted: no copy
    when they are int64 starting at 0.
    """
    low, high = int(values.min()), int(values.max())
    if high - low > 4 * values.size + 1024 or high > np.iinfo(np.int64).max:
        return None
    offset = values if low == 0 and values.dtype == np.int64 else np.subtract(values, low, dtype=np.int64)
    present = np.bincount(offset, minlength=high - low + 1) > 0
    if present.all():
        return offset, pd.RangeIndex(low, high + 1)
    position = np.cumsum(present) - 1
    return position[offset], pd.Index(np.flatnonzero(present) + low)


def _category_codes(raw: pd.Series) -> tuple[np.ndarray, pd.Index] | None:
    """Codes of a categorical column grouped by its codes, read from the categorical itself.

    No hashing, and no copy when every category is used. The labels come in order
    of first appearance, as :func:`pandas.factorize` gives them; missing values keep
    code -1. None when the codes are not in ascending order (hash them instead).
    """
    categorical = raw.array
    codes = np.asarray(categorical.codes)
    starts = _run_starts(codes)
    used = codes[starts]
    if used.size > 1 and not (used[1:] > used[:-1]).all():
        return None
    if used[0] < 0:
        return codes, pd.Index([])  # missing values: rejected by the caller
    categories = categorical.categories
    if used.size == len(categories):
        return codes, pd.Index(categories)
    position = np.zeros(len(categories), dtype=np.int64)
    position[used] = np.arange(used.size)
    return position[codes], pd.Index(categories[used])


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal neighbours in ``values`` starts (0 first)."""
    starts = np.flatnonzero(values[1:] != values[:-1])
    starts += 1
    return np.concatenate(([0], starts))


def _run_codes(values: np.ndarray, sort: bool) -> tuple[np.ndarray, pd.Index] | None:
    """Codes of an object column made of long runs of equal labels (a table grouped by pool).

    Labels are compared with their neighbours once and only the first of each run
    is hashed; the codes and labels are those :func:`pandas.factorize` gives.
    None when the column has too many runs (or labels that cannot be compared).
    """
    if values.dtype != object or values.size < 2 * RUN_ROWS:
        return None
    try:
        starts = _run_starts(values)
    except (TypeError, ValueError):  # pd.NA and friends have no truth value
        return None
    if starts.size > values.size // RUN_ROWS:
        return None
    run_codes, labels = pd.factorize(values[starts], sort=sort, use_na_sentinel=True)
    narrow = next(d for d in (np.int8, np.int16, np.int32, np.int64) if len(labels) <= np.iinfo(d).max)
    return np.repeat(run_codes.astype(narrow), np.diff(starts, append=values.size)), pd.Index(labels)


def _factorize(raw: pd.Series, sort: bool) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1: missing) and labels of a column, by the cheapest exact route its dtype allows."""
    if raw.dtype.kind in "iu" and len(raw):
        dense = _dense_codes(raw.to_numpy())
        if dense is not None:
            return dense
    found = None
    if isinstance(raw.dtype, pd.CategoricalDtype) and not sort:
        found = _category_codes(raw)
    elif raw.dtype == object:
        found = _run_codes(raw.to_numpy(), sort)
    if found is not None:
        return found
    codes, uniques = pd.factorize(raw, sort=sort, use_na_sentinel=True)
    return codes, pd.Index(uniques)


def _codes(frame: pd.DataFrame, column: str, raw: pd.Series | None = None,
           sort: bool = False) -> tuple[np.ndarray, pd.Index]:
    """Factorize a label column (vectorized; ``raw``: its converted values), rejecting missing labels."""
    raw = frame[column] if raw is None else raw
    codes, uniques = _factorize(raw, sort=sort)
    if raw.dtype.kind not in "iu" and codes.size and codes.min() < 0:
        _reject(codes < 0, frame, DEMAND, column, "must not have missing values")
    return codes, uniques


def _hour_codes(frame: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    raw = frame["hour"]
    if not (pd.api.types.is_datetime64_any_dtype(raw) or pd.api.types.is_numeric_dtype(raw)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not infer format": parsed one by one
            converted = pd.to_datetime(raw, errors="coerce")
        _reject(converted.isna().to_numpy() & raw.notna().to_numpy(), frame, DEMAND, "hour",
                "must hold integers or timestamps")
        raw = converted
    if pd.api.types.is_numeric_dtype(raw) and raw.dtype.kind not in "iu":
        numeric_column(frame, DEMAND, "hour", integer=True)
        raw = raw.astype(np.int64)
    return _codes(frame, "hour", raw, sort=True)


def _label(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _demand_values(frame: pd.DataFrame) -> np.ndarray:
    """The ``demand`` column as float64: a float column within range is used as it is (two
    reductions, no copy); anything else goes through the full checks for their messages."""
    raw = frame["demand"]
    if raw.dtype == np.float64:
        values = raw.to_numpy(copy=False)
        if values.min() >= 0 and values.max() <= MAX_AMOUNT:  # NaN fails both
            return values
    return numeric_column(frame, DEMAND, "demand", minimum=0, maximum=MAX_AMOUNT)


#: Rows per slice when checking the order of a long table (keys of one slice fit in cache).
ORDER_ROWS = 1 << 18


def _cell_keys(p: np.ndarray, s: np.ndarray, t: np.ndarray, S: int, T: int) -> np.ndarray:
    """``(p * S + s) * T + t`` as int64, in one array updated in place (``s`` may be one value)."""
    key = np.multiply(p, S, dtype=np.int64)
    key += s
    key *= T
    key += t
    return key


def _in_cell_order(p: np.ndarray, s: np.ndarray, t: np.ndarray, S: int, T: int) -> bool:
    """Whether the rows are exactly the cells ``(pool, scenario, hour)`` in order, each once.

    The keys are strictly increasing from 0 over ``P * S * T`` rows, so they are
    ``0, 1, ...``. Checked a slice at a time: no table-sized temporary.
    """
    last = -1
    for lo in range(0, p.size, ORDER_ROWS):
        part = slice(lo, lo + ORDER_ROWS)
        key = _cell_keys(p[part], s if s.size == 1 else s[part], t[part], S, T)
        if key[0] <= last or not (key[1:] > key[:-1]).all():
            return False
        last = int(key[-1])
    return True


def _check_duplicates(frame: pd.DataFrame, key: np.ndarray, size: int, labels: tuple[pd.Index, ...],
                      codes: tuple[np.ndarray, ...]) -> None:
    dup = np.flatnonzero(np.bincount(key, minlength=size) > 1)
    rows = np.flatnonzero(key == dup[0])[:2]
    (pools, scenarios, hours), (p, s, t) = labels, codes
    raise InputError(
        f"Each (pool, scenario, hour) must appear once in {DEMAND}. Got pool {pools[p[rows[0]]]!r}, "
        f"scenario {_label(scenarios[s[rows[0]]])!r}, hour {_label(hours[t[rows[0]]])!r} at "
        f"{row_location(frame, rows)}."
    )


def _check_even(per_pair: np.ndarray, scenarios: pd.Index, hours: pd.Index, pools: pd.Index) -> np.ndarray:
    """Which (pool, scenario) pairs occur; every one must cover the same hours."""
    present = per_pair.any(axis=2)
    uneven = present[:, :, None] & ~per_pair
    if uneven.any():
        bad_pairs = np.argwhere(uneven.any(axis=2))
        listed = []
        for pi, si in bad_pairs[:5]:
            lacking = [_label(h) for h in hours[np.flatnonzero(uneven[pi, si])[:5]]]
            listed.append(f"(pool {pools[pi]!r}, scenario {_label(scenarios[si])!r}) lacking hours {lacking}"
                          + (" ..." if uneven[pi, si].sum() > 5 else ""))
        more = f"; and {len(bad_pairs) - 5} more" if len(bad_pairs) > 5 else ""
        raise InputError(
            f"Every (pool, scenario) in {DEMAND} must cover the same hours ({len(hours)} distinct hours appear "
            "in the table). "
            f"Got {'; '.join(listed)}{more}."
        )
    return present


def _cube(frame: pd.DataFrame, values: np.ndarray) -> tuple[list[str], pd.Index, list[np.ndarray]]:
    """Scatter the long table into one ``(scenarios, hours)`` block per pool, checking coverage.

    A table already ordered by (pool, scenario, hour) and complete, as
    :attr:`ForecastResult.scenarios <resopt.planning.ForecastResult.scenarios>`
    writes it, is not scattered: its demand column is viewed as the cube (read-only).
    """
    p, pools = _codes(frame, "pool")
    if "scenario" in frame.columns:
        s, scenarios = _codes(frame, "scenario")
    else:
        s, scenarios = np.zeros(1, dtype=np.int64), pd.Index([0])
    t, hours = _hour_codes(frame)
    P, S, T = len(pools), len(scenarios), len(hours)
    if p.size == P * S * T and _in_cell_order(p, s, t, S, T):
        cube = values.reshape(P, S, T).view()
        cube.flags.writeable = False
        return [str(x).strip() for x in pools], hours, list(cube)
    key = _cell_keys(p, s, t, S, T)
    filled = np.zeros(P * S * T, dtype=bool)
    filled[key] = True
    count = np.count_nonzero(filled)
    if count != key.size:
        _check_duplicates(frame, key, P * S * T, (pools, scenarios, hours), (p, np.broadcast_to(s, p.shape), t))
    if count == P * S * T:
        present = np.ones((P, S), dtype=bool)
    else:
        present = _check_even(filled.reshape(P, S, T), scenarios, hours, pools)
    del filled
    cube = np.empty((P, S, T), dtype=np.float64)
    cube.reshape(-1)[key] = values
    full = bool(present.all())
    blocks = [cube[i] if full else cube[i][present[i]] for i in range(P)]
    return [str(x).strip() for x in pools], hours, blocks


def _check_pools_priced(frame: pd.DataFrame, demand_pools: list[str], priced: np.ndarray) -> None:
    known = set(priced.tolist())
    unknown = [name for name in demand_pools if name not in known]
    if unknown:
        labels = frame["pool"].astype(str).str.strip()
        more = f" ({len(unknown)} such pools: {unknown[:5]})" if len(unknown) > 1 else ""
        _reject((labels == unknown[0]).to_numpy(), frame, DEMAND, "pool",
                f"names a pool that is not in {PRICES}{more}")


def _options(service_level: Any, safety_margin: Any, integer: Any) -> tuple[float | None, float, bool]:
    alpha = check_scalar(service_level, "service_level", minimum=0, strict_minimum=True, maximum=1,
                         allow_none=True)
    margin = check_scalar(safety_margin, "safety_margin", minimum=0)
    return alpha, float(margin), check_flag(integer, "integer")


def _check_cost_scale(pools: list[str], hours: pd.Index, blocks: list[np.ndarray],
                      cols: dict[str, np.ndarray]) -> None:
    """Each pool's cost is at most its dearest price x (peak demand + existing) x hours: keep it in range."""
    price = np.fmax.reduce([cols[k] for k in ("reserved", "on_demand", "spot", "shortfall_penalty")])
    peak = np.array([float(block.max()) for block in blocks])
    bound = price * (peak + cols["existing"]) * len(hours)
    worst = int(np.argmax(bound))
    if bound[worst] > MAX_COST:
        raise InputError(
            f"The cost of pool {pools[worst]!r} could reach {bound[worst]:.3g} (its dearest price "
            f"{price[worst]:g} x peak demand plus existing units {peak[worst] + cols['existing'][worst]:g} x "
            f"{len(hours)} hours), above {limit_text(MAX_COST)}, the largest plan cost accepted: beyond it the "
            "arithmetic of a plan is meaningless. Check the demand and prices of that pool (units and currency)."
        )


def _assemble(pools: list[str], hours: pd.Index, blocks: list[np.ndarray], cols: dict[str, np.ndarray],
              options: tuple[float | None, float, bool]) -> ReservationData:
    _check_cost_scale(pools, hours, blocks, cols)
    _warn_expensive_reservations(cols)
    alpha, margin, integer = options
    limit = cols["reserve_limit"]
    return ReservationData(
        pools=pools,
        hours=hours,
        blocks=blocks,
        reserved=cols["reserved"],
        on_demand=cols["on_demand"],
        existing=cols["existing"],
        reserve_limit=np.floor(limit) if integer else limit,
        tiers=[_tiers(cols, i) for i in range(len(pools))],
        service_level=alpha,
        safety_margin=margin,
        integer=integer,
    )


def read_inputs(demand: TableLike, prices: TableLike, *, service_level: Any, safety_margin: Any,
                integer: Any) -> ReservationData:
    """Validate the two tables and the options of :func:`size_reservations`.

    Raises
    ------
    InputError
        Naming the table, the column, the row label and the value of the first problem found.
    """
    options = _options(service_level, safety_margin, integer)
    frame = as_frame(demand, DEMAND)
    check_columns(frame, DEMAND, DEMAND_COLUMNS, DEMAND_OPTIONAL)
    if len(frame) == 0:
        raise InputError(f"{DEMAND} has no rows.")
    _, cols = read_prices(prices)
    values = _demand_values(frame)
    pools, hours, blocks = _cube(frame, values)
    _check_pools_priced(frame, pools, cols["pool"])
    pos = pd.Index(cols["pool"]).get_indexer(pd.Index(pools))
    cols = {k: v[pos] for k, v in cols.items()}
    return _assemble(pools, hours, blocks, cols, options)


def read_arrays(demand: Any, prices: TableLike, *, hours: Any, service_level: Any, safety_margin: Any,
                integer: Any) -> ReservationData:
    """Validate a ``(pools, scenarios, hours)`` demand array whose pools follow the rows of ``prices``."""
    options = _options(service_level, safety_margin, integer)
    _, cols = read_prices(prices)
    cube = np.asarray(demand)
    if cube.ndim != 3 or cube.shape[0] != len(cols["pool"]) or cube.shape[1] == 0 or cube.shape[2] == 0:
        raise InputError(
            f"demand must be an array of shape (pools, scenarios, hours) with one pool per row of prices "
            f"({len(cols['pool'])}). Got shape {cube.shape}."
        )
    if cube.dtype != np.float64:
        if not np.issubdtype(cube.dtype, np.number) or np.issubdtype(cube.dtype, np.complexfloating):
            raise InputError(f"demand must be a real numeric array. Got dtype {cube.dtype}.")
        cube = cube.astype(np.float64)
    blocks = []
    for i, block in enumerate(cube):
        bad = ~((block >= 0) & (block <= MAX_AMOUNT))
        if bad.any():
            s, t = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), block.shape)
            raise InputError(
                f"The demand array must be non-negative and at most {limit_text(MAX_AMOUNT)} (the largest value "
                f"accepted). Got {float(block[s, t])!r} at "
                f"pool {cols['pool'][i]!r} (index {i}), scenario index {s}, hour index {t}."
            )
        blocks.append(block)
    labels = pd.RangeIndex(cube.shape[2]) if hours is None else pd.Index(hours)
    if len(labels) != cube.shape[2]:
        raise InputError(f"hours must have one label per hour ({cube.shape[2]}). Got {len(labels)}.")
    return _assemble([str(x) for x in cols["pool"]], labels, blocks, cols, options)
