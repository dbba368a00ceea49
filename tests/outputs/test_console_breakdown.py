"""The per-name table stays readable however many names a run had: the busiest, '(other)', and a count."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from loadpulse.outputs.console import MAX_BREAKDOWN_ROWS, _breakdown


def _block(total: int) -> dict[str, Any]:
    lat = dict.fromkeys(("p50", "p95", "p99", "max"), 1.0)
    return {"requests": {"total": total, "failed": 0, "rate": float(total)}, "latency_ms": lat}


def _printed(blocks: dict[str, Any]) -> list[str]:
    out = io.StringIO()
    _breakdown(Console(file=out, width=200), "name", blocks)
    return out.getvalue().splitlines()


def test_a_few_names_are_all_shown_in_their_order() -> None:
    blocks = {f"GET /{i}": _block(i + 1) for i in range(5)}
    lines = _printed(blocks)
    assert [line.split()[1] for line in lines[1:]] == [f"/{i}" for i in range(5)]


def test_thousands_of_names_show_the_busiest_and_other_and_say_how_many_more() -> None:
    blocks = {f"GET /item/{i}": _block(1) for i in range(3000)}
    blocks["GET /hot"] = _block(500)
    blocks["(other)"] = _block(90_000)
    lines = _printed(blocks)
    rows = lines[1:-1]
    assert len(rows) == MAX_BREAKDOWN_ROWS
    assert rows[0].startswith("(other)") and rows[1].startswith("GET /hot")
    assert "2,977 more names" in lines[-1] and "--json" in lines[-1]
