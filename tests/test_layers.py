"""The package's import graph: no cycles, and no import from a lower layer to a higher one.

The layers are those of docs/design.md, top to bottom. Every import counts, including
imports inside functions (a function-local import that closes a cycle is still a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "resopt"

#: Layers from top (0) to bottom; a module may import from its own layer or a lower one.
LAYERS = [
    ("command line", ("resopt.cli", "resopt.__main__")),
    ("planning and report", ("resopt.planning", "resopt.report", "resopt.examples")),
    ("problems and simulator", ("resopt.problems", "resopt.sim")),
    ("plotting", ("resopt.plotting",)),
    ("backends", ("resopt.backends",)),
    ("foundation", ("resopt.model", "resopt.result", "resopt.errors", "resopt._validate", "resopt.io")),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The resopt modules ``name`` imports (resolved to existing modules)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    # Imports for type checkers only (``if TYPE_CHECKING:``) never run: they are not edges.
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", getattr(block.test, "attr", None)) == "TYPE_CHECKING"
                   for stmt in block.body for n in ast.walk(stmt)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for target in targets:
            # The longest known module that the target names (an imported name may be a function).
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.startswith("resopt") and target != name:
                found.add(target)
    return found


def layer_of(name: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return index
    return None


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def test_every_module_has_a_layer():
    unplaced = [m for m in modules() if m != "resopt" and layer_of(m) is None]
    assert not unplaced, f"modules outside every layer of docs/design.md: {unplaced}"


def test_no_import_goes_up_a_layer():
    upward = []
    for name, targets in graph().items():
        if name == "resopt":
            continue  # the package root re-exports the public API lazily
        for target in targets:
            if target == "resopt":
                continue  # the package root, e.g. for __version__
            if layer_of(target) is not None and layer_of(target) < layer_of(name):
                upward.append(f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} "
                              f"({LAYERS[layer_of(target)][0]})")
    assert not upward, "\n".join(sorted(upward))


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``edges`` as a list of modules, or None (iterative DFS)."""
    state: dict[str, int] = {}
    for start in sorted(edges):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(edges[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(edges.get(child, ())))))
                path.append(child)
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"b"}}) is None


def test_no_import_cycle():
    edges = {name: {t for t in targets if t != "resopt"} for name, targets in graph().items() if name != "resopt"}
    # A package imports its own submodules to re-export them; that is not a cycle back into it.
    for name in edges:
        edges[name] = {t for t in edges[name] if not (t.startswith(name + "."))}
    cycle = find_cycle(edges)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_refers_outside_the_repository(path):
    text = path.read_text()
    assert "DESIGN.md" not in text and "../shared" not in text
