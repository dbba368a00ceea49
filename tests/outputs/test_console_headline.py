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
