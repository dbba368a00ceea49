"""Summary JSON v1 (docs/summary-json.md): the stable, documented record of a finished run.

Pure: a function of the RunOutcome; the CLI writes it through :mod:`loadpulse.outputs.files`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from loadpulse import __version__
from loadpulse.metrics.aggregate import LAG_TICK_S
from loadpulse.metrics.drift import DriftChoice, drift_block
from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.scenario_stats import TREND_SCALE, CustomMetric, ScenarioStats
from loadpulse.metrics.snapshot import NameStats
from loadpulse.protocols.grpc import ONE_LINER_METHOD_ENV, ONE_LINER_URL_ENV
from loadpulse.redaction import redact_headers
from loadpulse.results.outcome import RunOutcome
from loadpulse.spec import request_name
from loadpulse.thresholds.drift_metric import DRIFT
from loadpulse.thresholds.verdict import ThresholdResult, overall

SCHEMA = "loadpulse.summary/1"
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0), ("p999", 99.9))


LATENCY_KEYS = ("min", "mean", *(key for key, _ in PERCENTILES), "max")
LAG_FLOOR_MS = 10.0
LAG_SHARE = 0.25
LAG_STALL_MS = 500.0
"""Generator-limited: the loop's p99 lag is over LAG_FLOOR_MS *and* over LAG_SHARE of the p99 of what the
run measured (so the tool's own delay is a visible part of it), or one stall reached LAG_STALL_MS."""


def latency_ms(h: Histogram) -> dict[str, float | None]:
    """Percentiles in ms; every figure is None (JSON null) when nothing was measured, never a fake 0."""
    if not h.total:
        return dict.fromkeys(LATENCY_KEYS)
    values = h.percentiles(q for _, q in PERCENTILES)
    out = {"min": h.min_us / 1000, "mean": h.mean_us / 1000}
    out.update({key: v / 1000 for (key, _), v in zip(PERCENTILES, values, strict=True)})
    out["max"] = h.max_us / 1000
    return {k: round(v, 3) for k, v in out.items()}


def generator_block(outcome: RunOutcome) -> dict[str, Any]:
    """The generator's side of the truth: how late its event loop ran, and whether that makes the run
    generator-limited (latencies then include the tool's own delay, and a rate may not have been held)."""
    agg = outcome.aggregate
    lag = agg.loop_lag
    p50, p99 = (v / 1000 for v in lag.percentiles((50.0, 99.0))) if lag.total else (0.0, 0.0)
    worst = lag.max_us / 1000 if lag.total else 0.0
    # What the lag is compared with: the requests' p99, or the iterations' for a run without requests.
    measured = agg.total.latency if agg.total.latency.total else None
    if measured is None:
        durations = [sc.duration for sc in agg.scenarios.values() if sc.duration.total]
        measured = max(durations, key=lambda h: h.max_us) if durations else None
    measured_p99 = measured.percentile(99.0) / 1000 if measured is not None else 0.0
    reasons = []
    # The p99 rule needs a measurement to compare with and half a second of samples to be a p99: counted
    # in time, not samples, since a loop late by 300 ms on every turn takes only ~3 samples a second.
    sampled_s = lag.total * LAG_TICK_S + lag.mean_us * lag.total / 1e6 if lag.total else 0.0
    # With under 200 samples the p99 is the worst one or two: one stall (a collection, the run's first
    # turn) would be the verdict. Judge the lag that at least two samples reached.
    judged = lag.percentile(min(99.0, 100.0 * (1 - 1.5 / lag.total))) / 1000 if lag.total > 2 else 0.0
    lagging = (
        measured is not None
        and sampled_s >= 0.5
        and judged > LAG_FLOOR_MS
        and judged > LAG_SHARE * measured_p99
    )
    if lagging or worst >= LAG_STALL_MS:
        reasons.append(
            f"the event loop lagged up to {worst:,.1f} ms (p99 {p99:,.1f} ms) against a measured p99 of "
            f"{measured_p99:,.1f} ms: something held it, e.g. a task that blocks (time.sleep, a synchronous "
            "SDK call), another process on the same core, or more work than one process can do"
        )
    if outcome.overran:
        reasons.append("the run overran its deadline and was stopped by force (the event loop was blocked)")
    return {
        "loop_lag_ms": {"p50": round(p50, 3), "p99": round(p99, 3), "max": round(worst, 3)},
        "limited": bool(reasons),
        "reasons": reasons,
    }


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
        "connection_errors": dict(sorted(stats.connection_errors.items())),
        "status_codes": {str(k): v for k, v in sorted(stats.statuses.items())},
        "bytes": {"received": stats.bytes_in, "sent": stats.bytes_out},
    }


