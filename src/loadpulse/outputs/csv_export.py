"""The per-interval series as CSV (``--csv PATH``): one row per second, one column per measure."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from loadpulse.outputs.contract import OutputParams
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


def series_csv(results: Results) -> str:
    """Columns: the fixed ones above, then ``errors.<kind>``, ``metric.<name>`` and ``probe.<name>`` for
    every one seen."""
    kinds = sorted({k for r in results.series for k in r.errors})
    metrics = sorted({k for r in results.series for k in r.metrics})
    probes = sorted({k for r in results.series for k in r.probes})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            *BASE_COLUMNS,
            *(f"errors.{k}" for k in kinds),
            *(f"metric.{m}" for m in metrics),
            *(f"probe.{p}" for p in probes),
        ]
    )
    for row in results.series:
        base = [getattr(row, c) for c in BASE_COLUMNS]
        writer.writerow(
            [
                *(round(v, 3) if isinstance(v, float) else v for v in base),
                *(row.errors.get(k, 0) for k in kinds),
                *(round(row.metrics.get(m, 0.0), 6) for m in metrics),
                # a probe that failed in an interval is an empty cell (a gap), not a zero
                *(round(row.probes[p], 6) if p in row.probes else "" for p in probes),
            ]
        )
    return out.getvalue()


def write_csv(results: Results, path: str | Path) -> None:
    write_text_atomic(path, series_csv(results))


def create(params: OutputParams) -> FileReport | None:
    return FileReport.asked(params, "csv", "--csv", lambda r: series_csv(r).encode())
