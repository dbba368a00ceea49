"""The capacity search's HTML report (``loadpulse capacity --html``): one self-contained file with the
latency/throughput curve (offered vs. achieved rate, p50/p95/p99 against the rate, the knee marked) and the
steps' table, drawn by the vendored uPlot like the run report (:mod:`loadpulse.outputs.html_report`)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from loadpulse.outputs.files import write_text_atomic
from loadpulse.outputs.html_report import _embed_json, _static
from loadpulse.results.format import bidi_safe


def render_capacity_html(doc: dict[str, Any]) -> str:
    """The page for a capacity document (the ``--json`` document: ``{"capacity": {...}}``)."""
    title = f"loadpulse capacity {doc['capacity'].get('search_id', '')}"
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">",
            f"<title>{html.escape(title)}</title>",
            f"<style>{_static('uPlot.min.css')}</style>",
            f"<style>{_static('report.css')}</style>",
            "</head><body>",
            '<main id="report"><noscript>This report draws its charts with JavaScript.</noscript></main>',
            f'<script type="application/json" id="loadpulse-data">{_embed_json(bidi_safe(doc))}</script>',
            f"<script>/* uPlot {_static('uPlot.LICENSE').splitlines()[0]} (MIT, see below) */\n"
            f"{_static('uPlot.iife.min.js')}</script>",
            f"<script>{_static('charts.js')}</script>",
            f"<script>{_static('report_capacity.js')}</script>",
            f"<!-- uPlot licence:\n{html.escape(_static('uPlot.LICENSE'))}\n-->",
            "</body></html>",
        ]
    )


def write_capacity_html(doc: dict[str, Any], path: str | Path) -> None:
    write_text_atomic(path, render_capacity_html(doc))
