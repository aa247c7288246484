"""The weekly plan's inputs: a directory of tables plus a policy, validated at the boundary.

Every message names the file, and for table cells the column, the row and the value.
Rows of tables read from files are labelled by their line number in the file (the header
is line 1), so "row 5" is the fifth line of the CSV.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .._validate import TableLike, as_frame, check_columns, check_scalar, check_unique, text_column
from ..errors import InputError

__all__ = ["Policy", "PlanInputs", "read_plan_inputs", "INPUT_FILES", "POOL_COLUMNS"]

#: The files of an input directory and whether each is required.
INPUT_FILES = {
    "usage.csv": True,
    "pools.csv": True,
    "offerings.csv": False,
    "workloads.csv": False,
    "egress.csv": False,
    "policy.yaml": False,
}

#: Required columns of pools.csv; the optional ones are size_reservations' price columns
#: and ``instance_type``.
POOL_COLUMNS = ("pool", "cloud", "region", "accelerator", "reserved", "on_demand")
POOL_OPTIONAL = ("instance_type", "spot", "spot_limit", "on_demand_limit", "existing",
                 "shortfall_penalty", "reserve_limit")


@dataclass(frozen=True)
class Policy:
    """The planning policy (``policy.yaml``); every key has a default.

    Attributes
    ----------
    service_level : float in (0, 1] or None
        Reserved capacity covers this quantile of each pool's forecast hourly demand
        (None: cost alone decides).
    safety_margin : float
        Relative head-room on that quantile.
    budget : float or None
        Most next week's placement may spend (USD).
    max_cloud_share : float in (0, 1] or None
        Most any one cloud's share of the placement spend.
    carbon_price : float
        USD per tonne of CO2 in the placement objective.
    scenarios, seed, horizon_hours : int
        Forecast scenarios, their seed, and the hours planned (default 200, 0, 168).
    time_limit : float
        Seconds for the placement solver.
    mip_gap : float
        Relative gap at which the placement MILP stops.
    forecast_method : str
        ``"auto"``, ``"seasonal"``, ``"seasonal_naive"`` or ``"mstl"``.
    discounts : dict of str to float
        Negotiated discount per cloud on its on-demand and reserved prices (0.15: 15% off).
    headroom_quantile : float in (0, 1)
        Reserved units idle at this quantile of forecast demand are offered to workloads.
    """

    service_level: float | None = None
    safety_margin: float = 0.0
    budget: float | None = None
    max_cloud_share: float | None = None
    carbon_price: float = 0.0
    scenarios: int = 200
    seed: int = 0
    horizon_hours: int = 168
    time_limit: float = 60.0
    mip_gap: float = 1e-3
    forecast_method: str = "auto"
    discounts: dict[str, float] = field(default_factory=dict)
    headroom_quantile: float = 0.9

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, source: str = "policy") -> Policy:
        """Validate ``values`` (e.g. the parsed ``policy.yaml``) and fill in the defaults.

        Examples
        --------
        >>> Policy.from_mapping({"service_level": 0.9}).service_level
        0.9
        >>> Policy.from_mapping({"servce_level": 0.9})
        Traceback (most recent call last):
        ...
        resopt.errors.InputError: Unknown key 'servce_level' in policy (did you mean 'service_level'?). ...
        """
        values = dict(values or {})
        known = [f.name for f in fields(cls)]
        for key in values:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise InputError(f"Unknown key {key!r} in {source}{hint}. Known keys: {', '.join(known)}.")
        out = {}
        for key, value in values.items():
            out[key] = _check_policy_value(key, value, source)
        return cls(**out)

    def updated(self, overrides: Mapping[str, Any] | None, source: str = "policy") -> Policy:
        """A copy with ``overrides`` applied (validated like :meth:`from_mapping`)."""
        if not overrides:
            return self
        merged = {**asdict(self), **dict(overrides)}
        return replace(self, **asdict(Policy.from_mapping(merged, source)))

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data (for ``summary.json`` and the history)."""
        return asdict(self)


_PROBABILITY = {"service_level": (0.0, 1.0, True), "max_cloud_share": (0.0, 1.0, True),
                "headroom_quantile": (0.0, 1.0, False)}
_NONNEGATIVE = ("safety_margin", "carbon_price", "budget", "mip_gap")
_WHOLE = {"scenarios": 1, "horizon_hours": 1, "seed": 0}
_METHODS = ("auto", "seasonal", "seasonal_naive", "mstl")


