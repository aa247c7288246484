"""Reading instances and tables, and writing outputs safely.

Reference instances live in ``models/`` as YAML: scalars plus tables written
as lists of mappings. Tables are read from CSV with :func:`read_table`, which
remembers the file so that messages can name its line numbers.

Outputs are checked before any solving (:func:`check_output_path`: format,
folder, an existing file, the library a format needs) and written atomically
(a temporary file in the same folder, then a rename), so a failed or
interrupted run never leaves a half-written file or a stray temporary one. A
written file gets the permissions a new file gets under the user's umask (an
existing file it replaces keeps its own).
"""

from __future__ import annotations

import importlib.util
import io
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ._validate import SOURCE_ATTR
from .errors import BackendUnavailableError, InputError

__all__ = [
    "read_instance",
    "read_table",
    "check_output_path",
    "write_atomic",
    "write_frame",
    "OUTPUT_FORMATS",
    "CSV_FLOAT_FORMAT",
]

#: The column that labels the rows of each table in an instance file.
LABELS = {"devices": "device"}

#: Output formats by file extension, with the module each needs and the extra that installs it.
OUTPUT_FORMATS: dict[str, tuple[str | None, str | None]] = {
    ".csv": (None, None),
    ".json": (None, None),
    ".parquet": ("pyarrow", "parquet"),
}

#: Figures in CSV outputs: 12 significant digits (cents up to a billion; no ``398.00000000000006``).
CSV_FLOAT_FORMAT = "%.12g"


def _open_error(path: Path, what: str, exc: OSError) -> InputError:
    """One line for an input path that cannot be read."""
    if isinstance(exc, FileNotFoundError):
        reason = "does not exist"
    elif isinstance(exc, IsADirectoryError) or path.is_dir():
        reason = "is a directory, not a file"
    elif isinstance(exc, PermissionError):
        reason = "cannot be read (permission denied)"
    else:
        reason = f"cannot be read ({exc.strerror or exc})"
    return InputError(f"The {what} file {str(path)!r} {reason}.")


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
    except OSError as exc:
        raise _open_error(path, "instance", exc) from None
    except UnicodeDecodeError:
        raise InputError(f"The instance file {str(path)!r} is not text (UTF-8).") from None
    except yaml.YAMLError as exc:
        raise InputError(f"The instance file {str(path)!r} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(f"The instance file {str(path)!r} must hold a mapping at the top level.")
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


def read_table(path: str | os.PathLike[str], what: str) -> pd.DataFrame:
    """Read the CSV table ``what`` (e.g. ``"workloads"``) from ``path``.

    Unreadable paths (missing, a directory, no permission, not CSV) raise one-line
    :class:`InputError`. The frame remembers its file, so a message about row
    ``i`` says "line i + 2 of 'path'" (the header is line 1).

    Examples
    --------
    >>> tasks = read_table("models/scheduling/tasks.csv", "tasks")
    >>> from resopt._validate import row_location
    >>> row_location(tasks, 0)
    "line 2 of 'models/scheduling/tasks.csv'"
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except OSError as exc:
        raise _open_error(path, what, exc) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"The {what} file {str(path)!r} is empty (not even a header line).") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"The {what} file {str(path)!r} could not be read as CSV: {detail}") from None
    frame.attrs[SOURCE_ATTR] = repr(str(path))
    return frame


def check_output_path(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check everything about an output path that can fail, before any work is done.

    The extension names a known format (:data:`OUTPUT_FORMATS`) whose library is
    installed; the folder exists (it is not created); the path is not a folder
    and not an existing file unless ``force`` (then it must be a regular,
    writable file); the folder is writable.

    Raises
    ------
    InputError
        Naming the path and what is wrong with it.
    BackendUnavailableError
        The format needs a library that is not installed (the message names the extra).

    Examples
    --------
    >>> check_output_path("plan.txt")
    Traceback (most recent call last):
    ...
    resopt.errors.InputError: The output 'plan.txt' must end in .csv, .json or .parquet (got '.txt').
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"The output {str(path)!r} is a directory; give a file name in it.")
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        names = sorted(OUTPUT_FORMATS)
        known = f"{', '.join(names[:-1])} or {names[-1]}"
        raise InputError(f"The output {str(path)!r} must end in {known} (got {path.suffix or 'no extension'!r}).")
    module, extra = OUTPUT_FORMATS[suffix]
    if module is not None and importlib.util.find_spec(module) is None:
        raise BackendUnavailableError(
            f"Writing {suffix} files needs the {module} package, which is not installed: "
            f"pip install 'resopt[{extra}]'."
        )
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"The folder of the output {str(path)!r} does not exist ({str(folder)!r}); create it first.")
    if path.exists() or path.is_symlink():
        if not force:
            raise InputError(
                f"The output {str(path)!r} already exists; pass --force (force=True) to replace it."
            )
        if not path.is_file():
            raise InputError(f"The output {str(path)!r} exists and is not a regular file; it is not replaced.")
        if not os.access(path, os.W_OK):
            raise InputError(f"The output {str(path)!r} is read-only; it is not replaced.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"The output {str(path)!r} cannot be written: no permission to write in {str(folder)!r}.")
    return path


_umask_lock = threading.Lock()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:  # elsewhere: set and restore (not visible to other threads for long)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    The folder must exist. The file gets the permissions a new file gets under
    the umask (``0o666 & ~umask``), or keeps those of the file it replaces. The
    temporary file is removed on every way out, an interrupt included.
    """
    path = Path(path)
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        existing = path.stat()
        perms = stat.S_IMODE(existing.st_mode) if stat.S_ISREG(existing.st_mode) else None
    except OSError:
        perms = None
    if perms is None:
        perms = 0o666 & ~_umask()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, mode) as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), perms)
        os.replace(tmp, path)
        tmp = None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def _has_labels(frame: pd.DataFrame) -> bool:
    """True unless the index is the default 0..n-1 with no name (then it is not written)."""
    index = frame.index
    default = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None
    return not default


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table atomically as CSV, JSON (records) or Parquet, by the extension of ``path``.

    A default index (0..n-1, unnamed) is not written; a meaningful one is written
    as a named column. CSV figures have 12 significant digits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_frame(pd.DataFrame({"cost": [0.1 + 0.2, 398.00000000000006]}), out)
    >>> print(out.read_text().strip())
    cost
    0.3
    398
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        check_output_path(path, force=True)  # raises the message about the extension
    labelled = _has_labels(frame)
    if labelled and frame.index.name is None and frame.index.nlevels == 1:
        frame = frame.rename_axis("label")
    if suffix == ".parquet":
        check_output_path(path, force=True)  # the library
        buf = io.BytesIO()
        frame.to_parquet(buf, index=labelled)
        return write_atomic(path, buf.getvalue())
    if suffix == ".json":
        records = frame.reset_index() if labelled else frame
        return write_atomic(path, records.to_json(orient="records", double_precision=12, date_format="iso") + "\n")
    return write_atomic(path, frame.to_csv(index=labelled, float_format=CSV_FLOAT_FORMAT))
