"""The plan history: every successful weekly run in a SQLite database, and diffs between runs.

The database path is ``--db``, else the ``RESOPT_DB`` environment variable, else
``resopt-history.sqlite`` in the working directory. One transaction per run. The schema
is versioned (table ``schema_version``); a database written by a newer resopt is refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import InputError

if TYPE_CHECKING:
    from .weekly import WeeklyPlan

__all__ = ["HistoryStore", "PlanDiff", "Snapshot", "snapshot_of", "diff_snapshots", "default_db_path", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    resopt_version TEXT NOT NULL,
    input_dir TEXT,
    input_hashes TEXT NOT NULL,
    policy TEXT NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    expected_cost REAL,
    savings REAL
);
CREATE TABLE IF NOT EXISTS reservations (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    pool TEXT NOT NULL, cloud TEXT, region TEXT, accelerator TEXT,
    reserve REAL, total_reserved REAL, binding TEXT, expected_cost REAL,
    coverage REAL, reserved_utilization REAL, headroom_gpus INTEGER,
    PRIMARY KEY (run_id, pool)
);
CREATE TABLE IF NOT EXISTS placements (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    workload TEXT NOT NULL, replica INTEGER NOT NULL, cloud TEXT, region TEXT,
    instance_type TEXT, mode TEXT, gpus REAL, cost REAL,
    PRIMARY KEY (run_id, workload, replica)
);
CREATE TABLE IF NOT EXISTS costs (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    cloud TEXT NOT NULL, mode TEXT NOT NULL, cost REAL,
    PRIMARY KEY (run_id, cloud, mode)
);
"""

RESERVATION_FIELDS = ("pool", "cloud", "region", "accelerator", "reserve", "total_reserved", "binding",
                      "expected_cost", "coverage", "reserved_utilization", "headroom_gpus")
PLACEMENT_FIELDS = ("workload", "replica", "cloud", "region", "instance_type", "mode", "gpus", "cost")


def default_db_path() -> Path:
    """``RESOPT_DB`` when set, else ``resopt-history.sqlite`` in the working directory."""
    return Path(os.environ.get("RESOPT_DB") or "resopt-history.sqlite")


