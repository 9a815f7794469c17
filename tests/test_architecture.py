"""The structure of docs/architecture.md, held against the code: the data flow runs one way.

The imports are read from the source (every ``import`` statement, those inside functions
included), so a cycle cannot hide behind a late import.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from acne_outcomes.paths import NOTEBOOKS_DIR, PACKAGE_DIR

PACKAGE = "acne_outcomes"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """The package modules a file imports, anywhere in it (names resolved to modules)."""
    modules = _modules()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        else:
            continue
        found |= {name for name in names if name.split(".")[0] == PACKAGE}
    return found


def _graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (itself left out)."""
    return {name: _imports(path) - {name} for name, path in _modules().items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle's members, found as the strongly connected components (Tarjan)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_import_graph_has_no_cycle():
    assert _cycles(_graph()) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# Each layer, lowest first; a module may import its own layer and the layers before it.
LAYERS = [
    ["paths", "checks", "cache"],
    ["standard", "standard.render"],
    ["design", "study"],
    ["readers", "validate", "privacy", "importers", "io"],
    ["simulate"],
    ["derive"],
    ["stats"],
    ["style", "tables", "narrative", "figures", "runtime"],
    ["appraisal"],
    ["report", "teach", "cli", "uptodate"],
]


def _layer(module: str) -> int:
    name = module.removeprefix(f"{PACKAGE}.") if module != PACKAGE else ""
    best = None
    for position, members in enumerate(LAYERS):
        for member in members:
            if name == member or name.startswith(member + "."):
                if best is None or len(member) > len(best[1]):
                    best = (position, member)
    if best is None:
        raise AssertionError(
            f"{module} is in no layer of LAYERS (add it, and to docs/architecture.md)"
        )
    return best[0]


def test_every_import_points_down_the_layers():
    upward = []
    for module, targets in _graph().items():
        if module == PACKAGE:
            continue  # the package root re-exports the public entry points
        for target in targets - {PACKAGE}:
            if _layer(target) > _layer(module):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_statistics_never_draw_and_figures_never_build():
    graph = _graph()
    for module, path in _modules().items():
        if module.startswith(f"{PACKAGE}.stats"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imported = [
                alias.name if isinstance(node, ast.Import) else node.module
                for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names
            ]
            assert not [name for name in imported if name and "matplotlib" in name], module
        if module.startswith(f"{PACKAGE}.figures") or module.startswith(f"{PACKAGE}.appraisal"):
            assert not {f"{PACKAGE}.report", f"{PACKAGE}.cli", f"{PACKAGE}.teach"} & graph[module]


STATISTICS_CALLS = {"ppf", "sf", "lstsq", "OLS", "ttest_1samp", "ttest_ind", "ttest_rel"}


def test_no_module_outside_stats_computes_an_interval_a_test_or_an_ancova():
    """t-intervals, t-tests and least squares live in ``stats``; the generator may draw numbers.

    A normal quantile (``norm.ppf``) is allowed: the winner's-curse lesson uses the z critical
    value to simulate which studies would be called significant.
    """
    offenders = []
    for module, path in _modules().items():
        if module.startswith((f"{PACKAGE}.stats", f"{PACKAGE}.simulate")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in STATISTICS_CALLS:
                if not (node.attr == "ppf" and "norm" in ast.unparse(node.value)):
                    offenders.append(f"{module}: {ast.unparse(node)}")
    assert offenders == []


def test_figure_modules_stay_small():
    for path in (PACKAGE_DIR / "figures").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name


@pytest.mark.parametrize(
    "notebook", sorted(NOTEBOOKS_DIR.rglob("*.ipynb")), ids=lambda path: path.stem
)
def test_notebooks_use_the_runtime_not_the_build(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    assert "acne_outcomes.report" not in code and "acne_outcomes.cli" not in code
    assert "def " not in code, "notebooks hold narrative and calls; functions belong in src/"
