"""Input validation at the boundary: tables in, clean NumPy arrays out.

Every check raises :class:`~resopt.errors.InputError` with one message that
names the table, the column, the row label and the offending value, in the
style "The 'capacity' column of devices must be non-negative. Got -3 at row
'gpu-7'." Nothing below this module sees pandas objects it has not checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = [
    "as_frame",
    "require_columns",
    "numeric_column",
    "bool_column",
    "text_column",
    "check_unique",
    "check_scalar",
    "column_error",
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
    """Raise InputError naming every missing column, with close matches as hints."""
    present = [str(c) for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if not missing:
        return
    hints = []
    for col in missing:
        close = difflib.get_close_matches(col, present, n=1)
        if close:
            hints.append(f" (did you mean '{close[0]}' for '{col}'?)")
    raise InputError(
        f"{table} is missing the required column(s) {', '.join(repr(c) for c in missing)}"
        f"{''.join(hints)}. Columns present: {present}."
    )


def _row(df: pd.DataFrame, pos: int) -> str:
    return _show(df.index[pos]) if len(df.index) > pos else str(pos)


def _show(value: Any) -> str:
    """A value as the user wrote it: NumPy scalars shown as plain Python ones."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def column_error(table: str, column: str, rule: str, df: pd.DataFrame, pos: int, value: Any) -> InputError:
    """The InputError for ``value`` at position ``pos`` of ``column``: "The 'c' column of t {rule}. Got v at row r."."""
    return InputError(
        f"The '{column}' column of {table} {rule}. Got {_show(value)} at row {_row(df, pos)}."
    )


def numeric_column(
    df: pd.DataFrame,
    table: str,
    column: str,
    *,
    default: float | None = None,
    minimum: float | None = None,
    strict_minimum: bool = False,
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
        if np.isfinite(values).all():
            return _check_range(values, raw, df, table, column, minimum, strict_minimum, integer)
        missing_in = np.isnan(values)
    else:
        if raw.dtype == bool:
            raw = raw.astype(np.int64)
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
    return _check_range(values, raw, df, table, column, minimum, strict_minimum, integer)


def _check_range(values, raw, df, table, column, minimum, strict_minimum, integer) -> np.ndarray:
    """Lower bound and integrality checks (NaN cells pass: the caller allowed them)."""
    if minimum is not None:
        with np.errstate(invalid="ignore"):
            below = values <= minimum if strict_minimum else values < minimum
        if below.any():
            pos = int(np.flatnonzero(below)[0])
            if minimum == 0:
                rule = "must be positive" if strict_minimum else "must be non-negative"
            else:
                rule = f"must be {'greater than' if strict_minimum else 'at least'} {minimum:g}"
            raise column_error(table, column, rule, df, pos, raw.iloc[pos])
    if integer:
        with np.errstate(invalid="ignore"):
            frac = np.isfinite(values) & (values != np.floor(values))
        if frac.any():
            pos = int(np.flatnonzero(frac)[0])
            raise column_error(table, column, "must hold whole numbers", df, pos, raw.iloc[pos])
    return values


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
        truth = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False,
                 "1.0": True, "0.0": False, "t": True, "f": False, "y": True, "n": False}
        keys = col.astype("string").str.strip().str.lower().fillna("")
        mapped = keys.map(truth)
        bad = ~missing & mapped.isna().to_numpy() & (keys != "").to_numpy()
        out = np.array(mapped.fillna(default), dtype=bool)
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
        where = " and ".join(_row(df, int(r)) for r in rows)
        what = "labels (index)" if column == "index" else f"'{column}' column"
        raise InputError(f"The {what} of {table} must be unique. Got {_show(value)} at rows {where}.")


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
        raise InputError(f"'{name}' must be a number. Got {value!r}.")
    v = float(value)
    if not np.isfinite(v):
        raise InputError(f"'{name}' must be finite. Got {value!r}.")
    if minimum is not None and (v <= minimum if strict_minimum else v < minimum):
        op = ">" if strict_minimum else ">="
        raise InputError(f"'{name}' must be {op} {minimum:g}. Got {value!r}.")
    if maximum is not None and v > maximum:
        raise InputError(f"'{name}' must be <= {maximum:g}. Got {value!r}.")
    return v