def _check_policy_value(key: str, value: Any, source: str) -> Any:
    name = f"{key}' in '{source}"
    if key in ("service_level", "budget", "max_cloud_share") and value is None:
        return None
    if key == "forecast_method":
        if value not in _METHODS:
            raise InputError(f"'{key}' in {source} must be one of {', '.join(_METHODS)}. Got {value!r}.")
        return value
    if key == "discounts":
        return _check_discounts(value, source)
    if key in _PROBABILITY:
        low, high, closed = _PROBABILITY[key]
        v = check_scalar(value, name, minimum=low, strict_minimum=True, maximum=high)
        if not closed and v >= high:
            raise InputError(f"'{key}' in {source} must be < {high:g}. Got {value!r}.")
        return v
    if key in _WHOLE:
        v = check_scalar(value, name, minimum=_WHOLE[key])
        if not float(v).is_integer():
            raise InputError(f"'{key}' in {source} must be a whole number. Got {value!r}.")
        return int(v)
    if key == "time_limit":
        return check_scalar(value, name, minimum=0, strict_minimum=True)
    return check_scalar(value, name, minimum=0)


def _check_discounts(value: Any, source: str) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"'discounts' in {source} must map cloud names to discounts (e.g. {{aws: 0.15}}). "
                         f"Got {value!r}.")
    out = {}
    for cloud, rate in value.items():
        v = check_scalar(rate, f"discounts.{cloud}' in '{source}", minimum=0)
        if v >= 1:
            raise InputError(f"'discounts.{cloud}' in {source} must be below 1 (a share of the price). "
                             f"Got {rate!r}.")
        out[str(cloud)] = v
    return out


@dataclass
class PlanInputs:
    """The tables of a weekly plan, in memory.

    Attributes
    ----------
    usage : DataFrame
        Hourly usage history: ``timestamp``, ``pool``, ``used``.
    pools : DataFrame
        One row per reservable pool: ``pool``, ``cloud``, ``region``, ``accelerator``,
        ``reserved``, ``on_demand``; optional ``instance_type`` and the optional price
        columns of :func:`resopt.size_reservations`.
    offerings, workloads, egress : DataFrame or None
        As :func:`resopt.place_workloads` takes them; without workloads the plan sizes
        reservations only.
    policy : dict
        The policy keys given with the inputs (``policy.yaml``).
    hashes : dict of str to str
        SHA-256 of each input file (empty for tables built in memory).
    source : str or None
        The input directory, when read from one.
    """

    usage: TableLike
    pools: TableLike
    offerings: TableLike | None = None
    workloads: TableLike | None = None
    egress: TableLike | None = None
    policy: dict[str, Any] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        self.usage = as_frame(self.usage, "usage.csv")
        self.pools = as_frame(self.pools, "pools.csv")
        for name in ("offerings", "workloads", "egress"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, as_frame(value, f"{name}.csv"))
        if self.workloads is not None and self.offerings is None:
            raise InputError("workloads.csv is given but offerings.csv is missing: workloads need offerings "
                             "to be placed on.")
        if not isinstance(self.policy, Mapping):
            raise InputError(f"policy.yaml must hold a mapping of keys to values. Got {self.policy!r}.")
        if self.hashes == {}:
            self.hashes = {name: _frame_hash(getattr(self, name.removesuffix(".csv")))
                           for name in INPUT_FILES if name.endswith(".csv")
                           and getattr(self, name.removesuffix(".csv")) is not None}


def _frame_hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_csv_file(path: Path) -> pd.DataFrame:
    """Read a CSV file whose rows are labelled by their line number (header = line 1)."""
    try:
        frame = pd.read_csv(path, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name} could not be read as CSV: {str(exc).strip()}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a CSV file.") from None
    except PermissionError:
        raise InputError(f"{path} cannot be read (permission denied).") from None
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame


