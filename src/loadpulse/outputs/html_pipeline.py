"""The HTML report's pipeline charts, as data: sent/s against delivered/s and the backlog over the run's
time axis, the E2E latency spectrum, deliveries per worker against the even share.

Built from the Summary JSON ``pipeline`` object alone, so a report regenerated from a results file draws
the same; a file written before the chart data existed gets the numbers without those charts.
"""

from __future__ import annotations

import math
import re
from typing import Any

from loadpulse.metrics.cardinality import OTHER

MIN_GAP_S = 0.05
"""Polls closer than this are one point: a rate over a few milliseconds (the poll at the load's very
start) would be drawn as a spike of nothing."""
MAX_WORKERS_SHOWN = 40
"""Workers drawn as bars; past it the busiest and the idlest half each (fairness is about the extremes)."""
MAX_X = 4.5
"""Where the spectrum draws the max: past p99.99 (x = 4)."""


def _rates(timeline: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Per-second sent and delivered between consecutive polls, plotted at each poll's time."""
    t_out: list[float] = []
    sent_s: list[float | None] = []
    delivered_s: list[float | None] = []
    backlog: list[int] = []
    prev_t, prev_sent, prev_delivered = 0.0, 0, 0
    ts = timeline["t_s"]
    for i, t in enumerate(ts):
        dt = t - prev_t
        sent, delivered = timeline["sent"][i], timeline["delivered_total"][i]
        if dt < MIN_GAP_S:
            if t_out or i == len(ts) - 1:
                continue  # merged into the next point: counts are cumulative, nothing is lost
            # The poll at the load's start: its backlog is drawn, its rate over a few ms is not.
            sent_s.append(None)
            delivered_s.append(None)
        else:
            sent_s.append(round((sent - prev_sent) / dt, 2))
            delivered_s.append(round(max(0, delivered - prev_delivered) / dt, 2))
        t_out.append(t)
        backlog.append(timeline["backlog"][i])
        prev_t, prev_sent, prev_delivered = t, sent, delivered
    return {"t": t_out, "sent": sent_s, "delivered": delivered_s, "backlog": backlog}


def _spectrum(points: list[list[float]]) -> dict[str, Any]:
    """``[percentile, ms]`` pairs on the report's percentile axis, x = -log10(1 - q); the max at MAX_X."""
    xs, ms = [], []
    for q, v in points:
        xs.append(MAX_X if q >= 100 else round(-math.log10(1 - q / 100), 4))
        ms.append(v)
    # A log scale cannot draw a 0 ms latency (an item whose persist time reads before its send).
    return {"x": xs, "ms": ms, "log": bool(ms) and min(ms) > 0}


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _workers(p: dict[str, Any]) -> dict[str, Any] | None:
    by_worker: dict[str, int] = p.get("by_worker") or {}
    named = {k: v for k, v in by_worker.items() if k != OTHER}
    if not by_worker:
        return None
    expected = p.get("workers_expected") or 0
    groups = max(len(named), expected)
    even = sum(named.values()) / groups if groups else 0.0

    def row(name: str, count: int, kind: str = "worker") -> dict[str, Any]:
        deviation = round((count - even) / even * 100, 1) if even and kind != "other" else None
        return {"name": name, "count": count, "deviation_pct": deviation, "kind": kind}

    rows = [row(k, v) for k, v in sorted(named.items(), key=lambda kv: _natural(kv[0]))]
    if len(rows) > MAX_WORKERS_SHOWN:
        half = MAX_WORKERS_SHOWN // 2
        by_count = sorted(rows, key=lambda r: (-r["count"], _natural(r["name"])))
        hidden = len(rows) - MAX_WORKERS_SHOWN
        gap = {"name": f"… {hidden:,} more workers between the busiest and the idlest …", "kind": "gap"}
        rows = [*by_count[:half], gap, *by_count[-half:]]
    idle = expected - len(named)
    if idle > 0:
        rows.append(row(f"{idle:,} expected, never seen", 0, "idle"))
    if OTHER in by_worker:
        rows.append(row(f"{OTHER}: workers past the first 1,000", by_worker[OTHER], "other"))
    return {
        "rows": rows,
        "even": round(even, 2),
        "groups": groups,
        "fairness_pct": p.get("fairness_pct"),
    }


def pipeline_chart_data(summary: dict[str, Any]) -> dict[str, Any] | None:
    """What the report's Pipeline section draws; None when the run had no pipeline check."""
    p = summary.get("pipeline")
    if not p:
        return None
    timeline = p.get("timeline")
    return {
        "over_time": _rates(timeline) if timeline and timeline["t_s"] else None,
        "spectrum": _spectrum(p.get("e2e_distribution") or []),
        "workers": _workers(p),
    }
