"""Reading instances and writing outputs safely.

Reference instances live in ``models/`` as YAML: scalars plus tables written
as lists of mappings. Outputs are written atomically (a temporary file in the
same folder, then a rename), so a failed run never leaves a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .errors import InputError

__all__ = ["read_instance", "write_atomic", "write_frame"]

#: The column that labels the rows of each table in an instance file.
LABELS = {"devices": "device"}


def read_instance(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML instance; each list of mappings becomes a DataFrame.

    A table named in ``LABELS`` (``devices``) is indexed by its label column.

    Examples
    --------
    >>> inst = read_instance("models/core_assignment/worked_example.yaml")
    >>> inst["total"], list(inst["devices"].index)
    (5, ['dev-a', 'dev-b'])
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InputError(f"Instance file {str(path)!r} does not exist.") from None
    except yaml.YAMLError as exc:
        raise InputError(f"Instance file {str(path)!r} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(f"Instance file {str(path)!r} must hold a mapping at the top level.")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            frame = pd.DataFrame(value)
            label = LABELS.get(key)
            if label and label in frame.columns:
                frame = frame.set_index(label)
            out[key] = frame
        else:
            out[key] = value
    return out


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table atomically as CSV (``.csv``) or Parquet (``.parquet``)."""
    path = Path(path)
    if path.suffix == ".parquet":
        import io

        buf = io.BytesIO()
        frame.to_parquet(buf)
        return write_atomic(path, buf.getvalue())
    if path.suffix != ".csv":
        raise InputError(f"Output {str(path)!r} must end in .csv or .parquet.")
    return write_atomic(path, frame.to_csv())
