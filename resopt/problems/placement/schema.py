"""Validation of the placement inputs: three tables in, one :class:`PlacementInput` out.

Everything below this module works on NumPy arrays; every check raises
:class:`~resopt.errors.InputError` naming the table, the column, the row and the
value. Conventions (all documented in :func:`resopt.place_workloads`):

- ``accelerator``, ``clouds`` and ``regions`` of a workload list allowed values
  joined by ``|``; ``*`` or an empty cell means "any".
- An empty ``capacity_gpus`` / ``spot_capacity_gpus`` means unlimited, an empty
  ``spot_price_per_hour`` means no spot market, an empty ``unplaced_penalty``
  means the replica must be placed.
- A region is identified by ``(cloud, region)``.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..._validate import (
    MAX_AMOUNT,
    MAX_COST,
    MAX_PRICE,
    TableLike,
    as_frame,
    bool_column,
    check_scalar,
    check_unique,
    limit_text,
    numeric_column,
    row_location,
    check_columns,
    text_column,
)
from ...backends import BackendRegistry
from ...errors import InputError

__all__ = ["PlacementInput", "validate_inputs", "validate_options", "PlacementOptions", "BackendName", "MODES",
           "DEFAULT_EGRESS", "DEFAULT_MIP_GAP", "NOMINAL_TIME_LIMIT", "allows_any", "listed_values"]

#: What ``backend=`` of :func:`resopt.place_workloads` accepts.
BackendName = Literal["auto", "highs", "cvxpy", "pulp", "heuristic"]

#: The relative MIP gap of the exact backends when ``mip_gap`` is None.
DEFAULT_MIP_GAP = 1e-3

#: Seconds that stand in for the budget when ``time_limit`` is None (no limit): ``"auto"``
#: judges whether the MILP fits against it, and the heuristic paces its phases (LP,
#: subgradient) by it. It equals the old default ``time_limit``, so ``"auto"`` picks the
#: same backend for the same instance.
NOMINAL_TIME_LIMIT = 60.0

#: Modes of a placement, in the order of the mode codes 0, 1, 2.
MODES = ("reserved", "on_demand", "spot")

#: Default egress rates (USD/GB): within a region, between regions of one cloud, between clouds.
DEFAULT_EGRESS = (0.0, 0.02, 0.09)

WORKLOAD_COLUMNS = ("workload", "gpus", "hours", "accelerator")
OFFERING_COLUMNS = ("cloud", "region", "instance_type", "accelerator", "accelerator_count", "price_per_hour")
EGRESS_COLUMNS = ("src_cloud", "dst_cloud", "usd_per_gb")
#: Optional columns of each table (a near miss of one of these is an error, other extra columns pass).
WORKLOAD_OPTIONAL = ("replicas", "spread", "spot_ok", "clouds", "regions", "data_cloud", "data_region", "data_gb",
                     "unplaced_penalty")
OFFERING_OPTIONAL = ("spot_price_per_hour", "reserved_gpus", "capacity_gpus", "spot_capacity_gpus", "throughput",
                     "gpu_watts", "carbon_g_per_kwh")
EGRESS_OPTIONAL = ("src_region", "dst_region")
#: The most replicas a placement may hold in all (the plan has one row per replica).
MAX_REPLICAS = 1_000_000


@dataclass
class PlacementInput:
    """Validated placement data as arrays (W workloads, O offerings).

    ``allowed`` is the boolean compatibility of each workload *profile* (its
    accelerator, cloud and region restrictions) with each offering: workload
    ``i`` may use offering ``j`` when ``allowed[profile[i], j]``.
    """

    workload_ids: np.ndarray
    gpus: np.ndarray
    hours: np.ndarray
    replicas: np.ndarray
    spread: np.ndarray
    spot_ok: np.ndarray
    penalty: np.ndarray  # inf: must be placed
    data_gb: np.ndarray
    data_loc: np.ndarray  # index into data_locations, -1: no data
    accel_req: np.ndarray  # the workload's accelerator text
    cloud_req: np.ndarray
    region_req: np.ndarray
    profile: np.ndarray
    allowed: np.ndarray  # (profiles, O) bool

    off_cloud: np.ndarray
    off_region: np.ndarray
    off_type: np.ndarray
    off_accel: np.ndarray
    accel_count: np.ndarray
    price: np.ndarray
    spot_price: np.ndarray  # NaN: no spot
    capacity: np.ndarray  # (O, 3) GPUs per mode, inf: unlimited
    throughput: np.ndarray
    gpu_watts: np.ndarray
    carbon: np.ndarray
    off_loc: np.ndarray  # index into locations
    off_cloud_code: np.ndarray
    clouds: np.ndarray  # distinct clouds of the catalog
    locations: list[tuple[str, str]]
    egress_rate: np.ndarray  # (data locations, locations) USD/GB

    budget: float | None = None
    max_cloud_share: float | None = None
    carbon_price: float = 0.0
    offering_labels: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    @property
    def num_workloads(self) -> int:
        return int(self.gpus.size)

    @property
    def num_offerings(self) -> int:
        return int(self.price.size)

    @property
    def num_replicas(self) -> int:
        return int(self.replicas.sum())

    def subset(self, workloads: np.ndarray, capacity: np.ndarray | None = None,
               budget: float | None = None) -> PlacementInput:
        """A copy restricted to some workloads (and optionally other capacities / budget)."""
        idx = np.asarray(workloads)
        per_w = {"workload_ids", "gpus", "hours", "replicas", "spread", "spot_ok", "penalty", "data_gb",
                 "data_loc", "accel_req", "cloud_req", "region_req", "profile"}
        kwargs: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            kwargs[name] = value[idx] if name in per_w else value
        if capacity is not None:
            kwargs["capacity"] = capacity
        kwargs["budget"] = budget if budget is not None else self.budget
        return PlacementInput(**kwargs)


def listed_values(text: str) -> list[str]:
    """The values a ``|``-joined cell lists (``accelerator``, ``clouds``, ``regions`` of a workload).

    >>> listed_values(" H100 | A100 "), listed_values("")
    (['H100', 'A100'], [])
    """
    return [t.strip() for t in str(text).split("|") if t.strip()]


def allows_any(text: str) -> bool:
    """True when a ``|``-joined cell puts no restriction: it is empty or ``*``.

    >>> allows_any("*"), allows_any(""), allows_any("H100|A100")
    (True, True, False)
    """
    values = listed_values(text)
    return not values or values == ["*"]


def _first_of_each(*columns: np.ndarray) -> list[tuple[int, tuple[Any, ...]]]:
    """``(position, values)`` of the first row of each distinct combination of ``columns``, in row order.

    Checks then run once per distinct value, not once per row, and still name the first bad row.

    >>> _first_of_each(np.array(["a", "b", "a", "c"], dtype=object))
    [(0, ('a',)), (1, ('b',)), (3, ('c',))]
    """
    frame = pd.DataFrame({i: c for i, c in enumerate(columns)})
    firsts = frame[~frame.duplicated()]
    return list(zip(firsts.index.tolist(), firsts.itertuples(index=False, name=None)))


def _check_known(values: np.ndarray, known: set[str], table: str, column: str, df: pd.DataFrame,
                 what: str) -> None:
    for pos, (text,) in _first_of_each(values):
        if allows_any(text):
            continue
        for tok in listed_values(text):
            if tok == "*":
                continue
            if tok not in known:
                close = difflib.get_close_matches(tok, sorted(known), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise InputError(
                    f"The '{column}' column of {table} names {what} that no offering has. Got {tok!r} "
                    f"at {row_location(df, pos)}.{hint} Known: {', '.join(sorted(known)[:20])}."
                )


def _frame_labels(df: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    """Index ``df`` by its id column so messages name the workload, not a position."""
    out = df.copy()
    out.index = pd.Index(ids, dtype=object)
    return out


def _open_table(raw: TableLike, table: str, required: tuple[str, ...], optional: tuple[str, ...],
                item: str) -> pd.DataFrame:
    df = as_frame(raw, table)
    check_columns(df, table, required, optional)
    if len(df) == 0:
        raise InputError(f"{table} is empty: give at least one {item}.")
    return df


def _workloads(raw: TableLike) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    table = "workloads"
    df = _open_table(raw, table, WORKLOAD_COLUMNS, WORKLOAD_OPTIONAL, "workload")
    ids = text_column(df, table, "workload")
    check_unique(ids, table, "workload", df)
    df = _frame_labels(df, ids)
    out: dict[str, np.ndarray] = {"workload_ids": ids}
    out["gpus"] = numeric_column(df, table, "gpus", minimum=1, maximum=MAX_AMOUNT, integer=True)
    out["hours"] = numeric_column(df, table, "hours", minimum=0, strict_minimum=True, maximum=MAX_AMOUNT)
    out["accel_req"] = text_column(df, table, "accelerator")
    reps = numeric_column(df, table, "replicas", default=1, minimum=1, maximum=MAX_REPLICAS, integer=True,
                          allow_missing=True)
    out["replicas"] = np.nan_to_num(reps, nan=1.0).astype(np.int64)  # an empty cell means 1
    out["spread"] = bool_column(df, table, "spread")
    out["spot_ok"] = bool_column(df, table, "spot_ok")
    out["cloud_req"] = text_column(df, table, "clouds", default="")
    out["region_req"] = text_column(df, table, "regions", default="")
    out["data_cloud"] = text_column(df, table, "data_cloud", default="")
    out["data_region"] = text_column(df, table, "data_region", default="")
    data_gb = numeric_column(df, table, "data_gb", default=0.0, minimum=0, maximum=MAX_AMOUNT, allow_missing=True)
    out["data_gb"] = np.nan_to_num(data_gb, nan=0.0)
    pen = numeric_column(df, table, "unplaced_penalty", default=math.inf, minimum=0, maximum=MAX_COST,
                         allow_missing=True, allow_inf=True)
    out["penalty"] = np.where(np.isnan(pen), np.inf, pen)
    lost = np.flatnonzero((out["data_gb"] > 0) & (out["data_cloud"] == ""))
    if lost.size:
        pos = int(lost[0])
        raise InputError(
            f"The 'data_cloud' column of workloads must say where the data lives when 'data_gb' > 0. "
            f"Got {df['data_cloud'].iloc[pos] if 'data_cloud' in df.columns else None!r} at row {ids[pos]!r}."
        )
    return df, out


def _offerings(raw: TableLike) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    table = "offerings"
    df = _open_table(raw, table, OFFERING_COLUMNS, OFFERING_OPTIONAL, "offering")
    out: dict[str, np.ndarray] = {}
    for col in ("cloud", "region", "instance_type", "accelerator"):
        out[col] = text_column(df, table, col)
    out["accelerator_count"] = numeric_column(df, table, "accelerator_count", minimum=0, strict_minimum=True,
                                              maximum=MAX_AMOUNT)
    out["price"] = numeric_column(df, table, "price_per_hour", minimum=0, maximum=MAX_PRICE)
    out["spot_price"] = numeric_column(df, table, "spot_price_per_hour", default=math.nan, minimum=0,
                                       maximum=MAX_PRICE, allow_missing=True)

    def capacity(col: str, empty: float) -> np.ndarray:
        v = numeric_column(df, table, col, default=empty, minimum=0, maximum=MAX_AMOUNT, allow_missing=True,
                           allow_inf=True)
        return np.where(np.isnan(v), empty, v)

    cap = np.empty((len(df), 3))
    cap[:, 0] = capacity("reserved_gpus", 0.0)
    cap[:, 1] = capacity("capacity_gpus", math.inf)
    cap[:, 2] = np.where(np.isnan(out["spot_price"]), 0.0, capacity("spot_capacity_gpus", math.inf))
    out["capacity"] = cap
    thr = numeric_column(df, table, "throughput", default=1.0, minimum=0, strict_minimum=True, maximum=MAX_AMOUNT,
                         allow_missing=True)
    out["throughput"] = np.where(np.isnan(thr), 1.0, thr)
    for col, name in (("gpu_watts", "gpu_watts"), ("carbon_g_per_kwh", "carbon")):
        v = numeric_column(df, table, col, default=0.0, minimum=0, maximum=MAX_AMOUNT, allow_missing=True)
        out[name] = np.nan_to_num(v, nan=0.0)
    return df, out


@dataclass
class _EgressRules:
    """The egress table as rules ``(specificity, src_cloud, src_region, dst_cloud, dst_region, rate)``,
    most specific first, plus the table itself for messages."""

    rules: list[tuple[int, str, str, str, str, float]]
    frame: pd.DataFrame | None = None

    def regions(self, cloud: str) -> set[str]:
        """Regions of ``cloud`` the rules name (as source or destination)."""
        out = {sr for _, sc, sr, _, _, _ in self.rules if sc == cloud and sr}
        return out | {tr for _, _, _, tc, tr, _ in self.rules if tc == cloud and tr}

    @property
    def clouds(self) -> set[str]:
        return {r[1] for r in self.rules} | {r[3] for r in self.rules}


def _read_egress(raw: TableLike | None) -> _EgressRules:
    """Check the egress table (clouds are checked once the workloads' data clouds are known)."""
    if raw is None:
        return _EgressRules([])
    table = "egress"
    df = as_frame(raw, table)
    check_columns(df, table, EGRESS_COLUMNS, EGRESS_OPTIONAL)
    src_c = text_column(df, table, "src_cloud")
    dst_c = text_column(df, table, "dst_cloud")
    src_r = text_column(df, table, "src_region", default="", allow_missing=True)
    dst_r = text_column(df, table, "dst_region", default="", allow_missing=True)
    rate = numeric_column(df, table, "usd_per_gb", minimum=0, maximum=MAX_PRICE)
    rules = [(int(bool(src_r[i])) + int(bool(dst_r[i])), src_c[i], src_r[i], dst_c[i], dst_r[i], float(rate[i]))
             for i in range(len(df))]
    rules.sort(key=lambda r: -r[0])  # most specific rule first (stable: table order among equals)
    return _EgressRules(rules, df)


def _check_egress_clouds(egress: _EgressRules, clouds: set[str], data_clouds: set[str]) -> None:
    if egress.frame is None:
        return
    df = egress.frame
    for column, known in (("src_cloud", clouds | data_clouds), ("dst_cloud", clouds)):
        values = text_column(df, "egress", column)
        for pos, v in enumerate(values):
            if v not in known:
                raise InputError(
                    f"The '{column}' column of egress names an unknown cloud. Got {v!r} at "
                    f"{row_location(df, pos)}.{_hint(v, known)} Known clouds: {', '.join(sorted(known))}."
                )


def _hint(value: str, known: set[str]) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_data_locations(w: dict[str, np.ndarray], wdf: pd.DataFrame, o: dict[str, np.ndarray],
                          egress: _EgressRules) -> None:
    """Each workload's ``data_cloud`` / ``data_region`` must name a place the offerings or egress know.

    An unknown name would silently get the default cross-cloud egress rate. Data
    outside every offering's cloud (on premises, say) is named by an egress row
    from it; when no row names a region of such a cloud, its region is not checked
    (it does not change any rate).
    """
    clouds = set(o["cloud"]) | egress.clouds
    named = np.flatnonzero(w["data_cloud"] != "")
    for first, (cloud, region) in _first_of_each(w["data_cloud"][named], w["data_region"][named]):
        pos = int(named[first])
        if cloud not in clouds:
            raise InputError(
                f"The 'data_cloud' column of workloads names a cloud that is neither in offerings nor in "
                f"egress. Got {cloud!r} at {row_location(wdf, pos)}.{_hint(cloud, clouds)} "
                f"Known clouds: {', '.join(sorted(clouds))}."
            )
        regions = set(o["region"][o["cloud"] == cloud]) | egress.regions(cloud)
        if region and regions and region not in regions:
            raise InputError(
                f"The 'data_region' column of workloads names a region of {cloud!r} that is neither in "
                f"offerings nor in egress. Got {region!r} at {row_location(wdf, pos)}."
                f"{_hint(region, regions)} Known regions of {cloud!r}: {', '.join(sorted(regions)[:20])}."
            )


def _egress_rates(egress: _EgressRules, locations: list[tuple[str, str]],
                  data_locations: list[tuple[str, str]]) -> np.ndarray:
    """Egress rate (USD/GB) from each data location to each offering location."""
    rates = np.zeros((len(data_locations), len(locations)))
    for i, (dc, dr) in enumerate(data_locations):
        for j, (oc, orr) in enumerate(locations):
            if dc == oc and (dr == orr or dr == ""):
                rates[i, j] = DEFAULT_EGRESS[0]  # within the data's region (or a cloud-wide bucket)
                continue
            value = DEFAULT_EGRESS[1] if dc == oc else DEFAULT_EGRESS[2]
            for _, sc, sr, tc, tr, r in egress.rules:
                if sc == dc and tc == oc and (not sr or sr == dr) and (not tr or tr == orr):
                    value = r
                    break
            rates[i, j] = value
    return rates


def _check_offerings_unique(odf: pd.DataFrame, o: dict[str, np.ndarray]) -> None:
    """The same (cloud, region, instance_type) twice would count its capacity twice."""
    key = pd.DataFrame({"c": o["cloud"], "r": o["region"], "t": o["instance_type"]})
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        same = np.flatnonzero(dup & (key == key.iloc[first]).all(axis=1).to_numpy())[:2]
        raise InputError(
            f"offerings lists cloud {o['cloud'][first]!r}, region {o['region'][first]!r}, instance_type "
            f"{o['instance_type'][first]!r} twice, at {row_location(odf, same)}: its capacity would be counted "
            "twice. Merge the rows (add their capacities) or remove one."
        )


def _check_sizes(w: dict[str, np.ndarray], wdf: pd.DataFrame, o: dict[str, np.ndarray], rates: np.ndarray,
                 carbon_price: float) -> None:
    """Reject plans whose size or cost is beyond what the arithmetic can carry, before any solving.

    The plan lists every replica on its own row, so the replicas in all are
    limited by :data:`MAX_REPLICAS`. A workload's cost is bounded above from its
    own row and the dearest offering, and must stay within :data:`MAX_COST`.
    """
    total = float(w["replicas"].sum())
    if total > MAX_REPLICAS:
        biggest = int(np.argmax(w["replicas"]))
        raise InputError(
            f"workloads ask for {total:.6g} replicas in all, more than {limit_text(MAX_REPLICAS)}, the largest "
            f"number accepted (the plan has one row per replica); the largest is {int(w['replicas'][biggest]):,} at "
            f"{row_location(wdf, biggest)}."
        )
    count, thr = o["accelerator_count"], o["throughput"]
    price = np.fmax(o["price"], np.nan_to_num(o["spot_price"]))
    per_gpu = float(np.max(price / (count * thr)))
    per_instance = float(np.max(price / thr))
    energy = o["gpu_watts"] * o["carbon"] / thr  # g CO2 per GPU-hour, times 1000
    gpus, hours, reps = w["gpus"], w["hours"], w["replicas"]
    with np.errstate(over="ignore", invalid="ignore"):
        compute = hours * (gpus * per_gpu + per_instance)
        rate = float(rates.max()) if rates.size else 0.0
        egress = w["data_gb"] * max(rate, DEFAULT_EGRESS[2])
        carbon = carbon_price * hours * (gpus * float(np.max(energy)) + float(np.max(count * energy))) / 1e9
        bound = reps * (compute + egress + carbon)
        pen = np.where(np.isfinite(w["penalty"]), w["penalty"] * reps, 0.0)
    worst = int(np.argmax(np.nan_to_num(np.fmax(bound, pen), nan=np.inf)))
    value = max(float(bound[worst]), float(pen[worst]))
    if not value <= MAX_COST:
        raise InputError(
            f"The cost of workload {w['workload_ids'][worst]!r} ({row_location(wdf, worst)}) could reach "
            f"{value:.3g} USD (its gpus x hours x replicas at the dearest offering, plus egress, carbon and "
            f"unplaced penalty), above {limit_text(MAX_COST)} USD, the largest plan cost accepted: beyond it "
            "the solvers' arithmetic is meaningless. Check that row's 'gpus', 'hours', 'replicas', 'data_gb' "
            "and 'unplaced_penalty', and the offerings' prices, 'throughput' and 'gpu_watts'."
        )


def _profiles(accel: np.ndarray, cloud_req: np.ndarray, region_req: np.ndarray, off_accel: np.ndarray,
              off_cloud: np.ndarray, off_region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group workloads by their (accelerator, clouds, regions) restriction; mask each against offerings."""
    key = pd.Series(accel).astype(str) + "\x1f" + pd.Series(cloud_req).astype(str) + "\x1f" + \
        pd.Series(region_req).astype(str)
    codes, uniques = pd.factorize(key, sort=False)
    allowed = np.ones((len(uniques), off_accel.size), dtype=bool)
    for p, text in enumerate(uniques):
        a, c, r = str(text).split("\x1f")
        for req, have in ((a, off_accel), (c, off_cloud), (r, off_region)):
            if not allows_any(req):
                allowed[p] &= np.isin(have, listed_values(req))
    return codes.astype(np.int64), allowed


def validate_inputs(
    workloads: TableLike,
    offerings: TableLike,
    egress: TableLike | None = None,
    *,
    budget: Any = None,
    max_cloud_share: Any = None,
    carbon_price: Any = 0.0,
) -> PlacementInput:
    """Check the placement tables and scalars; return them as a :class:`PlacementInput`.

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.DataFrame({"workload": ["a"], "gpus": [8], "hours": [10], "accelerator": ["H100"]})
    >>> o = pd.DataFrame({"cloud": ["aws"], "region": ["us-east-1"], "instance_type": ["p5.48xlarge"],
    ...                   "accelerator": ["H100"], "accelerator_count": [8], "price_per_hour": [55.04]})
    >>> validate_inputs(w, o).num_replicas
    1
    """
    budget = check_scalar(budget, "budget", minimum=0, maximum=MAX_COST, allow_none=True)
    share = check_scalar(max_cloud_share, "max_cloud_share", minimum=0, strict_minimum=True, maximum=1,
                         allow_none=True)
    carbon_price = check_scalar(carbon_price, "carbon_price", minimum=0, maximum=MAX_PRICE)
    wdf, w = _workloads(workloads)
    odf, o = _offerings(offerings)
    _check_offerings_unique(odf, o)
    egress_rules = _read_egress(egress)
    _check_egress_clouds(egress_rules, set(o["cloud"]), set(w["data_cloud"][w["data_cloud"] != ""]))
    _check_data_locations(w, wdf, o, egress_rules)
    _check_known(w["accel_req"], set(o["accelerator"]), "workloads", "accelerator", wdf, "an accelerator")
    _check_known(w["cloud_req"], set(o["cloud"]), "workloads", "clouds", wdf, "a cloud")
    _check_known(w["region_req"], set(o["region"]), "workloads", "regions", wdf, "a region")
    loc_key = pd.Series(o["cloud"]).astype(str) + "\x1f" + pd.Series(o["region"]).astype(str)
    loc_codes, loc_uniques = pd.factorize(loc_key, sort=True)
    locations = [tuple(str(u).split("\x1f")) for u in loc_uniques]
    has_data = w["data_cloud"] != ""
    dkey = pd.Series(w["data_cloud"]).astype(str) + "\x1f" + pd.Series(w["data_region"]).astype(str)
    dcodes, duniques = pd.factorize(dkey.where(has_data, None), sort=True)
    data_locations = [tuple(str(u).split("\x1f")) for u in duniques]
    rates = _egress_rates(egress_rules, locations, data_locations)
    _check_sizes(w, wdf, o, rates, float(carbon_price))
    profile, allowed = _profiles(w["accel_req"], w["cloud_req"], w["region_req"],
                                 o["accelerator"], o["cloud"], o["region"])
    cloud_codes, clouds = pd.factorize(pd.Series(o["cloud"]), sort=True)
    return PlacementInput(
        workload_ids=w["workload_ids"], gpus=w["gpus"], hours=w["hours"], replicas=w["replicas"],
        spread=w["spread"], spot_ok=w["spot_ok"], penalty=w["penalty"], data_gb=w["data_gb"],
        data_loc=dcodes.astype(np.int64), accel_req=w["accel_req"], cloud_req=w["cloud_req"],
        region_req=w["region_req"], profile=profile, allowed=allowed,
        off_cloud=o["cloud"], off_region=o["region"], off_type=o["instance_type"],
        off_accel=o["accelerator"], accel_count=o["accelerator_count"], price=o["price"],
        spot_price=o["spot_price"], capacity=o["capacity"], throughput=o["throughput"],
        gpu_watts=o["gpu_watts"], carbon=o["carbon"], off_loc=loc_codes.astype(np.int64),
        off_cloud_code=cloud_codes.astype(np.int64), clouds=np.asarray(clouds, dtype=object),
        locations=locations, egress_rate=rates, budget=budget, max_cloud_share=share,
        carbon_price=float(carbon_price), offering_labels=np.asarray(odf.index, dtype=object),
    )


@dataclass(frozen=True)
class PlacementOptions:
    """The checked scalar options of :func:`resopt.place_workloads` (see there)."""

    backend: str = "auto"
    time_limit: float | None = None
    mip_gap: float = DEFAULT_MIP_GAP
    partitions: int = 1
    executor: Any = None
    seed: int = 0


def validate_options(
    backends: BackendRegistry,
    *,
    backend: Any = "auto",
    time_limit: Any = None,
    mip_gap: Any = DEFAULT_MIP_GAP,
    partitions: Any = 1,
    executor: Any = None,
    seed: Any = 0,
) -> PlacementOptions:
    """Check the solve options of a placement (the tables are :func:`validate_inputs`'s).

    ``backends`` is the placement registry, which names the valid backends. A
    ``mip_gap`` of None means :data:`DEFAULT_MIP_GAP`. Every bad value raises
    :class:`~resopt.errors.InputError` naming the option.

    Examples
    --------
    >>> from resopt.problems.placement.registry import REGISTRY
    >>> validate_options(REGISTRY, time_limit=5, partitions=2).time_limit
    5.0
    >>> validate_options(REGISTRY, partitions=0)
    Traceback (most recent call last):
    ...
    resopt.errors.InputError: 'partitions' must be a whole number >= 1. Got 0.
    """
    time_limit, gap = backends.check_options(backend, time_limit, mip_gap)
    for name, value, least in (("partitions", partitions, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise InputError(f"'{name}' must be a whole number >= {least}. Got {value!r}.")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise InputError(f"'executor' must have a submit method. Got {type(executor).__name__}.")
    return PlacementOptions(backend, time_limit, DEFAULT_MIP_GAP if gap is None else gap, int(partitions),
                            executor, int(seed))
