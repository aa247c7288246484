"""Every Python example in the README runs as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(code, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})


def test_readme_names_the_ci_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest -q'
    assert command in (ROOT / "README.md").read_text()
    assert command.replace("pip install -e", "pip install -q -e") in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
