"""Evaluating thresholds against a running or final Aggregate, and the verdict logic (pure).

Per threshold: PASS when the target holds (or the lone bound of a plain comparison); WARN when the target
is missed but the failing bound (critical, else acceptable) still holds; FAIL otherwise, or when the metric
has no data at all (a latency threshold over a run that got no response must not pass). Overall: the worst.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.figure_text import trend_value
from loadpulse.metrics.histogram import Distribution
from loadpulse.metrics.scenario_stats import TREND_SCALE, ScenarioStats
from loadpulse.metrics.snapshot import NameStats
from loadpulse.thresholds.drift_metric import DRIFT, drift_text, drift_value
from loadpulse.thresholds.recovery_metrics import recovery_missing, recovery_value
from loadpulse.thresholds.threshold import (
    DURATION,
    NUMBER,
    PER_SECOND,
    PIPELINE_FIELDS,
    RATIO,
    Metric,
    Threshold,
    is_percent_probe,
)

PASS, WARN, FAIL, NONE = "PASS", "WARN", "FAIL", "NONE"
_RANK = {NONE: 0, PASS: 1, WARN: 2, FAIL: 3}
COUNTER_FIELDS = ("count", "value")
UNIT_OF = {DURATION: "ms", RATIO: "fraction", PER_SECOND: "/s"}
"""A metric kind's unit as the Summary JSON names it (``thresholds[].unit``, ``compare``'s deltas)."""


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    threshold: Threshold
    actual: float | None
    verdict: str
    missing: str | None = None
    """Why there is no actual, where "no data" would mislead (a fault that never recovered)."""

    @property
    def actual_text(self) -> str:
        metric = self.threshold.metric
        if self.actual is None and self.missing:
            return self.missing
        if metric.source == "recovery" and self.actual is not None and metric.kind == DURATION:
            # Recoveries are written in seconds (recovery.max < 30s): "2,974.0 ms" against it reads badly.
            texts = [b.text.strip() for b in self.threshold.levels.values()]
            if texts and all(t.endswith("s") and not t.endswith(("ms", "us", "µs")) for t in texts):
                return f"{self.actual / 1000:,.1f} s"
        if metric.field == DRIFT and self.actual is not None:
            return drift_text(self.actual)
        if is_trend_figure(metric) and self.actual is not None:
            # As the run summary and compare show the trend: ws_push_gap_ms.p95 reads "41.2 ms", not 41.2.
            return trend_value(metric.subject or "", self.actual)
        return format_value(self.actual, metric.kind)

    def to_dict(self) -> dict[str, Any]:
        o = self.threshold
        return {
            "expression": o.expression,
            "metric": o.label,
            "target": o.levels["target"].text if "target" in o.levels and not o.single else None,
            "acceptable": o.levels["acceptable"].text if "acceptable" in o.levels else None,
            "critical": o.levels["critical"].text if "critical" in o.levels else None,
            "comparators": {k: b.comparator for k, b in o.levels.items()},
            "actual": None if self.actual is None else round(self.actual, 6),
            "actual_text": self.actual_text,
            "unit": UNIT_OF.get(o.metric.kind, ""),
            "verdict": self.verdict,
            "abort_on_fail": o.abort_on_fail,
        }


def is_trend_figure(metric: Metric) -> bool:
    """Whether ``metric`` is a custom trend's figure (pNN, avg, min, max), in the script's own unit; a
    custom counter's ``count``/``value`` is a number too, but a count, shown whole."""
    return metric.source == "custom" and metric.kind == NUMBER and metric.field not in COUNTER_FIELDS


def format_value(value: float | None, kind: str) -> str:
    if value is None:
        return "no data"
    if kind == DURATION:
        return f"{value:.3f} ms" if value < 10 else f"{value:,.1f} ms"
    if kind == RATIO:
        return f"{value * 100:.3f} %"
    if kind == PER_SECOND:
        return f"{value:,.1f}/s"
    return f"{value:,.6g}"


def _hist_value(h: Distribution, field: str, scale: float) -> float | None:
    if h.total == 0:
        return None
    if field == "avg":
        return h.mean_us / scale
    if field == "min":
        return h.min_us / scale
    if field == "max":
        return h.max_us / scale
    return h.percentile(float(field[1:])) / scale


def _stats(agg: Aggregate, metric: Metric) -> NameStats | None:
    if metric.filter is None:
        return agg.total
    key, value = metric.filter
    return agg.tags.get(value) if key == "tag" else agg.names.get(value)


def _scenarios(agg: Aggregate, metric: Metric) -> ScenarioStats | None:
    if metric.filter is not None:
        return agg.scenarios.get(metric.filter[1])
    merged = ScenarioStats()
    for st in agg.scenarios.values():
        merged.merge(st)
    return merged


