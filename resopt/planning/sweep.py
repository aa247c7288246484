"""What-if sweeps: the weekly plan over a grid of settings, in-process or on Dask.

Every what-if is a plan. :func:`sweep` runs :func:`~resopt.planning.weekly.plan_week` once
per combination of a grid's values, on the same inputs, and collects one row per
combination in :attr:`SweepResult.table`.

Settings a grid may vary:

- any policy key (``service_level``, ``safety_margin``, ``budget``, ``max_cloud_share``,
  ``carbon_price``, ``discounts``, ``forecast_method``, ...; see
  :class:`~resopt.planning.inputs.Policy`), and ``discounts.CLOUD`` for one cloud's discount;
- ``price_multiplier.cloud.CLOUD`` and ``price_multiplier.accelerator.NAME``: multiply the
  prices of that cloud's or that accelerator's rows (pools: ``reserved``, ``on_demand``,
  ``spot``; offerings: ``price_per_hour``, ``spot_price_per_hour``), before the policy's
  discounts; several multipliers that match one row multiply together;
- ``demand_growth``: multiplies every forecast scenario's hourly demand.

The forecast depends only on the usage history and the policy's
:data:`~resopt.planning.weekly.FORECAST_KEYS`, so it is computed once per distinct value of
those and shared by every combination that uses it.

Running on Dask (``client=``): the inputs are scattered to every worker once, each
distinct forecast is one task, and each combination is one task that takes the scattered
inputs and its forecast. Tasks are pure: the same settings and seed give the same row on
any worker, so a task lost with its worker is simply run again (Dask reschedules it;
``retries`` covers transient failures). The rows are therefore identical to a sequential
run, provided no solve stops at its time limit (where a solve stops then depends on the
machine's speed).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_scalar
from ..errors import BackendUnavailableError, InputError, ResoptError
from ..result import render_html, render_text
from .inputs import PlanInputs, Policy, closest, read_plan_inputs
from .weekly import FORECAST_KEYS, forecast_step, plan_week

__all__ = ["sweep", "SweepResult", "flatten_grid", "read_grid", "dask_client", "reprice", "grow_forecast"]

GROWTH = "demand_growth"
PRICE_MULTIPLIER = "price_multiplier"
DISCOUNTS = "discounts"
#: Price columns a price multiplier scales.
POOL_PRICE_COLUMNS = ("reserved", "on_demand", "spot")
OFFERING_PRICE_COLUMNS = ("price_per_hour", "spot_price_per_hour")
#: Times Dask runs a task again after it raised (a task lost with its worker is
#: rescheduled by the scheduler regardless).
RETRIES = 2
EXTRA = "pip install 'resopt[distributed]'"


# --------------------------------------------------------------------------- the grid


def flatten_grid(grid: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Setting names mapped to their lists of values, nested mappings spelled with dots.

    A scalar is a list of one value. ``price_multiplier`` and ``discounts`` may be nested
    (as in a YAML file): ``{"price_multiplier": {"accelerator": {"H100": [0.8, 1]}}}`` is
    ``{"price_multiplier.accelerator.H100": [0.8, 1]}``; a *list* of mappings under
    ``discounts`` is a list of whole discount tables.

    Examples
    --------
    >>> flatten_grid({"service_level": [0.9, 0.99], "seed": 3,
    ...               "price_multiplier": {"cloud": {"aws": [0.8, 1.0]}}})
    {'service_level': [0.9, 0.99], 'seed': [3], 'price_multiplier.cloud.aws': [0.8, 1.0]}
    """
    if not isinstance(grid, Mapping) or not grid:
        raise InputError("The sweep grid must map setting names to lists of values, e.g. "
                         f"{{'service_level': [0.9, 0.99]}}. Got {grid!r}.")
    flat: dict[str, list[Any]] = {}

    def add(name: str, value: Any) -> None:
        root = name.split(".", 1)[0]
        if isinstance(value, Mapping) and root in (PRICE_MULTIPLIER, DISCOUNTS):
            if not value:
                raise InputError(f"The sweep setting {name!r} is an empty mapping.")
            for key, inner in value.items():
                add(f"{name}.{key}", inner)
            return
        values = list(value) if isinstance(value, (list, tuple, range, np.ndarray, pd.Series)) else [value]
        if not values:
            raise InputError(f"The sweep setting {name!r} has no values (give at least one).")
        if name in flat:
            raise InputError(f"The sweep setting {name!r} is given twice.")
        flat[name] = values

    for name, value in grid.items():
        if not isinstance(name, str):
            raise InputError(f"Sweep setting names must be text. Got {name!r}.")
        add(name.strip(), value)
    return flat