@dataclass
class PlanDiff:
    """What changed from run ``a`` to run ``b``.

    Attributes
    ----------
    reservations : DataFrame
        Per pool: ``reserve_a``, ``reserve_b``, ``change`` (new units) and the totals.
    costs : DataFrame
        Per cloud and mode: ``cost_a``, ``cost_b``, ``change``.
    moved : DataFrame
        Workloads whose replicas changed cloud or region (``workload``, ``from``, ``to``:
        the replicas' ``cloud/region``, or ``(not placed)``).
    """

    run_a: str
    run_b: str
    reservations: pd.DataFrame
    costs: pd.DataFrame
    moved: pd.DataFrame
    total_a: float
    total_b: float

    def to_dict(self) -> dict[str, Any]:
        """The diff as plain data (for ``--json``)."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(frame.to_json(orient="records"))

        return {"run_a": self.run_a, "run_b": self.run_b, "total_cost_a": self.total_a,
                "total_cost_b": self.total_b, "total_cost_change": self.total_b - self.total_a,
                "reservations": records(self.reservations), "costs": records(self.costs),
                "moved": records(self.moved)}

    def __str__(self) -> str:
        def show(frame: pd.DataFrame, empty: str) -> str:
            return frame.to_string(index=False) if len(frame) else empty

        return "\n".join([
            f"diff {self.run_a} -> {self.run_b}",
            f"total expected cost: {self.total_a:,.2f} -> {self.total_b:,.2f} USD "
            f"({self.total_b - self.total_a:+,.2f})",
            "", "reservations:", show(self.reservations, "  (no pools)"),
            "", "cost by cloud and mode:", show(self.costs, "  (no costs)"),
            "", "workloads that moved:", show(self.moved, "  (none)"),
        ])


class HistoryStore:
    """The SQLite history of weekly plans.

    Examples
    --------
    >>> import tempfile, os
    >>> store = HistoryStore(os.path.join(tempfile.mkdtemp(), "h.sqlite"))
    >>> store.runs().columns.tolist()
    ['run_id', 'created_at', 'status', 'expected_cost', 'savings', 'statuses']
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        if self.path.is_dir():
            raise InputError(f"The history database {str(self.path)!r} is a directory.")
        if not self.path.parent.exists():
            raise InputError(f"The folder of the history database {str(self.path)!r} does not exist.")

    def connect(self) -> sqlite3.Connection:
        """Open the database, creating or checking its schema."""
        try:
            con = sqlite3.connect(self.path, isolation_level=None)
            con.execute("PRAGMA foreign_keys = ON")
            version = self._version(con)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{str(self.path)!r} is not a resopt history database: {exc}.") from None
        if version is None:
            con.executescript("BEGIN;" + _SCHEMA + f"INSERT INTO schema_version VALUES ({SCHEMA_VERSION}); COMMIT;")
        elif version > SCHEMA_VERSION:
            con.close()
            raise InputError(
                f"The history database {str(self.path)!r} has schema version {version}, written by a newer "
                f"resopt; this resopt reads version {SCHEMA_VERSION} or older. Upgrade resopt or use another --db.")
        return con

    @staticmethod
    def _version(con: sqlite3.Connection) -> int | None:
        has = con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
        if not has:
            tables = con.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
            if tables:
                raise sqlite3.DatabaseError("it has tables but no schema_version")
            return None
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def begin_record(self, plan: WeeklyPlan) -> sqlite3.Connection:
        """Write ``plan`` inside an open transaction; the caller commits (or rolls back).

        This lets the outputs and the history land together: write the history, move the
        output directory into place, then commit.
        """
        con = self.connect()
        s = plan.summary
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (s["run_id"], s["created_at"], s["resopt_version"], s["input_dir"], json.dumps(s["input_hashes"]),
                 json.dumps(s["policy"]), json.dumps(s), s["status"], s["totals"]["expected_cost"],
                 s["totals"]["savings"]))
            con.executemany(
                f"INSERT INTO reservations VALUES ({', '.join('?' * (1 + len(RESERVATION_FIELDS)))})",
                [(s["run_id"], *(p[k] for k in RESERVATION_FIELDS)) for p in s["pools"]])
            if plan.placement is not None and plan.placement.success:
                a = plan.placement.assignments
                con.executemany(
                    f"INSERT INTO placements VALUES ({', '.join('?' * (1 + len(PLACEMENT_FIELDS)))})",
                    [(s["run_id"], *_plain(row)) for row in a[list(PLACEMENT_FIELDS)].itertuples(index=False)])
            con.executemany("INSERT INTO costs VALUES (?, ?, ?, ?)",
                            [(s["run_id"], c["cloud"], c["mode"], c["cost"]) for c in s["by_cloud_mode"]])
        except BaseException:
            con.rollback()
            con.close()
            raise
        return con

    def record(self, plan: WeeklyPlan) -> None:
        """Record ``plan`` in one transaction."""
        con = self.begin_record(plan)
        with closing(con):
            con.commit()

    def runs(self) -> pd.DataFrame:
        """Every run, oldest first: id, time, status, expected cost, savings and step statuses."""
        columns = ["run_id", "created_at", "status", "expected_cost", "savings", "statuses"]
        if not self.path.exists():
            return pd.DataFrame(columns=columns)
        with closing(self.connect()) as con:
            rows = con.execute("SELECT run_id, created_at, status, expected_cost, savings, summary FROM runs "
                               "ORDER BY created_at, rowid").fetchall()
        out = [(r[0], r[1], r[2], r[3], r[4],
                ", ".join(f"{k} {v['status']}" for k, v in json.loads(r[5])["steps"].items())) for r in rows]
        return pd.DataFrame(out, columns=columns)

    def summary(self, run_id: str) -> dict[str, Any]:
        """The summary of a recorded run."""
        with closing(self.connect()) as con:
            row = con.execute("SELECT summary FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            known = self.runs()["run_id"].tolist()
            raise InputError(f"No run {run_id!r} in {str(self.path)!r}. Runs: {', '.join(known[-5:]) or 'none'}.")
        return json.loads(row[0])

    def last(self) -> str | None:
        """The id of the latest run (None in an empty history)."""
        runs = self.runs()
        return str(runs["run_id"].iloc[-1]) if len(runs) else None

    def snapshot(self, run_id: str) -> Snapshot:
        """The recorded reservations, costs and placements of a run."""
        with closing(self.connect()) as con:
            row = con.execute("SELECT expected_cost FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                known = [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY created_at, rowid")]
                raise InputError(f"No run {run_id!r} in {str(self.path)!r}. Runs: {', '.join(known[-5:]) or 'none'}.")

            def table(name: str) -> pd.DataFrame:
                return pd.read_sql_query(f"SELECT * FROM {name} WHERE run_id = ?", con, params=(run_id,)).drop(
                    columns="run_id")

            return Snapshot(run_id, float(row[0] or 0.0), table("reservations"), table("costs"), table("placements"))

    def diff(self, run_a: str | None = None, run_b: str | None = None) -> PlanDiff:
        """What changed between two runs (default: the last two; with one run id, from it to the last)."""
        runs = self.runs()["run_id"].tolist()
        if run_a is None and run_b is None:
            if len(runs) < 2:
                raise InputError(f"The history {str(self.path)!r} has {len(runs)} run(s); a diff needs two.")
            run_a, run_b = runs[-2], runs[-1]
        elif run_b is None:
            run_b = runs[-1] if runs else None
        return diff_snapshots(self.snapshot(str(run_a)), self.snapshot(str(run_b)))


