"""The test helpers keep their promises: oracles independent of the package, test modules
independent of each other, golden data in one format and ``models/`` holding data only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import golden

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    """The top-level names of every module ``path`` imports (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda path: path.name)
def test_no_test_module_imports_another(path):
    assert not {name for name in _imported_modules(path) if name.startswith("test_")}


@pytest.mark.parametrize("path", sorted((TESTS / "oracles").glob("*.py")), ids=lambda path: path.name)
def test_oracles_share_no_code_with_the_package(path):
    assert "resopt" not in _imported_modules(path)


def test_models_hold_data_and_one_golden_file_per_problem():
    assert not list(golden.MODELS.rglob("*.py"))
    problems = sorted(folder.name for folder in golden.MODELS.iterdir() if folder.is_dir())
    assert problems == ["core_assignment", "placement", "reservation", "scheduling"]
    for problem in problems:
        cases = golden.cases(problem)
        assert cases and all(case.inputs and case.expected and case.proof for case in cases), problem
