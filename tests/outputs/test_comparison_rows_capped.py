"""A comparison of runs with thousands of names prints a readable table; --json keeps every row."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

from rich.console import Console

from loadpulse.outputs.comparison import MAX_NAME_ROWS, comparison_markdown, print_comparison, shown_rows
from loadpulse.outputs.files import write_results
from loadpulse.store.compare import REGRESSION, SAME, Delta
from tests.conftest import CliResult
from tests.store.test_compare_needs_enough_samples import run_of


def named(name: str, base: float, cand: float, verdict: str = SAME) -> Delta:
    return Delta(f"{name}: p95", base, cand, "ms", "bootstrap", None, (0.0, 1.0), verdict, (50, 50), name)


def test_the_changed_and_largest_changes_are_kept_run_wide_rows_always() -> None:
    overall = Delta("latency p95", 10, 10, "ms", "bootstrap", None, (-1.0, 1.0), SAME, (50, 50))
    names = [named(f"GET /{i}", 10, 10 + i / 100) for i in range(100)]
    names[3] = named("GET /3", 10, 10.03, REGRESSION)  # small, but a verdict of change
    rows, left_out = shown_rows([overall, *names])
    assert left_out == 100 - MAX_NAME_ROWS
    assert rows[0] is overall
    kept = {d.name for d in rows[1:]}
    assert "GET /3" in kept and "GET /99" in kept and "GET /50" not in kept
    assert len(kept) == MAX_NAME_ROWS


def test_a_few_names_are_all_shown() -> None:
    deltas = [named(f"GET /{i}", 10, 11) for i in range(MAX_NAME_ROWS)]
    assert shown_rows(deltas) == (deltas, 0)


def test_two_thousand_names_print_a_short_table_and_markdown() -> None:
    deltas = [named(f"GET /{i}", 10, 11) for i in range(2_000)]
    out = StringIO()
    print_comparison(Console(file=out, width=200), "a", "b", deltas)
    lines = out.getvalue().splitlines()
    assert len(lines) < MAX_NAME_ROWS + 5
    assert lines[-1].startswith(f"… {2_000 - MAX_NAME_ROWS:,} more per-name rows")
    md = comparison_markdown("a", "b", deltas)
    assert md.count("| GET /") == MAX_NAME_ROWS and "1,980 more per-name rows" in md


def test_a_request_name_is_not_taken_as_markup() -> None:
    out = StringIO()
    print_comparison(Console(file=out, width=200), "a", "b", [named("GET /[bold]x", 10, 11)])
    assert "GET /[bold]x" in out.getvalue()


def test_compare_json_keeps_every_name(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    names = [f"GET /item/{i}" for i in range(60)]
    write_results(run_of([10_000] * 20, names), tmp_path / "a.json")
    write_results(run_of([11_000] * 20, names), tmp_path / "b.json")
    r = cli("compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--json")
    assert r.code == 0, r.err
    deltas = json.loads(r.out)["deltas"]
    assert len([d for d in deltas if d["name"]]) == 60
    assert all(d["samples"] == [20, 20] for d in deltas if d["name"])
    table = cli("compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert "… 40 more per-name rows" in table.out
