"""The example data in models/placement/: golden cases, the catalog, and the README quick start."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from resopt import Status, place_workloads

import golden
from oracles.placement import check_plan

ROOT = Path(__file__).resolve().parents[1] / "models" / "placement"
CATALOG = pd.read_csv(ROOT / "catalog.csv")


def _offerings(keys: list[str]) -> pd.DataFrame:
    key = CATALOG["cloud"] + "/" + CATALOG["region"] + "/" + CATALOG["instance_type"]
    out = CATALOG[key.isin(keys)].reset_index(drop=True)
    assert len(out) == len(keys), "a case names an offering missing from the catalog"
    return out


@pytest.mark.parametrize("case, backend", golden.params("placement", ["highs", "cvxpy", "pulp", "heuristic"]))
def test_recorded_optimum(case, backend):
    w, o = case.inputs["workloads"], _offerings(case.inputs["offerings"])
    params = case.options
    r = place_workloads(w, o, backend=backend, mip_gap=0.0, **params)
    expected = case.expected
    if expected["status"] == "infeasible":
        if backend == "heuristic":
            assert r.status is Status.ERROR and "not proven infeasible" in r.message
        else:
            assert r.status is Status.INFEASIBLE and r.diagnosis.cuts == expected["cuts"]
        return
    check_plan(r, w, o, budget=params.get("budget"), share=params.get("max_cloud_share"),
               carbon_price=params.get("carbon_price", 0.0))
    if backend == "heuristic":
        assert r.bound <= expected["objective"] + 1e-6 <= r.objective + 1e-6
        return
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(expected["objective"], rel=1e-9)
    got = sorted(f"{a.workload}: {a.cloud}/{a.region}/{a.instance_type} {a.mode}" for a in r.assignments.itertuples())
    assert got == expected["placements"]


def test_catalog_prices_are_the_published_ones():
    row = CATALOG.set_index(["cloud", "region", "instance_type"])
    assert row.loc[("aws", "us-east-1", "p5.48xlarge"), "price_per_hour"] == 55.04
    assert row.loc[("aws", "us-east-1", "p5.48xlarge"), "accelerator_count"] == 8
    assert row.loc[("gcp", "us-central1", "a3-highgpu-8g"), "price_per_hour"] == 88.25
    assert set(CATALOG["cloud"]) == {"aws", "gcp", "azure", "lambda"}
    assert CATALOG.groupby("cloud")["region"].nunique().min() >= 2


def test_readme_quick_start():
    workloads = pd.read_csv(ROOT / "workloads.csv")
    offerings = pd.read_csv(ROOT / "catalog.csv")
    result = place_workloads(workloads, offerings, carbon_price=50.0)
    assert result.status is Status.OPTIMAL and result.backend == "highs"
    assert len(result.assignments) == 23 and len(result.unplaced) == 0
    assert result.objective == pytest.approx(47312.5628512)
    shares = result.by_cloud()["share"]
    assert shares.sum() == pytest.approx(1.0) and shares.idxmax() == "aws"
    capped = place_workloads(workloads, offerings, carbon_price=50.0, max_cloud_share=0.75)
    assert capped.status is Status.OPTIMAL
    assert capped.by_cloud()["share"].max() <= 0.75 + 1e-9
    assert capped.objective > result.objective
    check_plan(capped, workloads, offerings, share=0.75, carbon_price=50.0)


def test_docstring_examples_run():
    import doctest

    from resopt.problems.placement import formulation, pop, schema, solve, synthetic

    for module in (formulation, pop, schema, solve, synthetic):
        failed, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert failed == 0 and attempted > 0, module.__name__
