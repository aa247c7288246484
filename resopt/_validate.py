"""Input validation at the boundary: tables in, clean NumPy arrays out.

Every check raises :class:`~resopt.errors.InputError` with one message that
names the table, the column, the row label and the offending value, in the
style "The 'capacity' column of devices must be non-negative. Got -3 at row
'gpu-7'." Nothing below this module sees pandas objects it has not checked.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Union

import numpy as np
import pandas as pd

from .errors import InputError

#: What a public function accepts as a table: a DataFrame, or a mapping of column name to a
#: sequence (list, array, Series) with one entry per row. :func:`as_frame` converts it.
TableLike = Union[pd.DataFrame, Mapping[str, Any]]

__all__ = [
    "TableLike",
    "as_frame",
    "require_columns",
    "check_columns",
    "check_names",
    "check_flag",
    "near_miss",
    "numeric_column",
    "bool_column",
    "text_column",
    "check_unique",
    "check_scalar",
    "check_time_limit",
    "check_mip_gap",
    "column_error",
    "row_location",
    "limit_text",
    "MAX_AMOUNT",
    "MAX_PRICE",
    "MAX_COST",
    "SOURCE_ATTR",
]


def as_frame(data: Any, table: str) -> pd.DataFrame:
    """Return ``data`` as a DataFrame; a mapping of column -> sequence is accepted.

    Raises InputError for unequal column lengths or anything that is not table-like.
    """
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        lengths = {}
        for key, col in data.items():
            try:
                lengths[key] = len(col)  # type: ignore[arg-type]
            except TypeError:
                lengths[key] = None
        sized = {k: n for k, n in lengths.items() if n is not None}
        if len(set(sized.values())) > 1:
            detail = ", ".join(f"'{k}': {n}" for k, n in sized.items())
            raise InputError(
                f"The columns of {table} must all have the same length. Got lengths {detail}."
            )
        try:
            return pd.DataFrame(dict(data), copy=False)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{table} could not be read as a table: {exc}") from None
    raise InputError(
        f"{table} must be a pandas DataFrame or a mapping of column name to sequence. "
        f"Got {type(data).__name__}."
    )


def require_columns(df: pd.DataFrame, table: str, required: Iterable[str]) -> None:
    """Raise InputError naming every missing column, with close matches as hints.

    Extra columns are not looked at; :func:`check_columns` also catches misspelt optional ones.
    """
    required = list(required)
    if any(c not in df.columns for c in required):
        check_names(df.columns, table, required, kind="column")


def _normalized(name: str) -> str:
    """``name`` lower-cased without ``_``, ``-``, spaces and one trailing plural 's'."""
    text = re.sub(r"[\s_\-]+", "", str(name).lower())
    return text[:-1] if len(text) > 3 and text.endswith("s") else text


def _one_edit_apart(a: str, b: str) -> bool:
    """True when one insertion, deletion, substitution or swap of neighbours turns ``a`` into ``b``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    if a[i + 1:] == b[i + 1:]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]


#: difflib ratio (on normalized names) at or above which an extra column is a near miss.
NEAR_MISS_RATIO = 0.85


def near_miss(column: str, known: Iterable[str]) -> str | None:
    """The known column that ``column`` is a near miss of, or None.

    A near miss has the same name after lower-casing and dropping ``_``, ``-``,
    spaces and a trailing plural ``s``; or is one typo away (insertion,
    deletion, substitution or swap, names of four letters or more); or has a
    difflib similarity of at least ``NEAR_MISS_RATIO``.

    Examples
    --------
    >>> near_miss("Capacity_GPU", ["capacity_gpus", "price_per_hour"])
    'capacity_gpus'
    >>> near_miss("weigth", ["weight", "demand"])
    'weight'
    >>> near_miss("memory_gib", ["capacity_gpus", "gpu_watts"]) is None
    True
    """
    known = [str(k) for k in known]
    if str(column) in known:
        return None
    name = _normalized(column)
    scored = []
    for k in known:
        other = _normalized(k)
        if name == other:
            return k
        typo = min(len(name), len(other)) >= 4 and _one_edit_apart(name, other)
        ratio = difflib.SequenceMatcher(None, name, other).ratio()
        if typo or ratio >= NEAR_MISS_RATIO:
            scored.append((typo, ratio, k))
    return max(scored)[2] if scored else None


