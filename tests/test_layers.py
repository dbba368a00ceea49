"""Data flows one way (DESIGN.md): no import circles, and the pure cores import no I/O layer.

Computed from the source with ``ast`` over every import, lazy ones inside functions included (a lazy import
still ties the layers together); imports under ``if TYPE_CHECKING:`` are left out (types only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PURE = ("loadpulse.profiles", "loadpulse.metrics", "loadpulse.thresholds")
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