def read_grid(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a sweep grid from a YAML file (a mapping of setting names to lists of values)."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InputError(f"The grid file {str(path)!r} does not exist.") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(f"The grid file {str(path)!r} cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"The grid file {path.name} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not raw:
        raise InputError(f"The grid file {path.name} must map setting names to lists of values, e.g. "
                         f"'service_level: [0.9, 0.99]'. Got {raw!r}.")
    return raw


def check_axes(names: list[str], **axes: str | None) -> None:
    """Each given plot axis (``x=``, ``by=``) must be one of the grid's settings."""
    for option, value in axes.items():
        if value is not None and value not in names:
            raise InputError(f"The frontier plot's {option} {value!r} is not a setting of the grid"
                             f"{closest(value, names)}. "
                             f"Settings: {', '.join(names)}.")


def _labels(frame: pd.DataFrame | None, column: str) -> list[str]:
    if frame is None or column not in frame.columns:
        return []
    return sorted(set(frame[column].dropna().astype(str).str.strip()))


def _known_settings(inputs: PlanInputs) -> tuple[list[str], list[str], list[str]]:
    """(policy keys, clouds, accelerators) a grid may name."""
    clouds = sorted(set(_labels(inputs.pools, "cloud")) | set(_labels(inputs.offerings, "cloud")))
    accelerators = sorted(set(_labels(inputs.pools, "accelerator")) | set(_labels(inputs.offerings, "accelerator")))
    return [f.name for f in fields(Policy)], clouds, accelerators


def check_settings(names: list[str], inputs: PlanInputs) -> None:
    """Every name must be a setting a sweep knows; else InputError naming the closest one."""
    policy_keys, clouds, accelerators = _known_settings(inputs)
    known = [*policy_keys, GROWTH, *(f"{DISCOUNTS}.{c}" for c in clouds),
             *(f"{PRICE_MULTIPLIER}.cloud.{c}" for c in clouds),
             *(f"{PRICE_MULTIPLIER}.accelerator.{a}" for a in accelerators)]
    for name in names:
        if name in known:
            continue
        raise InputError(
            f"Unknown sweep setting {name!r}{closest(name, known)}. Settings: any policy key ({', '.join(policy_keys)}), "
            f"{GROWTH}, {DISCOUNTS}.<cloud>, {PRICE_MULTIPLIER}.cloud.<cloud> and "
            f"{PRICE_MULTIPLIER}.accelerator.<accelerator>, with clouds {', '.join(clouds) or '(none)'} and "
            f"accelerators {', '.join(accelerators) or '(none)'}.")


@dataclass(frozen=True)
class SweepPoint:
    """One combination of a grid: its settings, split by what they act on.

    ``error`` holds the message when a value is bad input (the point is not planned).
    """

    index: int
    settings: dict[str, Any]
    policy: dict[str, Any] = field(default_factory=dict)
    prices: dict[tuple[str, str], float] = field(default_factory=dict)
    growth: float = 1.0
    forecast: tuple[Any, ...] | None = None
    error: str | None = None


def sweep_points(grid: Mapping[str, list[Any]], base: Policy) -> list[SweepPoint]:
    """Every combination of ``grid`` (a :func:`flatten_grid` result), in grid order.

    Values are validated per combination: a bad one gives a point with its ``error``.
    """
    names = list(grid)
    points = []
    for index, values in enumerate(itertools.product(*grid.values())):
        settings = dict(zip(names, values))
        try:
            points.append(_point(index, settings, base))
        except InputError as exc:
            points.append(SweepPoint(index, settings, error=str(exc)))
    return points


def _point(index: int, settings: dict[str, Any], base: Policy) -> SweepPoint:
    source = "the sweep grid"
    policy: dict[str, Any] = {}
    prices: dict[tuple[str, str], float] = {}
    discounts: dict[str, Any] = {}
    growth = 1.0
    for name, value in settings.items():
        if name == GROWTH:
            growth = float(check_scalar(value, f"{name}' in '{source}", minimum=0, strict_minimum=True))
        elif name.startswith(f"{PRICE_MULTIPLIER}."):
            _, kind, target = name.split(".", 2)
            prices[(kind, target)] = float(check_scalar(value, f"{name}' in '{source}", minimum=0,
                                                        strict_minimum=True))
        elif name.startswith(f"{DISCOUNTS}."):
            discounts[name.split(".", 1)[1]] = value
        else:
            policy[name] = value
    if discounts:
        given = policy.get(DISCOUNTS, base.discounts)
        # A bad whole-table value stays as given, for the policy's validation to name.
        policy[DISCOUNTS] = {**(given or {}), **discounts} if given is None or isinstance(given, Mapping) else given
    in_force = base.updated(policy, source)  # raises InputError for a bad value
    return SweepPoint(index, settings, policy, prices, growth, tuple(getattr(in_force, k) for k in FORECAST_KEYS))


# --------------------------------------------------------------------------- what-ifs


def _scaled(frame: pd.DataFrame, columns: tuple[str, ...], factor: np.ndarray) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            # Leave unreadable cells as they are: the problem's validation names them.
            frame[column] = frame[column].where(values.isna(), values * factor)
    return frame


def _row_factors(frame: pd.DataFrame, prices: Mapping[tuple[str, str], float]) -> np.ndarray:
    factor = np.ones(len(frame))
    for (kind, target), multiplier in prices.items():
        if kind in frame.columns:
            match = frame[kind].astype("string").str.strip() == target
            factor[match.to_numpy(dtype=bool, na_value=False)] *= multiplier
    return factor


def reprice(inputs: PlanInputs, prices: Mapping[tuple[str, str], float]) -> PlanInputs:
    """``inputs`` with the prices of matching pools and offerings multiplied.

    ``prices`` maps ``("cloud", name)`` or ``("accelerator", name)`` to a multiplier.

    Examples
    --------
    >>> pools = pd.DataFrame({"pool": ["a", "b"], "cloud": ["aws", "gcp"], "accelerator": ["H100", "H100"],
    ...                       "reserved": [4.0, 5.0], "on_demand": [6.0, 8.0]})
    >>> inputs = PlanInputs(usage=pd.DataFrame({"pool": ["a"]}), pools=pools)
    >>> out = reprice(inputs, {("cloud", "aws"): 0.5, ("accelerator", "H100"): 0.8})
    >>> out.pools[["reserved", "on_demand"]].round(6).to_dict("list")
    {'reserved': [1.6, 4.0], 'on_demand': [2.4, 6.4]}
    """
    if not prices:
        return inputs
    pools = _scaled(inputs.pools, POOL_PRICE_COLUMNS, _row_factors(inputs.pools, prices))
    offerings = inputs.offerings
    if offerings is not None:
        offerings = _scaled(offerings, OFFERING_PRICE_COLUMNS, _row_factors(offerings, prices))
    return replace(inputs, pools=pools, offerings=offerings)


def grow_forecast(forecast: Any, factor: float) -> Any:
    """A copy of ``forecast`` whose scenario demand and demand quantiles are multiplied by ``factor``.

    Examples
    --------
    >>> from resopt.examples import weekly_example
    >>> from resopt.planning.inputs import read_plan_inputs
    >>> usage = read_plan_inputs(weekly_example()).usage
    >>> from resopt import forecast_demand
    >>> forecast = forecast_demand(usage, scenarios=5, horizon_hours=24)
    >>> grown = grow_forecast(forecast, 1.5)
    >>> bool((grown.scenarios["demand"] == 1.5 * forecast.scenarios["demand"]).all())
    True
    """
    if factor == 1.0:
        return forecast
    grown = copy.copy(forecast)
    # Plain attributes (or cached properties, which an instance attribute overrides).
    grown.scenarios = forecast.scenarios.assign(demand=forecast.scenarios["demand"] * factor)
    quantiles = getattr(forecast, "quantiles", None)
    if isinstance(quantiles, pd.DataFrame):
        labels = {"pool", "hour", "scenario", "timestamp"}
        grown.quantiles = quantiles.assign(**{c: quantiles[c] * factor for c in quantiles.columns
                                              if c not in labels and pd.api.types.is_float_dtype(quantiles[c])})
    return grown


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class _Failure:
    """A forecast that could not be made (bad input): the points using it report this."""

    message: str


def _forecast_task(inputs: PlanInputs, key: tuple[Any, ...]) -> Any:
    """The forecast for one distinct forecast setting (pure: same inputs and key, same forecast)."""
    try:
        return forecast_step(inputs, Policy(**dict(zip(FORECAST_KEYS, key))))
    except ResoptError as exc:
        return _Failure(str(exc))


def _point_task(inputs: PlanInputs, forecast: Any, point: SweepPoint) -> dict[str, Any]:
    """Plan one combination and return its row (pure, apart from ``runtime_s``)."""
    start = time.perf_counter()
    row: dict[str, Any] = dict(point.settings)
    try:
        if point.error is not None:
            raise InputError(point.error)
        if isinstance(forecast, _Failure):
            raise InputError(forecast.message)
        plan = plan_week(reprice(inputs, point.prices), policy=point.policy,
                         forecast=grow_forecast(forecast, point.growth))
        row.update(_outcome(plan))
    except ResoptError as exc:
        row.update(status="error", error=str(exc))
    row["runtime_s"] = time.perf_counter() - start
    return row


def _outcome(plan: Any) -> dict[str, Any]:
    s = plan.summary
    totals, steps, placement = s["totals"], s["steps"], s["placement"]
    solved = plan.success
    money = {k: (totals[v] if solved else math.nan) for k, v in
             (("total_cost", "expected_cost"), ("all_on_demand_cost", "all_on_demand_cost"),
              ("savings", "savings"), ("savings_pct", "savings_pct"))}
    row: dict[str, Any] = {"status": s["status"], **money, "new_reserved_units": totals["new_reserved_units"]}
    for step in ("reservations", "placement"):
        info = steps.get(step, {})
        row[f"{step}_status"] = info.get("status")
        row[f"{step}_gap"] = info.get("gap")
    row["replicas_unplaced"] = placement["replicas_unplaced"] if placement else None
    row["error"] = None
    for pool in s["pools"]:
        row[f"reserved.{pool['pool']}"] = pool["total_reserved"]
    return row


# --------------------------------------------------------------------------- running


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise BackendUnavailableError(f"Running on Dask needs dask.distributed, which is not installed: "
                                      f"{EXTRA}.") from None
    return distributed


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client for ``workers`` local worker processes or the cluster at ``scheduler``.

    Yields None when neither is given (run in-process). A local cluster runs one
    single-threaded worker process per requested worker and is shut down on exit.

    Raises
    ------
    BackendUnavailableError
        Dask is not installed (``pip install 'resopt[distributed]'``).
    """
    if workers is not None and scheduler is not None:
        raise InputError("Give either a number of local workers or a scheduler address, not both.")
    if workers is None and scheduler is None:
        yield None
        return
    distributed = _import_distributed()
    if scheduler is not None:
        with distributed.Client(scheduler) as client:
            yield client
        return
    count = check_scalar(workers, "workers", minimum=1)
    if not float(count).is_integer():
        raise InputError(f"'workers' must be a whole number. Got {workers!r}.")
    import dask

    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 for worker processes made each plan take
    # about 1.5x the CPU time (pandas frees and reallocates large blocks); numpy's thread
    # counts stay at Dask's default of 1. The statistical profiler (a thread sampling every
    # task's stack each 10 ms) is off: nothing here reads it. No dashboard; the HTTP port is
    # any free one.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                          "distributed.worker.profile.enabled": False}), \
            distributed.LocalCluster(n_workers=int(count), processes=True, threads_per_worker=1,
                                     dashboard_address=":0", scheduler_kwargs={"dashboard": False}) as cluster, \
            distributed.Client(cluster) as client:
        yield client


class _Progress:
    """A progress bar on stderr (tqdm when installed, else a line per tenth of the points)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled
        self.bar = None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=total, desc="resopt sweep", unit="plan", file=sys.stderr)

    def update(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.enabled and (self.done == self.total or self.done % max(1, self.total // 10) == 0):
            print(f"resopt sweep: {self.done}/{self.total} plans", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run_sequential(inputs: PlanInputs, points: list[SweepPoint], bar: _Progress) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    keys = list(dict.fromkeys(p.forecast for p in points))
    for key in keys:  # one forecast in memory at a time
        forecast = _forecast_task(inputs, key)
        for point in points:
            if point.forecast == key:
                rows[point.index] = _point_task(inputs, forecast, point)
                bar.update()
    return rows


def _run_dask(client: Any, inputs: PlanInputs, points: list[SweepPoint], bar: _Progress) -> dict[int, dict[str, Any]]:
    distributed = _import_distributed()
    token = uuid.uuid4().hex[:12]
    shared = client.scatter(inputs, broadcast=True, hash=False)  # once per worker
    keys = list(dict.fromkeys(p.forecast for p in points))
    forecasts = {key: client.submit(_forecast_task, shared, key, key=f"resopt-sweep-forecast-{token}-{j}",
                                    retries=RETRIES, pure=False)
                 for j, key in enumerate(keys)}
    futures = [client.submit(_point_task, shared, forecasts[p.forecast], p, key=f"resopt-sweep-{token}-{p.index}",
                             retries=RETRIES, pure=False) for p in points]
    for _ in distributed.as_completed(futures):
        bar.update()
    rows = client.gather(futures)
    return {p.index: row for p, row in zip(points, rows)}


def _describe(client: Any) -> str:
    if client is None:
        return "sequential"
    try:
        workers = len(client.scheduler_info()["workers"])
    except Exception:  # noqa: BLE001 - only for the description
        return "dask"
    return f"dask ({workers} worker{'s' if workers != 1 else ''})"


def sweep(
    inputs: PlanInputs | str | os.PathLike[str],
    grid: Mapping[str, Any],
    *,
    client: Any = None,
    progress: bool = True,
) -> SweepResult:
    """Run the weekly plan for every combination of ``grid``'s values (a what-if sweep).

    Parameters
    ----------
    inputs : PlanInputs or path
        The weekly plan's input directory or tables (see :func:`resopt.plan_week`).
    grid : mapping of str to list
        Setting name to the values to try; every combination is planned. Settings: any
        policy key, ``discounts.CLOUD``, ``price_multiplier.cloud.CLOUD``,
        ``price_multiplier.accelerator.NAME`` and ``demand_growth`` (see the module
        docstring). Nested mappings and scalars are accepted (:func:`flatten_grid`).
    client : dask.distributed.Client or str, optional
        Run the plans on this Dask cluster (a string is a scheduler address). None: run
        them one after the other in this process.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    SweepResult
        ``table`` has one row per combination, in grid order; a combination with a bad
        value (or whose plan raised an InputError) is a row with status ``error`` and its
        message in ``error``.

    Raises
    ------
    InputError
        An unknown setting (the message names the closest known one), an empty grid, bad
        inputs, or every combination failing with bad input (the first message).
    BackendUnavailableError
        ``client`` is an address and Dask is not installed.

    Examples
    --------
    >>> import resopt
    >>> from resopt.examples import weekly_example
    >>> result = resopt.sweep(weekly_example(), {"service_level": [0.5, 0.9], "scenarios": 20},
    ...                       progress=False)
    >>> result.table[["service_level", "status"]].to_dict("list")
    {'service_level': [0.5, 0.9], 'status': ['optimal', 'optimal']}
    >>> bool(result.table["total_cost"].is_monotonic_increasing)
    True
    """
    start = time.perf_counter()
    if not isinstance(inputs, PlanInputs):
        inputs = read_plan_inputs(inputs)
    flat = flatten_grid(grid)
    check_settings(list(flat), inputs)
    base = Policy.from_mapping(inputs.policy, "policy.yaml")
    points = sweep_points(flat, base)
    todo = [p for p in points if p.error is None]
    rows = {p.index: _point_task(inputs, None, p) for p in points if p.error is not None}
    bar = _Progress(len(points), progress)
    for _ in rows:
        bar.update()
    try:
        if client is None or not todo:
            rows.update(_run_sequential(inputs, todo, bar))
            ran_on = client
        elif isinstance(client, str):
            with dask_client(scheduler=client) as connected:
                rows.update(_run_dask(connected, inputs, todo, bar))
                ran_on = connected
        elif callable(getattr(client, "scatter", None)) and callable(getattr(client, "submit", None)):
            rows.update(_run_dask(client, inputs, todo, bar))
            ran_on = client
        else:
            raise InputError(f"'client' must be a dask.distributed Client or a scheduler address. "
                             f"Got {type(client).__name__}.")
        backend = _describe(ran_on) if todo else "sequential"
    finally:
        bar.close()
    table = _table([rows[p.index] for p in points], list(flat))
    if len(table) and (table["status"] == "error").all():
        raise InputError(f"Every combination of the sweep failed; the first: {table['error'].iloc[0]}")
    forecasts = len({p.forecast for p in todo})
    return SweepResult(table, list(flat), backend, time.perf_counter() - start, forecasts)


_RESULT_COLUMNS = ("status", "total_cost", "all_on_demand_cost", "savings", "savings_pct", "new_reserved_units",
                   "reservations_status", "reservations_gap", "placement_status", "placement_gap",
                   "replicas_unplaced")


def _table(rows: list[dict[str, Any]], settings: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    pools = sorted({c for row in rows for c in row if c.startswith("reserved.")})
    columns = [*settings, *_RESULT_COLUMNS, *pools, "error", "runtime_s"]
    table = table.reindex(columns=columns)
    for column in ("status", "reservations_status", "placement_status", "error"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    table.index = pd.RangeIndex(len(table), name="point")
    return table


# --------------------------------------------------------------------------- the result


@dataclass(repr=False)
class SweepResult:
    """The plans of a what-if sweep, one row per combination of the grid.

    Attributes
    ----------
    table : DataFrame
        Per combination (index ``point``, grid order): its settings; ``status`` (the plan's
        overall status, or ``error``); ``total_cost`` (expected USD over the horizon, NaN
        without a plan), ``all_on_demand_cost``, ``savings``, ``savings_pct``;
        ``new_reserved_units``; each step's status and gap; ``replicas_unplaced``;
        ``reserved.POOL`` (total reserved units per pool); ``error`` (the message of a
        failed combination); ``runtime_s``.
    settings : list of str
        The grid's setting names (the first columns of ``table``).
    backend : str
        ``"sequential"`` or ``"dask (N workers)"``.
    runtime_s : float
        Wall time of the sweep.
    forecasts : int
        Forecasts computed (one per distinct forecast setting).
    """

    table: pd.DataFrame
    settings: list[str]
    backend: str = "sequential"
    runtime_s: float = 0.0
    forecasts: int = 0

    @property
    def failed(self) -> pd.DataFrame:
        """The rows of combinations that failed with bad input."""
        return self.table[self.table["status"] == "error"]

    def best(self, by: str = "total_cost") -> pd.Series:
        """The row with the lowest ``by`` among the plans with a solution."""
        self._check_column(by, self.table.columns)
        ok = self.table[self.table["status"].isin(("optimal", "feasible"))]
        values = pd.to_numeric(ok[by], errors="coerce")
        if values.notna().sum() == 0:
            raise InputError(f"No plan of the sweep has a value in {by!r}.")
        return ok.loc[values.idxmin()]

    def varying(self) -> list[str]:
        """The settings that take more than one value."""
        return [s for s in self.settings if self.table[s].map(repr).nunique() > 1]

    def plot_frontier(self, x: str, y: str = "total_cost", by: str | None = None, *, ax: Any = None) -> Any:
        """Draw ``y`` against the setting ``x``; one line per value of ``by`` (and of any other
        setting that varies). Returns the matplotlib Axes; see :func:`resopt.plotting.sweep_frontier`."""
        from ..plotting import sweep_frontier

        check_axes(self.settings, x=x, by=by)
        self._check_column(y, self.table.columns)
        others = [s for s in self.varying() if s not in (x, by)]
        return sweep_frontier(self.table, x, y, by=by, others=others, ax=ax)

    @staticmethod
    def _check_column(name: str, known: Any) -> None:
        known = [str(k) for k in known]
        if name not in known:
            raise InputError(f"The sweep table has no column {name!r}{closest(name, known)}. "
                             f"Columns: {', '.join(known)}.")

    def default_axes(self) -> tuple[str, str | None]:
        """The ``x`` and ``by`` a frontier plot uses by default: the first two varying settings."""
        varying = self.varying() or self.settings
        numeric = [s for s in varying if pd.api.types.is_numeric_dtype(self.table[s])]
        x = (numeric or varying)[0]
        rest = [s for s in varying if s != x]
        return x, (rest[0] if rest else None)

    def write(self, out: str | os.PathLike[str], *, force: bool = False, x: str | None = None,
              by: str | None = None) -> Path:
        """Write ``sweep.csv`` and ``frontier.png`` into the directory ``out``, atomically.

        The files are written into a temporary directory beside ``out`` and renamed into
        place; an existing non-empty ``out`` is refused unless ``force``.
        """
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        from .outputs import prepare_output_dir

        path = prepare_output_dir(out, force=force)
        default_x, default_by = self.default_axes()
        x = x or default_x
        by = by if by is not None or x != default_x else default_by
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.absolute().parent))
        try:
            self.table.to_csv(staging / "sweep.csv", float_format="%.6g")
            ax = self.plot_frontier(x, by=by)
            ax.figure.savefig(staging / "frontier.png", dpi=120, bbox_inches="tight")
            plt.close(ax.figure)
            if path.exists():
                shutil.rmtree(path)
            os.rename(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return path

    def _lines(self) -> list[tuple[str, str]]:
        ok = self.table["status"].isin(("optimal", "feasible"))
        lines = [("settings", ", ".join(f"{s} ({self.table[s].map(repr).nunique()})" for s in self.settings)),
                 ("plans", f"{int(ok.sum())} of {len(self.table)} with a solution, {len(self.failed)} failed"),
                 ("forecasts", str(self.forecasts))]
        if ok.any():
            costs = self.table.loc[ok, "total_cost"]
            lines.append(("total cost", f"{costs.min():,.2f} to {costs.max():,.2f} USD"))
        lines.append(("runtime", f"{self.runtime_s:.1f} s"))
        return lines

    def __repr__(self) -> str:
        return render_text("SweepResult", f"{len(self.table)} plans, {self.backend}", self._lines())

    def _repr_html_(self) -> str:
        return render_html("SweepResult", f"{len(self.table)} plans, {self.backend}", self._lines(), self.table)
