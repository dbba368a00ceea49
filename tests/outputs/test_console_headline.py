"""The console's first line: what ran and how, with numbers a person can copy (thousands separators,
singular and plural)."""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich.console import Console

from loadpulse.outputs.console import print_summary
from tests.results.results_factory import synthetic_results


def headline(**load: Any) -> str:
    s = synthetic_results(seconds=2).summary
    s["load"] |= load
    out = StringIO()
    print_summary(Console(file=out, width=300, color_system=None), s)
    return out.getvalue().splitlines()[0]


def test_http2_counts_and_rates_read_as_a_person_writes_them() -> None:
    line = headline(connections=100, http2=True, streams_per_connection=10_000, rate=50_000.0)
    assert "over HTTP/2  closed model, 100 connections \u00d7 10,000 streams, 50,000/s" in line
    line = headline(connections=1, http2=True, streams_per_connection=1, rate=None)
    assert "1 connection \u00d7 1 stream  " in line
    assert "12,000 connections, 2.5/s" in headline(connections=12_000, rate=2.5)


def test_the_latency_table_never_splits_a_value_at_80_columns() -> None:
    s = synthetic_results(seconds=2, median_ms=12.0).summary
    s["connections"] |= {"opened": 364, "connect_ms": s["latency_ms"], "tls_ms": s["latency_ms"]}
    s["ttfb_ms"] = s["latency_ms"]
    out = StringIO()
    print_summary(Console(file=out, width=80, color_system=None), s)
    lines = out.getvalue().splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("latency")) :][:8]
    assert all(len(line) <= 80 for line in table)
    for line in table:  # a unit alone (or a number without its unit) is a value split over lines
        words = line.split()
        assert not any(
            w in ("ms", "µs", "s") and (i == 0 or not words[i - 1][0].isdigit()) for i, w in enumerate(words)
        ), line
    rows = [line for line in table if line.startswith(("total", "first", "connect", "TLS"))]
    assert len(rows) == 4 and all(
        line.count(" ms") + line.count(" µs") + line.count(" s ") >= 7 for line in rows
    )
