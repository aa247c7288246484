"""The weekly plan's output directory, written atomically together with its history record.

The files are written into a temporary directory beside ``out``; the history row is
inserted in an open transaction; the directory is renamed into place; then the
transaction commits. Any failure before the end (an exception, Ctrl-C, SIGTERM turned
into an exception by the command line) removes the temporary directory and rolls the
transaction back, so there is never a partial output directory or a half-written run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from .weekly import WeeklyPlan

__all__ = ["prepare_output_dir", "write_outputs", "OUTPUT_FILES"]

OUTPUT_FILES = ("forecast.csv", "reservations.csv", "placement.csv", "headroom.csv", "summary.json",
                "report.html")


def prepare_output_dir(out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check, before any work, that ``out`` can receive the plan; return it as a Path.

    ``out`` must not be a file; an existing non-empty directory needs ``force``; its parent
    must exist (it is not created) and be writable.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {str(path)!r} is a file; the plan writes a directory.")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise InputError(f"--out {str(path)!r} exists and is not empty; pass --force to replace it.")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise InputError(f"The folder {str(parent)!r} for --out does not exist (it is not created for you).")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"The folder {str(parent)!r} for --out is not writable.")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_outputs(plan: WeeklyPlan, out: Path | None, db: str | os.PathLike[str] | None) -> None:
    """Write the plan's files into ``out`` and record it in ``db``, all or nothing."""
    from .history import HistoryStore

    staging = backup = None
    placed = False
    con = None
    try:
        if out is not None:
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.absolute().parent))
            os.chmod(staging, 0o777 & ~_umask())
            _write_files(plan, staging)
        if db is not None:
            con = HistoryStore(db).begin_record(plan)
        if out is not None:
            if out.exists():
                backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.absolute().parent))
                os.rename(out, backup / out.name)
            os.rename(staging, out)
            placed = True
        if con is not None:
            con.commit()
    except BaseException:
        if con is not None:
            con.rollback()
        if placed:
            shutil.rmtree(out, ignore_errors=True)  # type: ignore[arg-type]
        if backup is not None and (backup / out.name).exists():  # type: ignore[union-attr]
            os.rename(backup / out.name, out)  # type: ignore[union-attr]
        raise
    finally:
        if con is not None:
            con.close()
        for leftover in (staging if not placed else None, backup):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)


def _write_files(plan: WeeklyPlan, folder: Path) -> None:
    forecast = plan.forecast.quantiles
    forecast.to_csv(folder / "forecast.csv", index=False, float_format="%.10g")
    plan.reservations.reservations.to_csv(folder / "reservations.csv", index=False, float_format="%.10g")
    if plan.placement is not None:
        plan.placement.assignments.to_csv(folder / "placement.csv", index=False, float_format="%.10g")
    plan.headroom.to_csv(folder / "headroom.csv", index=False)
    (folder / "summary.json").write_text(json.dumps(plan.summary, indent=2) + "\n")
    (folder / "report.html").write_text(plan.report_html())
