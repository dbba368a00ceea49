"""The per-interval series as CSV (``--csv PATH``): one row per second, one column per measure.

A run with a pipeline check adds its columns (:data:`PIPELINE_COLUMNS`). Sinks are polled on their own
clock, so each interval takes the state at the poll nearest its end (one up to half an interval after the
tick counts: polls run just after ticks); the polls of the drain after the load follow as rows of their
own, with only ``t_s``, ``interval_s`` and the pipeline columns filled.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from loadpulse.outputs.contract import OutputParams
from loadpulse.outputs.fault_lists import csv_column
from loadpulse.outputs.file_report import FileReport
from loadpulse.outputs.files import write_text_atomic
from loadpulse.results.document import Results

BASE_COLUMNS = (
    "t_s",
    "interval_s",
    "requests",
    "ok",
    "failed",
    "rate",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "dropped",
    "in_flight",
    "connections",
    "vus",
    "iterations",
    "checks_failed",
)


PIPELINE_COLUMNS = ("pipeline.sent", "pipeline.delivered", "pipeline.delivered_total", "pipeline.backlog")
"""Items sent so far, arrived in the interval, arrived so far, and sent but not arrived yet."""


def _pipeline_cells(results: Results) -> tuple[list[list[Any]], list[list[Any]]]:
    """The pipeline cells of each series row, and the rows of the drain's polls after them (whole rows).
    Empty without a timeline (no sink, or a results file written before it was kept)."""
    pipeline = results.summary.get("pipeline") or {}
    timeline = pipeline.get("timeline") or {}
    ts: list[float] = timeline.get("t_s") or []
    if not ts:
        return [], []
    sent, total, backlog = timeline["sent"], timeline["delivered_total"], timeline["backlog"]
    prev_total = 0

    def cells(i: int) -> list[Any]:
        nonlocal prev_total
        delivered, prev_total = total[i] - prev_total, total[i]
        return [sent[i], delivered, total[i], backlog[i]]

    per_row: list[list[Any]] = []
    i = -1  # the latest poll taken so far; a later row never goes back to an earlier poll
    for row in results.series:
        while i + 1 < len(ts) and ts[i + 1] <= row.t_s:
            i += 1
        after = i + 1
        soon = after < len(ts) and ts[after] - row.t_s <= row.interval_s / 2
        if soon and (i < 0 or ts[after] - row.t_s < row.t_s - ts[i]):
            i = after  # the poll just after the tick is nearer: that is the tick's state
        per_row.append(cells(i) if i >= 0 else [""] * len(PIPELINE_COLUMNS))
    last_t = results.series[-1].t_s if results.series else 0.0
    drain: list[list[Any]] = []
    for j in range(i + 1, len(ts)):
        drain.append([round(ts[j], 3), round(ts[j] - last_t, 3), *cells(j)])
        last_t = ts[j]
    return per_row, drain


def series_csv(results: Results) -> str:
    """Columns: the fixed ones above, then ``errors.<kind>``, ``metric.<name>`` and ``probe.<name>`` for
    every one seen, then :data:`PIPELINE_COLUMNS` for a run with a pipeline check, then
    ``faults_active`` (the faults on in the interval, ``;``-separated) for a run with chaos faults."""
    kinds = sorted({k for r in results.series for k in r.errors})
    metrics = sorted({k for r in results.series for k in r.metrics})
    probes = sorted({k for r in results.series for k in r.probes})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    pipeline, drain = _pipeline_cells(results)
    faults = csv_column(results)
    writer.writerow(
        [
            *BASE_COLUMNS,
            *(f"errors.{k}" for k in kinds),
            *(f"metric.{m}" for m in metrics),
            *(f"probe.{p}" for p in probes),
            *(PIPELINE_COLUMNS if pipeline else ()),
            *(("faults_active",) if faults is not None else ()),
        ]
    )
    for n, row in enumerate(results.series):
        base = [getattr(row, c) for c in BASE_COLUMNS]
        writer.writerow(
            [
                *(round(v, 3) if isinstance(v, float) else v for v in base),
                *(row.errors.get(k, 0) for k in kinds),
                *(round(row.metrics.get(m, 0.0), 6) for m in metrics),
                # a probe that failed in an interval is an empty cell (a gap), not a zero
                *(round(row.probes[p], 6) if p in row.probes else "" for p in probes),
                *(pipeline[n] if pipeline else ()),
                *((faults[n],) if faults is not None else ()),
            ]
        )
    blank = len(BASE_COLUMNS) - 2 + len(kinds) + len(metrics) + len(probes)
    for t_s, interval_s, *cells in drain:
        writer.writerow([t_s, interval_s, *[""] * blank, *cells, *([""] if faults is not None else [])])
    return out.getvalue()


def write_csv(results: Results, path: str | Path) -> None:
    write_text_atomic(path, series_csv(results))


def create(params: OutputParams) -> FileReport | None:
    return FileReport.asked(params, "csv", "--csv", lambda r: series_csv(r).encode())