def measure(metric: Metric, agg: Aggregate) -> float | None:
    """The metric's current value in its base unit; None when there is nothing to measure yet."""
    elapsed = agg.elapsed_s
    src, field = metric.source, metric.field
    if field == DRIFT:
        return drift_value(src, metric.subject or "", agg)
    if src in ("latency", "ttfb", "service"):
        stats = _stats(agg, metric)
        if stats is None:
            return None
        hist = {"latency": stats.latency, "ttfb": stats.ttfb, "service": stats.service}[src]
        return _hist_value(hist, field, 1000.0)
    if src in ("requests", "errors", "error_kind"):
        stats = _stats(agg, metric)
        if stats is None:
            return None if src != "error_kind" else 0.0
        if src == "requests":
            return (
                float(stats.requests) if field == "count" else (stats.requests / elapsed if elapsed else 0.0)
            )
        if src == "errors":
            if field == "count":
                return float(stats.failed)
            return stats.failed / stats.requests if stats.requests else None
        kind = metric.subject or ""
        if kind == "check_failed":
            return float(sum(bad for _, bad in agg.checks.values()))
        if kind == "script_error":
            return float(sum(sum(s.script_errors.values()) for s in agg.scenarios.values()))
        if kind == "dropped":
            return float(agg.dropped)
        return float(stats.errors.get(kind, 0))
    if src == "checks":
        if metric.filter is not None:
            got = agg.checks.get(metric.filter[1])
            passed, failed = (got[0], got[1]) if got else (0, 0)
        else:
            passed = sum(ok for ok, _ in agg.checks.values())
            failed = sum(bad for _, bad in agg.checks.values())
        return passed / (passed + failed) if passed + failed else None
    if src == "dropped":
        if metric.filter is None:
            return float(agg.dropped)
        sc = agg.scenarios.get(metric.filter[1])
        return float(sc.dropped) if sc else None
    if src == "iterations":
        sc = _scenarios(agg, metric)
        if sc is None:
            return None
        if field == "count":
            return float(sc.iterations)
        if field == "rate":
            return sc.iterations / elapsed if elapsed else 0.0
        return _hist_value(sc.duration, field, 1000.0)
    if src == "probe":
        p = agg.probes.get(metric.subject or "")
        if p is None or not p.count:
            return None
        value = {"max": p.max, "min": p.min, "avg": p.avg, "first": p.first, "last": p.last,
                 "growth": p.growth}[field]  # fmt: skip
        if value is None:
            return None
        return float(value) / 100.0 if is_percent_probe(metric) else float(value)
    if src == "pipeline":
        return _pipeline_value(agg.pipeline, field)
    if src == "recovery":
        return recovery_value(agg.faults, field, metric.filter[1] if metric.filter else None)
    m = agg.metrics.get(metric.subject or "")
    if m is None:
        return None
    if m.kind == "counter":
        return m.value / elapsed if field == "rate" and elapsed else (m.value if field != "rate" else 0.0)
    if m.kind == "rate":
        return m.true / m.total if m.total else None
    return _hist_value(m.hist, field, TREND_SCALE)


def _pipeline_value(pipeline: dict[str, Any] | None, field: str) -> float | None:
    """A ``pipeline.*`` figure in its base unit; None without sinks, or where the figure is not known:
    no arrival yet (e2e), no worker named (fairness), a drain not over or never completed (drain: the
    time waited is a lower bound, so ``drain < 10s`` must not pass on it), and the loss while items are
    unverified (the sink failed at its last poll: ``lost == 0`` would pass on a check that could not
    look) or when nothing was sent (every ``ctx.track`` failing would pass it too)."""
    if pipeline is None:
        return None
    spec = PIPELINE_FIELDS[field]
    if field == "drain" and not pipeline.get("drained", False):
        return None
    if field.startswith("lost.") and (pipeline.get("unverified", 0) or not pipeline.get("sent", 0)):
        return None  # unverified items, or nothing sent at all: "nothing lost" would be a vacuous pass
    value: Any = pipeline
    for key in spec.path:
        value = value.get(key) if isinstance(value, dict) else None
    return None if value is None else float(value) * spec.factor


def judge(threshold: Threshold, actual: float | None) -> str:
    """PASS when the tightest bound given holds (the target, usually), WARN when only the loosest one
    (critical, else acceptable) holds, FAIL otherwise; with one bound it is PASS or FAIL."""
    if actual is None:
        return FAIL
    given = [threshold.levels[n] for n in ("target", "acceptable", "critical") if n in threshold.levels]
    if given[0].holds(actual):
        return PASS
    if len(given) > 1 and given[-1].holds(actual):
        return WARN
    return FAIL


def evaluate(thresholds: Sequence[Threshold], agg: Aggregate) -> list[ThresholdResult]:
    out = []
    for o in thresholds:
        actual = measure(o.metric, agg)
        missing = None
        if actual is None and o.metric.source == "recovery":
            flt = o.metric.filter[1] if o.metric.filter else None
            missing = recovery_missing(agg.faults, o.metric.field or "", flt)
        out.append(ThresholdResult(o, actual, judge(o, actual), missing))
    return out


def overall(results: Sequence[ThresholdResult]) -> str:
    """The worst verdict; NONE when no threshold was declared."""
    worst = NONE
    for r in results:
        if _RANK[r.verdict] > _RANK[worst]:
            worst = r.verdict
    return worst