@dataclass
class Snapshot:
    """What a diff compares of one run: its total and its per-pool, per-cost and per-replica rows."""

    run_id: str
    total: float
    reservations: pd.DataFrame
    costs: pd.DataFrame
    placements: pd.DataFrame


def snapshot_of(plan: WeeklyPlan) -> Snapshot:
    """The :class:`Snapshot` of a plan that is not recorded (yet)."""
    s = plan.summary
    reservations = pd.DataFrame(s["pools"], columns=list(RESERVATION_FIELDS))
    costs = pd.DataFrame(s["by_cloud_mode"], columns=["cloud", "mode", "cost"])
    if plan.placement is not None and plan.placement.success:
        placements = plan.placement.assignments[list(PLACEMENT_FIELDS)]
    else:
        placements = pd.DataFrame(columns=list(PLACEMENT_FIELDS))
    return Snapshot(s["run_id"], float(s["totals"]["expected_cost"] or 0.0), reservations, costs, placements)


def diff_snapshots(a: Snapshot, b: Snapshot) -> PlanDiff:
    """What changed from ``a`` to ``b``."""
    res = a.reservations.merge(b.reservations, on="pool", how="outer", suffixes=("_a", "_b"))
    res = res.assign(change=res["reserve_b"].fillna(0) - res["reserve_a"].fillna(0))[
        ["pool", "reserve_a", "reserve_b", "change", "total_reserved_a", "total_reserved_b"]]
    costs = a.costs.merge(b.costs, on=["cloud", "mode"], how="outer", suffixes=("_a", "_b"))
    costs = costs.fillna({"cost_a": 0.0, "cost_b": 0.0})
    costs = costs.assign(change=costs["cost_b"] - costs["cost_a"]).sort_values(["cloud", "mode"])
    moved = _moved(a.placements, b.placements)
    return PlanDiff(a.run_id, b.run_id, res.sort_values("pool").reset_index(drop=True),
                    costs.reset_index(drop=True), moved, a.total, b.total)


def _moved(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Workloads whose replicas' clouds and regions changed (replicas are interchangeable, so
    a workload moved when the multiset of its replicas' locations changed)."""
    def where(frame: pd.DataFrame) -> pd.Series:
        if not len(frame):
            return pd.Series(dtype=object)
        place = frame["cloud"].astype(str) + "/" + frame["region"].astype(str)
        return place.groupby(frame["workload"]).agg(lambda s: ", ".join(sorted(s)))

    both = pd.concat({"from": where(a), "to": where(b)}, axis=1).fillna("(not placed)")
    moved = both[both["from"] != both["to"]].rename_axis("workload").reset_index()
    return moved.sort_values("workload").reset_index(drop=True)[["workload", "from", "to"]]


def _plain(row: tuple) -> tuple:
    """NumPy scalars as Python ones (sqlite3 does not take NumPy types)."""
    return tuple(v.item() if hasattr(v, "item") else v for v in row)
