"""The self-contained HTML report: one file, no network request, charts drawn by the vendored uPlot.

The page carries its data as JSON inside a ``<script type="application/json">`` element (with ``<`` escaped,
so no text in it can close the element) and builds every table cell with ``textContent``: whatever a target
or a script said (names, URLs, error texts) is shown as text, never interpreted as HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from loadpulse.metrics.aggregate import SeriesRow
from loadpulse.outputs.console_workers import workers_imbalance
from loadpulse.outputs.contract import OutputParams
from loadpulse.outputs.file_report import FileReport
from loadpulse.outputs.files import write_text_atomic
from loadpulse.outputs.html_faults import fault_chart_data
from loadpulse.outputs.html_page import page
from loadpulse.outputs.html_pipeline import pipeline_chart_data
from loadpulse.results.document import Results
from loadpulse.results.format import bidi_safe

SPECTRUM_X = [round(x, 3) for x in np.arange(0.0, 4.0001, 0.05)]
"""Percentile spectrum abscissa: x = -log10(1 - q), 0 (p0) to 4 (p99.99)."""


def _columns(results: Results) -> dict[str, Any]:
    """The series as chart columns. Every count is charted per second of its interval's real length: the
    last interval of a run is partial (a fraction of a second), and as a raw count it would be drawn as a
    drop to almost nothing at the end of every chart."""
    rows = results.series
    kinds = sorted({k for r in rows for k in r.errors})

    def per_s(count: float, r: SeriesRow) -> float:
        return round(count / r.interval_s, 2)

    return {
        "t": [round(r.t_s, 3) for r in rows],
        "rate": [round(r.rate, 2) for r in rows],
        "ok": [per_s(r.ok, r) for r in rows],
        "failed": [per_s(r.failed, r) for r in rows],
        "iterations": [per_s(r.iterations, r) for r in rows],
        "p50": [round(r.p50_ms, 3) for r in rows],
        "p90": [round(r.p90_ms, 3) for r in rows],
        "p95": [round(r.p95_ms, 3) for r in rows],
        "p99": [round(r.p99_ms, 3) for r in rows],
        "max": [round(r.max_ms, 3) for r in rows],
        "errors": {k: [per_s(r.errors.get(k, 0), r) for r in rows] for k in kinds},
        "vus": [r.vus for r in rows],
        "in_flight": [r.in_flight for r in rows],
        "connections": [r.connections for r in rows],
        "dropped": [per_s(r.dropped, r) for r in rows],
        "probes": {p: [r.probes.get(p) for r in rows] for p in sorted({p for r in rows for p in r.probes})},
    }


def report_data(results: Results) -> dict[str, Any]:
    lat = results.total.latency
    qs = [100.0 * (1 - 10.0 ** (-x)) for x in SPECTRUM_X]
    edges, counts = lat.binned(60)
    pipeline = bidi_safe(pipeline_chart_data(results.summary))
    if pipeline is not None and pipeline["over_time"] is not None:
        # The pipeline chart's x axis spans the run's, so its seconds line up with the charts above.
        ends = [r.t_s for r in results.series[-1:]] + pipeline["over_time"]["t"][-1:]
        pipeline["x_max"] = round(max(ends), 3)
    workers = results.summary.get("workers")
    # A fault never recovered from is shaded to where the time axis ends (the drain's, with a pipeline).
    axis_ends = [r.t_s for r in results.series[-1:]] + (
        [pipeline["x_max"]] if pipeline and "x_max" in pipeline else []
    )
    return {
        "summary": bidi_safe(results.summary),
        "series": _columns(results),
        "pipeline": pipeline,
        "faults": bidi_safe(fault_chart_data(results.summary, max(axis_ends, default=0.0))),
        # The same imbalance figure as the console's, computed once in Python rather than again in JS.
        "workers": {"imbalance_pct": workers_imbalance(workers)} if workers else None,
        "spectrum": {"x": SPECTRUM_X, "ms": [round(v / 1000, 4) for v in lat.percentiles(qs)]},
        "histogram": {"ms": [round(e / 1000, 4) for e in edges], "count": counts},
        "settings": results.settings,
    }


def render_html(results: Results) -> str:
    title = f"loadpulse report {results.summary.get('run_id', '')}"
    scripts = ["report_pipeline.js", "report_workers.js", "report_faults.js", "report_drift.js", "report.js"]
    return page(title, "loadpulse-data", report_data(results), scripts)


def write_html(results: Results, path: str | Path) -> None:
    write_text_atomic(path, render_html(results))


def create(params: OutputParams) -> FileReport | None:
    return FileReport.asked(params, "html", "--html", lambda r: render_html(r).encode())
