"""PlacementResult: the plan as tables, plus the diagnosis when there is no plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ...errors import InputError
from ...result import Result
from .formulation import ASSIGNMENT_COLUMNS, UNPLACED_COLUMNS

__all__ = ["PlacementResult", "Diagnosis"]


@dataclass
class Diagnosis:
    """Why a placement is infeasible, in the terms of the input.

    Attributes
    ----------
    reasons : list of str
        One sentence per finding; empty when nothing is wrong.
    no_offering : DataFrame
        Workloads without any compatible offering: ``workload``, ``reason``.
    shortfall : DataFrame
        Accelerator demand that exceeds the capacity it may use: ``accelerator``,
        ``scope`` (the clouds/regions it is restricted to), ``gpus_needed``,
        ``gpus_available``, ``short_by``.
    cuts : list of str
        Side constraints shown to cut the plan: ``"budget"``, ``"max_cloud_share"``.
    """

    reasons: list[str] = field(default_factory=list)
    no_offering: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["workload", "reason"]))
    shortfall: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["accelerator", "scope", "gpus_needed", "gpus_available", "short_by"]))
    cuts: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.reasons)

    def __str__(self) -> str:
        return "\n".join(self.reasons) if self.reasons else "no problem found"

    def brief(self, most: int = 5) -> str:
        """The first few reasons on one line (for a result's message; all stay in ``reasons``)."""
        rest = len(self.reasons) - most
        return "; ".join(self.reasons[:most]) + (f"; ... {rest} more in result.diagnosis" if rest > 0 else "")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(repr=False, eq=False)
class PlacementResult(Result):
    """Result of :func:`resopt.place_workloads`.

    Attributes
    ----------
    assignments : DataFrame
        One row per placed replica: workload, replica, cloud, region,
        instance_type, mode (reserved / on_demand / spot), instances, gpus
        (GPUs of capacity taken: whole instances), compute_cost, egress_cost,
        emissions_kg and cost (USD; cost = compute + egress + carbon price x emissions).
    unplaced : DataFrame
        One row per replica left unplaced (workload, replica, penalty).
    diagnosis : Diagnosis
        Why there is no plan, when the status is infeasible (empty otherwise).
    """

    assignments: pd.DataFrame = field(default_factory=lambda: _empty(ASSIGNMENT_COLUMNS))
    unplaced: pd.DataFrame = field(default_factory=lambda: _empty(UNPLACED_COLUMNS))
    diagnosis: Diagnosis = field(default_factory=Diagnosis)

    def to_frame(self) -> pd.DataFrame:
        """The assignments table."""
        return self.assignments

    def by_cloud(self) -> pd.DataFrame:
        """Cost, GPUs, replicas and share of spend per cloud.

        ``spend`` is compute + egress (what the budget and ``max_cloud_share``
        limit); ``share`` is the cloud's fraction of the total spend.
        """
        a = self.assignments
        spend = a["compute_cost"] + a["egress_cost"]
        frame = a.assign(spend=spend, replicas=1).groupby("cloud", sort=True)[
            ["replicas", "gpus", "compute_cost", "egress_cost", "emissions_kg", "spend", "cost"]].sum()
        total = float(frame["spend"].sum()) if len(frame) else 0.0
        frame["share"] = frame["spend"] / total if total > 0 else 0.0
        return frame

    def by_cloud_mode(self) -> pd.DataFrame:
        """Spend (compute + egress, USD) per cloud and mode: ``cloud``, ``mode``, ``cost``.

        Reserved capacity costs nothing at the margin, so reserved rows carry
        only their egress.
        """
        a = self.assignments
        table = (a.assign(cost=(a["compute_cost"] + a["egress_cost"]).astype(float))
                 .groupby(["cloud", "mode"], as_index=False, sort=True)["cost"].sum())
        return table[["cloud", "mode", "cost"]]

    def plot(self, kind: str = "cost", *, ax: Any = None) -> Any:
        """Draw the plan and return the matplotlib Axes.

        Parameters
        ----------
        kind : {"cost", "gpus_by_region"}
            ``"cost"``: spend per cloud, stacked by mode (reserved, on-demand,
            spot), from :meth:`by_cloud_mode` (:func:`resopt.plotting.cost_by_cloud_mode`,
            the figure of the weekly report). ``"gpus_by_region"``: GPUs placed per
            cloud region, stacked by mode (:func:`resopt.plotting.gpus_by_region`).
        ax : matplotlib Axes, optional
        """
        from ... import plotting

        if kind not in ("cost", "gpus_by_region"):
            raise InputError(f"Unknown plot kind {kind!r}. Kinds: 'cost', 'gpus_by_region'.")
        if not self.success:
            raise InputError(f"This placement has no plan to draw (status '{self.status}'). "
                             f"Why: {self.diagnosis or self.message}")
        if kind == "cost":
            ax = plotting.cost_by_cloud_mode(self.by_cloud_mode(), ax=ax)
            ax.set_ylabel("spend (USD)")
            ax.set_title("placement spend by cloud and mode")
            return ax
        return plotting.gpus_by_region(self.assignments, ax=ax)

    def _summary_lines(self) -> list[tuple[str, str]]:
        lines = super()._summary_lines()
        lines.insert(-1, ("replicas", f"{len(self.assignments)} placed, {len(self.unplaced)} unplaced"))
        if self.diagnosis:
            lines.append(("diagnosis", "; ".join(self.diagnosis.reasons)))
        return lines