def read_plan_inputs(directory: str | os.PathLike[str]) -> PlanInputs:
    """Read a weekly-plan input directory (see :data:`INPUT_FILES`).

    Examples
    --------
    >>> from resopt.examples import weekly_example
    >>> inputs = read_plan_inputs(weekly_example())
    >>> len(inputs.pools), sorted(inputs.hashes)[:2]
    (12, ['offerings.csv', 'policy.yaml'])
    """
    root = Path(directory)
    if not root.exists():
        raise InputError(f"The input directory {str(root)!r} does not exist.")
    if not root.is_dir():
        raise InputError(f"{str(root)!r} is not a directory: resopt plan reads a directory of input files.")
    tables: dict[str, Any] = {}
    hashes: dict[str, str] = {}
    for name, required in INPUT_FILES.items():
        path = root / name
        if not path.exists():
            if required:
                raise InputError(f"The input directory {str(root)!r} has no {name} (required).")
            continue
        hashes[name] = _file_hash(path)
        key = name.rsplit(".", 1)[0]
        tables[key] = read_csv_file(path) if name.endswith(".csv") else _read_policy(path)
    policy = tables.pop("policy", None) or {}
    return PlanInputs(**tables, policy=policy, hashes=hashes, source=str(root))


def _read_policy(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name} is not valid YAML: {exc}") from None
    except (UnicodeDecodeError, PermissionError, IsADirectoryError) as exc:
        raise InputError(f"{path.name} cannot be read: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(f"{path.name} must hold a mapping of policy keys to values. Got {raw!r}.")
    return raw


def closest(value: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known value, or ``""``."""
    close = difflib.get_close_matches(str(value), known, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_pools(pools: pd.DataFrame, usage_pools: list[str]) -> pd.DataFrame:
    """Validate the labels of pools.csv against the usage history; return the pool table.

    Prices are validated by :func:`resopt.size_reservations` (messages then name pools.csv).
    """
    check_columns(pools, "pools.csv", POOL_COLUMNS, POOL_OPTIONAL)
    names = text_column(pools, "pools.csv", "pool")
    check_unique(names, "pools.csv", "pool", pools)
    for column in ("cloud", "region", "accelerator"):
        text_column(pools, "pools.csv", column)
    known = [str(n) for n in names]
    missing = sorted(set(usage_pools) - set(known))
    if missing:
        raise InputError(f"Pool {missing[0]!r} is in usage.csv but not in pools.csv{closest(missing[0], known)}. "
                         f"Every pool with usage needs a row in pools.csv.")
    unused = [n for n in known if n not in set(usage_pools)]
    if unused:
        row = pools.index[known.index(unused[0])]
        raise InputError(f"Pool {unused[0]!r} (pools.csv, row {row}) has no usage history in usage.csv: "
                         f"its demand cannot be forecast.")
    return pools


def apply_discounts(frame: pd.DataFrame, discounts: Mapping[str, float], columns: tuple[str, ...],
                    known_clouds: list[str]) -> pd.DataFrame:
    """Multiply ``columns`` of the rows of each discounted cloud by ``1 - discount``."""
    if not discounts:
        return frame
    for cloud in discounts:
        if cloud not in known_clouds:
            raise InputError(f"'discounts' in policy.yaml names the cloud {cloud!r}, which no pool or offering "
                             f"has{closest(cloud, known_clouds)}. Clouds: {', '.join(sorted(known_clouds))}.")
    frame = frame.copy()
    clouds = frame["cloud"].astype("string").str.strip()
    factor = np.ones(len(frame))
    for cloud, rate in discounts.items():
        factor[(clouds == cloud).to_numpy(dtype=bool, na_value=False)] = 1.0 - rate
    for column in columns:
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            # Leave unreadable cells as they are: the problem's validation names them.
            frame[column] = frame[column].where(values.isna(), values * factor)
    return frame


def accelerators_of(value: str) -> list[str]:
    """The accelerators a workload's ``accelerator`` cell allows (``*`` or empty: any)."""
    parts = [p.strip() for p in str(value).split("|") if p.strip()]
    return [] if not parts or "*" in parts else parts


def check_workload_accelerators(workloads: pd.DataFrame, known: list[str]) -> None:
    """A workload asking only for accelerators that no pool or offering has is bad input."""
    if "accelerator" not in workloads.columns:
        return
    known_set = set(known)
    for row, value in workloads["accelerator"].items():
        if isinstance(value, float) and math.isnan(value):
            continue
        wanted = accelerators_of(value)
        if wanted and not known_set.intersection(wanted):
            name = workloads.at[row, "workload"] if "workload" in workloads.columns else row
            raise InputError(
                f"The 'accelerator' column of workloads.csv names {value!r} for workload {name!r} (row {row}), "
                f"which no pool or offering has{closest(wanted[0], sorted(known_set))}. "
                f"Accelerators: {', '.join(sorted(known_set))}.")
