"""Summary JSON v1 (docs/summary-json.md): the stable, documented record of a finished run.

Pure: a function of the RunOutcome; writing it is in :func:`write_summary`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from loadpulse import __version__
from loadpulse.engine.run import RunOutcome, request_name
from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.snapshot import NameStats
from loadpulse.outputs.redact import redact_headers

SCHEMA = "loadpulse.summary/1"
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0), ("p999", 99.9))


def latency_ms(h: Histogram) -> dict[str, float]:
    values = h.percentiles(q for _, q in PERCENTILES)
    out = {"min": h.min_us / 1000, "mean": h.mean_us / 1000}
    out.update({key: v / 1000 for (key, _), v in zip(PERCENTILES, values, strict=True)})
    out["max"] = h.max_us / 1000
    return {k: round(v, 3) for k, v in out.items()}


def stats_block(stats: NameStats, elapsed_s: float) -> dict[str, Any]:
    return {
        "requests": {
            "total": stats.requests,
            "ok": stats.ok,
            "failed": stats.failed,
            "rate": round(stats.requests / elapsed_s, 3) if elapsed_s > 0 else 0.0,
        },
        "latency_ms": latency_ms(stats.latency),
        "service_time_ms": latency_ms(stats.service),
        "ttfb_ms": latency_ms(stats.ttfb),
        "connections": {
            "opened": stats.connect.total,
            "connect_ms": latency_ms(stats.connect),
            "tls_ms": latency_ms(stats.tls) if stats.tls.total else None,
        },
        "errors": dict(sorted(stats.errors.items())),
        "status_codes": {str(k): v for k, v in sorted(stats.statuses.items())},
        "bytes": {"received": stats.bytes_in, "sent": stats.bytes_out},
    }


def build_summary(outcome: RunOutcome) -> dict[str, Any]:
    agg = outcome.aggregate
    spec = outcome.spec
    elapsed = agg.elapsed_s
    total = stats_block(agg.total, elapsed)
    load = spec.load
    summary: dict[str, Any] = {
        "schema": SCHEMA,
        "run_id": outcome.run_id,
        "started_at": outcome.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "duration_s": round(elapsed, 3),
        "verdict": "NONE",
        **total,
        "dropped": agg.dropped,
        "abandoned": outcome.abandoned,
        "ended_by": outcome.ended_by,
        "model": "open" if load.open_model else "closed",
        "latency_basis": "intended_start" if outcome.co_corrected else "send",
        "by_name": {name: stats_block(s, elapsed) for name, s in sorted(agg.names.items())},
        "thresholds": [],
        "target": {
            "url": spec.request.url,
            "method": spec.request.method,
            "headers": [list(h) for h in redact_headers(spec.request.headers)],
        },
        "requests_mix": [
            {"name": request_name(r), "method": r.method, "url": r.url, "weight": r.weight}
            for r in spec.requests
        ],
        "load": {
            "connections": load.effective_connections,
            "requests": load.requests,
            "duration_s": outcome.planned_s,
            "rate": load.rate,
            "max_in_flight": load.effective_max_in_flight if load.open_model else None,
        },
        "tool": {"name": "loadpulse", "version": __version__},
    }
    return summary


def write_summary(summary: dict[str, Any], path: str) -> None:
    """Write to ``path``, or to stdout for '-'."""
    text = json.dumps(summary, indent=2)
    if path == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")
