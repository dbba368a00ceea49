"""The capacity search's HTML report (``loadpulse capacity --html``): one self-contained file with the
latency/throughput curve (offered vs. achieved rate, p50/p95/p99 against the rate, the knee marked) and the
steps' table, drawn by the vendored uPlot like the run report (:mod:`loadpulse.outputs.html_report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadpulse.outputs.files import write_text_atomic
from loadpulse.outputs.html_page import page
from loadpulse.results.format import bidi_safe


def render_capacity_html(doc: dict[str, Any]) -> str:
    """The page for a capacity document (the ``--json`` document: ``{"capacity": {...}}``)."""
    title = f"loadpulse capacity {doc['capacity'].get('search_id', '')}"
    return page(title, "loadpulse-data", bidi_safe(doc), ["report_capacity.js"])


def write_capacity_html(doc: dict[str, Any], path: str | Path) -> None:
    write_text_atomic(path, render_capacity_html(doc))