def check_columns(
    df: pd.DataFrame, table: str, required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    """Check the column names of ``table``: required ones present, no near miss of a known one.

    Missing required columns raise InputError with a did-you-mean hint. An extra
    column that is a near miss of a known (required or optional) column (see
    :func:`near_miss`) raises InputError naming the table, the column found and
    the column meant: a misspelt optional column would otherwise be ignored and
    its default used. Other extra columns (a catalog's ``vcpus``, ``memory_gib``)
    pass.

    Examples
    --------
    >>> frame = pd.DataFrame(columns=["capacity", "demand", "wieght", "vcpus"])
    >>> check_columns(frame, "devices", ["capacity", "demand"], ["weight", "min"])
    Traceback (most recent call last):
    ...
    resopt.errors.InputError: devices has a column 'wieght' that looks like a misspelling of 'weight' ...
    """
    check_names(df.columns, table, required, optional, kind="column")


def check_names(
    names: Iterable[Any], where: str, required: Iterable[str], optional: Iterable[str] = (), *, kind: str = "key"
) -> None:
    """:func:`check_columns` for any set of names (``kind``: "column", or "key" of a mapping)."""
    required = [str(c) for c in required]
    known = required + [str(c) for c in optional if str(c) not in required]
    present = [str(c) for c in names]
    missing = [c for c in required if c not in present]
    if missing:
        hints = []
        for col in missing:
            close = near_miss(col, present) or next(iter(difflib.get_close_matches(col, present, n=1)), None)
            if close:
                hints.append(f" (did you mean '{close}' for '{col}'?)")
        raise InputError(
            f"{where} is missing the required {kind}(s) {', '.join(repr(c) for c in missing)}"
            f"{''.join(hints)}. {kind.capitalize()}s present: {present}."
        )
    for col in present:
        if col in known:
            continue
        meant = near_miss(col, known)
        if meant is not None:
            raise InputError(
                f"{where} has a {kind} {col!r} that looks like a misspelling of {meant!r} "
                f"(known {kind}s: {', '.join(known)}). Rename it to {meant!r}, or drop it or give it a "
                f"clearly different name if it means something else: a misspelt optional {kind} would "
                "be ignored."
            )


def check_flag(value: Any, name: str) -> bool:
    """An on/off option: ``True`` or ``False`` only (a string such as ``'no'`` is not read as true).

    >>> check_flag(False, "integer")
    False
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    hint = " (a string: write true or false without quotes)" if isinstance(value, str) else ""
    raise InputError(f"'{name}' must be True or False. Got {value!r}{hint}.")


#: The largest quantity accepted in a table (GPUs, cores, units, hours, GB): far above any real
#: plan, far enough below float64's limits that sums and products of a plan stay exact enough.
MAX_AMOUNT = 1e12
#: The largest price or penalty accepted (USD per unit, per unit-hour or per GB).
MAX_PRICE = 1e9
#: The largest cost a plan may reach (USD); products of the limits above are checked against it.
MAX_COST = 1e15

#: ``DataFrame.attrs`` key naming the file a table was read from (set by :func:`resopt.io.read_table`).
SOURCE_ATTR = "resopt_source"


def _row(df: pd.DataFrame, pos: int) -> str:
    return _show(df.index[pos]) if len(df.index) > pos else str(pos)


def _file_lines(df: pd.DataFrame) -> str | None:
    """The file ``df`` was read from when its rows are still the file's lines in order, else None."""
    source = df.attrs.get(SOURCE_ATTR)
    index = df.index
    if source is None or not isinstance(index, pd.RangeIndex) or index.start != 0 or index.step != 1:
        return None
    return str(source)


def row_location(df: pd.DataFrame, pos: int | Iterable[int]) -> str:
    """Where row(s) ``pos`` of ``df`` are, in a message: the row label, or the line of the file.

    A table with a meaningful index is named by its labels ("row 'gpu-7'"). A
    table read from a file by :func:`resopt.io.read_table`, still indexed by
    position, is named by line number counting the header line ("line 3 of
    'devices.csv'"). Otherwise the label is the position ("row 2").

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    >>> row_location(frame, 1), row_location(frame, [0, 1])
    ("row 'y'", "rows 'x' and 'y'")
    >>> frame = pd.DataFrame({"a": [1, 2]})
    >>> frame.attrs[SOURCE_ATTR] = "'t.csv'"
    >>> row_location(frame, [0, 1])
    "lines 2 and 3 of 't.csv'"
    """
    many = not isinstance(pos, (int, np.integer))
    positions = [int(p) for p in pos] if many else [int(pos)]  # type: ignore[union-attr]
    source = _file_lines(df)
    noun = ("lines" if source else "rows") if many else ("line" if source else "row")
    names = [str(p + 2) if source else _row(df, p) for p in positions]
    text = f"{noun} {' and '.join(names)}"
    return f"{text} of {source}" if source else text


def _show(value: Any) -> str:
    """A value as the user wrote it: NumPy scalars shown as plain Python ones."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def column_error(table: str, column: str, rule: str, df: pd.DataFrame, pos: int, value: Any) -> InputError:
    """The InputError for ``value`` at position ``pos`` of ``column``: "The 'c' column of t {rule}. Got v at row r."."""
    return InputError(
        f"The '{column}' column of {table} {rule}. Got {_show(value)} at {row_location(df, pos)}."
    )


def numeric_column(
    df: pd.DataFrame,
    table: str,
    column: str,
    *,
    default: float | None = None,
    minimum: float | None = None,
    strict_minimum: bool = False,
    maximum: float | None = None,
    integer: bool = False,
    allow_missing: bool = False,
    allow_inf: bool = False,
) -> np.ndarray:
    """Read ``column`` as float64, checking type, NaN, infinities, bounds and integrality.

    Parameters
    ----------
    default
        Value used when the column is absent (the column is then optional).
    minimum, strict_minimum
        Lower bound on every value: ``>= minimum``, or ``> minimum`` when strict.
    maximum
        The largest finite value accepted (see :data:`MAX_AMOUNT`): beyond it the
        arithmetic of a plan stops meaning anything (products overflow, integers
        lose exactness). Infinite values are judged by ``allow_inf`` instead.
    integer
        Values must be whole numbers.
    allow_missing
        Empty cells (NaN/None) are kept as NaN instead of being an error;
        the caller gives them a meaning (e.g. "unlimited").
    allow_inf
        Infinite values are allowed.
    """
    if column not in df.columns:
        if default is None:
            require_columns(df, table, [column])
        return np.full(len(df), float(default))
    raw = df[column]
    if raw.dtype.kind in "iuf":
        # Fast path: already numeric, so only NaN and infinities can be wrong in type.
        values = raw.to_numpy(dtype=np.float64, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.add.reduce(values, axis=None))  # finite sum: no NaN, no infinity (no temporary)
        # A sum that overflows from finite values takes the general path below, which finds nothing wrong.
        if math.isfinite(total):
            return _check_range(values, raw, df, table, column, minimum, strict_minimum, maximum, integer,
                                allow_inf)
        missing_in = np.isnan(values)
    else:
        _reject_booleans(raw, df, table, column)
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        missing_in = pd.isna(raw).to_numpy()
        bad_type = np.flatnonzero(np.isnan(values) & ~missing_in)
        if bad_type.size:
            pos = int(bad_type[0])
            raise column_error(table, column, "must be numeric", df, pos, raw.iloc[pos])
    if not allow_missing and missing_in.any():
        pos = int(np.flatnonzero(missing_in)[0])
        raise column_error(table, column, "must not have missing values (NaN)", df, pos, raw.iloc[pos])
    if not allow_inf:
        inf = np.flatnonzero(np.isinf(values))
        if inf.size:
            pos = int(inf[0])
            raise column_error(table, column, "must be finite", df, pos, raw.iloc[pos])
    return _check_range(values, raw, df, table, column, minimum, strict_minimum, maximum, integer,
                        allow_inf)


def _reject_booleans(raw: pd.Series, df: pd.DataFrame, table: str, column: str) -> None:
    """A boolean (``True``, YAML ``yes``) where a number belongs is a mistake, not 1."""
    if raw.dtype.kind == "b":
        flags = np.ones(len(raw), dtype=bool)
    elif raw.dtype == object:
        flags = np.fromiter((isinstance(v, (bool, np.bool_)) for v in raw), dtype=bool, count=len(raw))
    else:
        return
    if flags.any():
        pos = int(np.flatnonzero(flags)[0])
        raise column_error(table, column, "must be numeric, not true/false", df, pos, raw.iloc[pos])


def limit_text(value: float) -> str:
    """A limit as people write it: ``1e12``, ``1000``, ``-1e12``.

    >>> limit_text(1e12), limit_text(1000.0), limit_text(2.5e-9), limit_text(1e9)
    ('1e12', '1000', '2.5e-9', '1e9')
    """
    text = f"{value:g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


#: Values per piece when a check runs a piece at a time (its temporaries stay in cache).
_PIECE = 1 << 16


def _within(values: np.ndarray, minimum: float | None, strict_minimum: bool, maximum: float | None,
            signed: bool) -> bool:
    """True when every non-NaN value is surely within the bounds, judged by two reductions.

    ``fmin``/``fmax`` skip NaN and build no temporary array; False only means "look closer".
    """
    if not values.size:
        return True
    low, high = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))
    if math.isnan(low):
        return False
    if maximum is not None and (high > maximum or (signed and low < -maximum)):
        return False
    return minimum is None or (low > minimum if strict_minimum else low >= minimum)


def _first_fraction(values: np.ndarray) -> int | None:
    """Position of the first finite value that is not a whole number, a piece at a time (None: none)."""
    for lo in range(0, values.size, _PIECE):
        piece = values[lo:lo + _PIECE]
        with np.errstate(invalid="ignore"):
            frac = np.flatnonzero(np.isfinite(piece) & (piece != np.floor(piece)))
        if frac.size:
            return lo + int(frac[0])
    return None


def _check_range(values, raw, df, table, column, minimum, strict_minimum, maximum, integer,
                 allow_inf=False) -> np.ndarray:
    """Bounds and integrality checks (NaN cells pass: the caller allowed them)."""
    signed = minimum is None or minimum < 0
    if not _within(values, minimum, strict_minimum, maximum, signed):
        _check_bounds(values, raw, df, table, column, minimum, strict_minimum, maximum, allow_inf, signed)
    if integer:
        pos = _first_fraction(values)
        if pos is not None:
            raise column_error(table, column, "must hold whole numbers", df, pos, raw.iloc[pos])
    return values


def _check_bounds(values, raw, df, table, column, minimum, strict_minimum, maximum, allow_inf, signed) -> None:
    """The element-wise bound checks, raising for the first value out of bounds."""
    if maximum is not None:
        with np.errstate(invalid="ignore"):
            above = (np.abs(values) if signed else values) > maximum
        if allow_inf:
            above &= np.isfinite(values)
        if above.any():
            pos = int(np.flatnonzero(above)[0])
            size = " in absolute value" if signed else ""
            extra = "; leave the cell empty (or use inf) for unlimited" if allow_inf else ""
            rule = (f"must be at most {limit_text(maximum)}{size}, the largest value accepted "
                    f"(beyond it the arithmetic of a plan is meaningless{extra})")
            raise column_error(table, column, rule, df, pos, raw.iloc[pos])
    if minimum is not None:
        with np.errstate(invalid="ignore"):
            below = values <= minimum if strict_minimum else values < minimum
        if below.any():
            pos = int(np.flatnonzero(below)[0])
            if minimum == 0:
                rule = "must be positive" if strict_minimum else "must be non-negative"
            else:
                rule = f"must be {'greater than' if strict_minimum else 'at least'} {limit_text(minimum)}"
            raise column_error(table, column, rule, df, pos, raw.iloc[pos])


#: The spellings a yes/no column accepts (after stripping and lower-casing).
_TRUE = ("true", "yes", "1", "1.0", "t", "y")
_FALSE = ("false", "no", "0", "0.0", "f", "n")


def bool_column(df: pd.DataFrame, table: str, column: str, *, default: bool = False) -> np.ndarray:
    """Read a yes/no column: booleans, 0/1, or the strings true/false/yes/no (any case).

    Empty cells take ``default``.
    """
    if column not in df.columns:
        return np.full(len(df), default, dtype=bool)
    col = df[column]
    missing = col.isna().to_numpy()
    if col.dtype.kind == "b":
        out = np.array(col.fillna(default), dtype=bool)
        bad = np.zeros(len(col), dtype=bool)
    elif col.dtype.kind in "iuf":
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~missing & (values != 0) & (values != 1)
        out = values == 1
    else:
        keys = col.astype("string").str.strip().str.lower().fillna("").to_numpy(dtype=object)
        is_true = np.isin(keys, _TRUE)
        blank = keys == ""
        bad = ~(is_true | blank | np.isin(keys, _FALSE))
        out = np.where(blank, default, is_true)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise column_error(table, column, "must be true or false", df, pos, col.iloc[pos])
    out[missing] = default
    return out


def text_column(
    df: pd.DataFrame, table: str, column: str, *, default: str | None = None, allow_missing: bool = False
) -> np.ndarray:
    """Read a label column as an object array of stripped strings.

    Missing cells become ``default`` when given, ``""`` when ``allow_missing``,
    and are an error otherwise.
    """
    if column not in df.columns:
        if default is None:
            require_columns(df, table, [column])
        return np.full(len(df), default, dtype=object)
    col = df[column]
    missing = col.isna().to_numpy()
    if missing.any() and default is None and not allow_missing:
        pos = int(np.flatnonzero(missing)[0])
        raise column_error(table, column, "must not have missing values", df, pos, col.iloc[pos])
    fill = default if default is not None else ""
    out = np.array(col.astype("string").str.strip().fillna(fill), dtype=object)
    return out


def check_unique(values: np.ndarray | pd.Index, table: str, column: str, df: pd.DataFrame) -> None:
    """Raise InputError naming the first duplicated value and both rows where it occurs."""
    if isinstance(values, pd.Index) and values.is_unique:
        return
    series = pd.Series(np.asarray(values, dtype=object))
    dup = series.duplicated(keep=False).to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        value = series.iloc[first]
        rows = np.flatnonzero((series == value).to_numpy())[:2]
        what = "labels (index)" if column == "index" else f"'{column}' column"
        raise InputError(f"The {what} of {table} must be unique. Got {_show(value)} at {row_location(df, rows)}.")


def check_scalar(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    strict_minimum: bool = False,
    maximum: float | None = None,
    allow_none: bool = False,
) -> float | None:
    """Validate a scalar argument and return it as a float (None passes when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        hint = ""
        if isinstance(value, str) and pd.notna(pd.to_numeric(value, errors="coerce")):
            hint = " (text, not a number; YAML reads 1e6 as text: write 1.0e+6)"
        raise InputError(f"'{name}' must be a number. Got {_short(value)}{hint}.")
    try:
        v = float(value)
    except OverflowError:  # a Python int beyond float64
        limit = f" (at most {limit_text(maximum)} in size)" if maximum is not None else ""
        raise InputError(f"'{name}' is too large to be a number here{limit}. Got {_short(value)}.") from None
    if not np.isfinite(v):
        raise InputError(f"'{name}' must be finite. Got {_short(value)}.")
    if minimum is not None and (v <= minimum if strict_minimum else v < minimum):
        op = ">" if strict_minimum else ">="
        raise InputError(f"'{name}' must be {op} {limit_text(minimum)}. Got {_short(value)}.")
    if maximum is not None and v > maximum:
        note = ", the largest value accepted" if maximum in (MAX_AMOUNT, MAX_PRICE, MAX_COST) else ""
        raise InputError(f"'{name}' must be <= {limit_text(maximum)}{note}. Got {_short(value)}.")
    return v


def check_time_limit(value: Any) -> float | None:
    """``time_limit``: None (no limit) or a positive number of seconds.

    >>> check_time_limit(None) is None, check_time_limit(2)
    (True, 2.0)
    """
    return check_scalar(value, "time_limit", minimum=0, strict_minimum=True, allow_none=True)


def check_mip_gap(value: Any) -> float | None:
    """``mip_gap``: None (the solver's default) or a relative gap in ``[0, 1]``.

    >>> check_mip_gap(1e-3)
    0.001
    """
    return check_scalar(value, "mip_gap", minimum=0, maximum=1, allow_none=True)


def _short(value: Any) -> str:
    """``repr(value)``, with a huge integer shown by its size rather than its hundreds of digits."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:12]}... ({len(text)} digits)"
