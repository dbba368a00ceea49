"""Data flows one way (DESIGN.md): no import circles, the pure cores import no I/O layer, and the
import-linter contract in pyproject.toml (the lint step) holds and fails on an upward import.

Computed from the source with ``ast`` over every import, lazy ones inside functions included (a lazy import
still ties the layers together); imports under ``if TYPE_CHECKING:`` are left out (types only).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PURE = ("loadpulse.profiles", "loadpulse.metrics", "loadpulse.thresholds", "loadpulse.pipeline")
IO_LAYERS = ("loadpulse.engine", "loadpulse.protocols", "loadpulse.outputs", "loadpulse.live",
             "loadpulse.store", "loadpulse.cli", "loadpulse.probes")  # fmt: skip


def _module(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("loadpulse"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("loadpulse"))
    return {m for m in found if m in modules and m != "loadpulse"}


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in (SRC / "loadpulse").rglob("*.py")}
    modules = set(files)
    return {m: _imports(p, modules) - {m} for m, p in files.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles() -> None:
    assert _cycles(_graph()) == []


@pytest.mark.parametrize("pure", PURE)
def test_pure_cores_import_no_io_layer(pure: str) -> None:
    graph = _graph()
    bad = {
        f"{m} -> {d}"
        for m, deps in graph.items()
        if m.startswith(pure)
        for d in deps
        if d.startswith(IO_LAYERS)
    }
    assert not bad


def _lint_imports(src: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache", "--no-logo"],
        cwd=config.parent, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _copy_package(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(
        SRC / "loadpulse", src / "loadpulse", ignore=shutil.ignore_patterns("static", "__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return src


def test_import_contract_holds_on_the_source(tmp_path: Path) -> None:
    result = _lint_imports(_copy_package(tmp_path), tmp_path / "pyproject.toml")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "upward", "contract"),
    [
        ("results/outcome.py", "loadpulse.outputs.console", "Layers import downward only"),
        ("store/statistics.py", "loadpulse.live.progress", "Layers import downward only"),
        ("metrics/aggregate.py", "loadpulse.engine.run", "Pure cores"),
    ],
)
def test_import_contract_fails_on_an_upward_import(
    tmp_path: Path, module: str, upward: str, contract: str
) -> None:
    """The lint step's contract, run on a copy of the package with one upward import inserted: broken."""
    src = _copy_package(tmp_path)
    path = src / "loadpulse" / module
    # A lazy import inside a function counts as much as a top-level one.
    path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef _upward() -> None:\n    import {upward}\n")
    result = _lint_imports(src, tmp_path / "pyproject.toml")
    assert result.returncode == 1
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout
    assert upward in result.stdout
