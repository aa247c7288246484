"""Golden problems: small instances with proven answers, in ``models/<problem>/golden.yaml``.

Every problem keeps its golden cases in one format, a YAML list of cases::

    - name: worked_example            # the case's test id (with the backend appended)
      note: what the case shows
      proof: how the expected answer was proven (brute force, by hand, backends agreeing)
      inputs:                         # the problem's tables or instance
        instance: worked_example.yaml # a .yaml or .csv file of the same folder, read here,
        workloads: [{...}, {...}]     # or an inline list of rows (a table), or any value
      options: {carbon_price: 200.0}  # keyword arguments of the solve (optional)
      expected: {objective: 5, ...}   # what the cross-backend test compares

``.csv`` inputs are read with :func:`pandas.read_csv`, ``.yaml`` inputs with
:func:`resopt.io.read_instance`; the ``expected`` keys are the problem's own (an objective
and a plan, a status and the constraints that cut, one row of figures per policy).

:func:`params` turns the cases into one parametrized test id per case and backend::

    @pytest.mark.parametrize("case, backend", golden.params("reservation", ["exact", "highs"]))
    def test_golden(case, backend): ...

Examples
--------
>>> [case.name for case in cases("core_assignment")]
['continuous_split', 'inference_fleet', 'overloaded_cluster', 'worked_example']
>>> [p.id for p in params("core_assignment", ["exact", "highs"])][:2]
['continuous_split-exact', 'continuous_split-highs']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from resopt.io import read_instance

#: The folder that holds one sub-folder of data per problem.
MODELS = Path(__file__).resolve().parents[1] / "models"
#: The golden file of each problem folder.
GOLDEN_FILE = "golden.yaml"


@dataclass(frozen=True)
class GoldenCase:
    """One golden case, its inputs read (tables as DataFrames, instances as mappings)."""

    problem: str
    name: str
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    proof: str = ""

    def __repr__(self) -> str:  # short, for pytest's failure reports
        return f"GoldenCase({self.problem}/{self.name})"


def _read_input(folder: Path, value: Any) -> Any:
    """A file name of ``folder`` read into a table or an instance; an inline table as a DataFrame."""
    if isinstance(value, str) and value.endswith(".csv"):
        return pd.read_csv(folder / value)
    if isinstance(value, str) and value.endswith(".yaml"):
        return read_instance(folder / value)
    if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
        return pd.DataFrame(value)
    return value


@functools.cache
def cases(problem: str) -> tuple[GoldenCase, ...]:
    """The golden cases of ``models/<problem>/golden.yaml``, in file order."""
    folder = MODELS / problem
    raw = yaml.safe_load((folder / GOLDEN_FILE).read_text())
    out = []
    for entry in raw:
        inputs = {key: _read_input(folder, value) for key, value in entry["inputs"].items()}
        out.append(GoldenCase(problem=problem, name=entry["name"], inputs=inputs,
                              options=dict(entry.get("options") or {}), expected=entry["expected"],
                              note=entry.get("note", ""), proof=entry.get("proof", "")))
    names = [case.name for case in out]
    assert len(set(names)) == len(names), f"{folder / GOLDEN_FILE}: case names repeat"
    return tuple(out)


def case(problem: str, name: str) -> GoldenCase:
    """The golden case ``name`` of ``problem``."""
    found = [golden_case for golden_case in cases(problem) if golden_case.name == name]
    assert found, f"no golden case {name!r} in {MODELS / problem / GOLDEN_FILE}"
    return found[0]


def params(problem: str, backends: Iterable[str] | Callable[[GoldenCase], Iterable[str]]) -> list:
    """``pytest.param(case, backend, id="<case>-<backend>")`` for every case and backend.

    ``backends`` is a list, or a function of the case for cases that only some backends
    solve (a continuous problem, the policies a case records).
    """
    out = []
    for case in cases(problem):
        names = backends(case) if callable(backends) else backends
        out.extend(pytest.param(case, backend, id=f"{case.name}-{backend}") for backend in names)
    return out