def build_summary(
    outcome: RunOutcome, results: Sequence[ThresholdResult] = (), drift: DriftChoice | None = None
) -> dict[str, Any]:
    """The Summary JSON of a finished run; ``results``: its thresholds evaluated on the final aggregate;
    ``drift``: whether to test the series for drift (default: runs of 3 minutes or more)."""
    agg = outcome.aggregate
    elapsed = agg.elapsed_s
    total = stats_block(agg.total, elapsed)
    summary: dict[str, Any] = {
        "schema": SCHEMA,
        "run_id": outcome.run_id,
        "started_at": outcome.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "duration_s": round(elapsed, 3),
        "verdict": overall(results),
        **total,
        "dropped": agg.dropped,
        "abandoned": outcome.abandoned,
        "ended_by": outcome.ended_by,
        "model": "open" if outcome.co_corrected else "closed",
        "latency_basis": "intended_start" if outcome.co_corrected else "send",
        "by_name": {name: stats_block(s, elapsed) for name, s in sorted(agg.names.items())},
        "by_tag": {tag: stats_block(s, elapsed) for tag, s in sorted(agg.tags.items())},
        "thresholds": [r.to_dict() for r in results],
        "aborted_by": outcome.abort_reason,
        "probes": {
            name: {**p.to_dict(), **_by_group(agg.probe_groups.get(name))}
            for name, p in sorted(agg.probes.items())
        },
        "generator": generator_block(outcome),
        "warnings": list(outcome.warnings),
    }
    if agg.pipeline is not None:
        # A copy: the summary is redacted and written after the run; the aggregate's object is the engine's.
        summary["pipeline"] = copy.deepcopy(agg.pipeline)
    if outcome.workers is not None:
        summary["workers"] = copy.deepcopy(outcome.workers)
    declared = any(r.threshold.metric.field == DRIFT for r in results)  # a drift threshold asks for it
    drifts = drift_block(agg.series, elapsed, drift or DriftChoice(), forced=declared)
    if drifts is not None:
        summary["drift"] = drifts
    if agg.faults is not None:
        summary["faults"] = copy.deepcopy(agg.faults)  # chaos: each fault, its recovery and impact
    if outcome.spec is not None:
        summary.update(_one_liner(outcome))
    if outcome.plan is not None:
        summary.update(scenario_blocks(outcome))
    summary["tool"] = {"name": "loadpulse", "version": __version__}
    return summary


def _by_group(groups: dict[str, float] | None) -> dict[str, Any]:
    """A group probe's values by group at its last sample, under its total's entry."""
    return {} if groups is None else {"by_group": dict(groups)}


def _one_liner(outcome: RunOutcome) -> dict[str, Any]:
    spec = outcome.spec
    assert spec is not None
    load = spec.load
    return {
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
            "http2": spec.http2,
            # As asked: a server's lower SETTINGS_MAX_CONCURRENT_STREAMS lowers it on its connections.
            "streams_per_connection": spec.streams_per_connection if spec.http2 else None,
        },
    }


def scenario_blocks(outcome: RunOutcome) -> dict[str, Any]:
    """Scenario runs: per-scenario iterations and profile, checks, custom metrics, script errors."""
    plan = outcome.plan
    assert plan is not None
    agg = outcome.aggregate
    elapsed = agg.elapsed_s
    families = {s.profile.family for s in plan.scenarios}
    scenarios: dict[str, Any] = {}
    script_errors = 0
    for sc in plan.scenarios:
        st = agg.scenarios.get(sc.name, ScenarioStats())
        script_errors += sum(st.script_errors.values())
        scenarios[sc.name] = {
            "profile": sc.profile.describe(),
            "tasks": [{"name": t.name, "weight": t.weight} for t in sc.tasks],
            "iterations": st.iterations,
            "iteration_rate": round(st.iterations / elapsed, 3) if elapsed > 0 else 0.0,
            "iteration_ms": latency_ms(st.duration),
            "dropped": st.dropped,
            "interrupted": st.interrupted,
            "script_errors": dict(sorted(st.script_errors.items())),
            "script_error_messages": dict(sorted(st.script_error_messages.items())),
        }
    checks: dict[str, dict[str, Any]] = {
        name: {"passed": ok, "failed": bad, "rate": round(ok / (ok + bad), 6) if ok + bad else 0.0}
        for name, (ok, bad) in sorted(agg.checks.items())
    }
    errors = dict(agg.total.errors)
    failed_checks = sum(bad for _, bad in agg.checks.values())
    if failed_checks:
        errors["check_failed"] = failed_checks
    if script_errors:
        errors["script_error"] = script_errors
    return {
        "model": "open" if families == {"open"} else ("closed" if families == {"closed"} else "mixed"),
        "errors": dict(sorted(errors.items())),
        "target": {
            "url": plan.base_url or plan.env.get(ONE_LINER_URL_ENV),  # `loadpulse grpc`'s call, or None
            "method": plan.env.get(ONE_LINER_METHOD_ENV),
            "headers": [list(h) for h in redact_headers(plan.headers)],
        },
        "requests_mix": [],
        "load": {"source": plan.source, "vus_peak": plan.peak_vus, "duration_s": round(plan.planned_s, 3)},
        "scenarios": scenarios,
        "checks": checks,
        "metrics": {name: metric_block(m, elapsed) for name, m in sorted(agg.metrics.items())},
        "warnings": list(outcome.warnings),
    }


def metric_block(m: CustomMetric, elapsed_s: float) -> dict[str, Any]:
    if m.kind == "counter":
        return {
            "kind": "counter",
            "value": m.value,
            "rate": round(m.value / elapsed_s, 3) if elapsed_s else 0,
        }
    if m.kind == "rate":
        return {
            "kind": "rate",
            "true": m.true,
            "total": m.total,
            # Nothing recorded: no rate (null, the console's "no data"), not 0 %.
            "rate": round(m.true / m.total, 6) if m.total else None,
        }
    if not m.hist.total:
        # Nothing recorded: its figures do not exist (null, as the console's and HTML's "no data"), not 0.
        return {"kind": "trend", **dict.fromkeys(LATENCY_KEYS), "count": 0}
    values = m.hist.percentiles(q for _, q in PERCENTILES)
    out: dict[str, float] = {"min": m.hist.min_us, "mean": m.hist.mean_us}
    out.update({key: v for (key, _), v in zip(PERCENTILES, values, strict=True)})
    out["max"] = m.hist.max_us
    return {
        "kind": "trend",
        # Trends are exact (to 4 significant digits): no rounding, a 0.0001 stays 0.0001.
        **{k: v / TREND_SCALE for k, v in out.items()},
        "count": m.hist.total,
    }
