"""Running aggregate of a run: totals per name, the overall total, and a per-interval time series.

Fed Snapshots in any order of processes; merging is addition, so the aggregate of N processes equals the
aggregate of one process that did all their work. Memory: the totals are fixed-size histograms; the series
keeps one small row per interval (about 200 bytes a second), never raw values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadpulse.metrics.cardinality import OTHER, Overflow
from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.name_template import templates
from loadpulse.metrics.scenario_stats import (
    TREND_SCALE,
    CustomMetric,
    ScenarioStats,
    merge_checks,
    merge_metrics,
)
from loadpulse.metrics.snapshot import NameStats, Snapshot

SERIES_PERCENTILES = (50.0, 90.0, 95.0, 99.0)


def interval_value(m: CustomMetric) -> float:
    if m.kind == "counter":
        return m.value
    if m.kind == "rate":
        return m.true / m.total if m.total else 0.0
    return m.hist.percentile(95.0) / TREND_SCALE if m.hist.total else 0.0


LAG_TICK_S = 0.01
"""How often the watchdog (engine/watchdog.py) samples the event loop's lag: a loop late by L takes a sample
every LAG_TICK_S + L, so a badly lagging loop leaves few samples."""


@dataclass(slots=True)
class ProbeStats:
    """A probe's samples over the run, kept as running figures (no list of every sample)."""

    first: float | None = None
    last: float | None = None
    min: float = float("inf")
    max: float = float("-inf")
    sum: float = 0.0
    count: int = 0

    def add(self, value: float) -> None:
        if self.first is None:
            self.first = value
        self.last = value
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        self.sum += value
        self.count += 1

    @property
    def avg(self) -> float | None:
        return self.sum / self.count if self.count else None

    @property
    def growth(self) -> float | None:
        """How much the probe grew from its first sample to its last: relative, (last - first) / |first|
        (0.1 when the target's RSS grew 10 %); from a first sample of 0 there is no ratio, so it is the
        absolute growth, last - first (a queue from 0 to 500 grew 500). None only without samples."""
        if self.first is None or self.last is None:
            return None
        if self.first == 0:
            return self.last - self.first
        return (self.last - self.first) / abs(self.first)

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "first": self.first,
            "last": self.last,
            "min": self.min if self.count else None,
            "max": self.max if self.count else None,
            "avg": self.avg,
            "growth": self.growth,
            "samples": self.count,
        }


@dataclass(slots=True)
class SeriesRow:
    """One interval on the run's timeline; latencies in milliseconds."""

    t_s: float
    interval_s: float
    requests: int
    ok: int
    failed: int
    rate: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    dropped: int
    in_flight: int
    connections: int
    vus: int = 0
    iterations: int = 0
    checks_failed: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    """Custom metrics in this interval: a counter's sum, a rate's share of true, a trend's p95."""
    probes: dict[str, float] = field(default_factory=dict)
    """Probe values sampled in this interval (a probe that failed has no entry: a gap)."""
    loop_lag_ms: float = 0.0
    """The generator's worst event-loop lag in this interval."""
    faults_active: list[str] = field(default_factory=list)
    """Names of the chaos faults on at some time in this interval (chaos/timeline.py), for shaded bands."""

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SeriesRow:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(slots=True)
class Aggregate:
    names: dict[str, NameStats] = field(default_factory=dict)
    total: NameStats = field(default_factory=NameStats)
    series: list[SeriesRow] = field(default_factory=list)
    scenarios: dict[str, ScenarioStats] = field(default_factory=dict)
    checks: dict[str, list[int]] = field(default_factory=dict)
    metrics: dict[str, CustomMetric] = field(default_factory=dict)
    probes: dict[str, ProbeStats] = field(default_factory=dict)
    tags: dict[str, NameStats] = field(default_factory=dict)
    dropped: int = 0
    elapsed_ns: int = 0
    vus: int = 0
    """Running VUs at the latest interval's end."""
    loop_lag: Histogram = field(default_factory=Histogram.empty)
    """The generator's event-loop lag over the whole run (µs): one sample every LAG_TICK_S plus its lag."""
    overflow: dict[str, Overflow] = field(default_factory=dict)
    """Name families that went past their cap in any process (see metrics/cardinality.py)."""
    pipeline: dict[str, Any] | None = None
    """The pipeline check so far (``PipelineResult.to_dict()``: sent vs. arrived), None without sinks."""
    probe_groups: dict[str, dict[str, float]] = field(default_factory=dict)
    """Each group probe's values by group at its latest sample (bounded by the probe's group cap)."""
    faults: list[dict[str, Any]] | None = None
    """The run's chaos faults so far (Summary JSON ``faults``, chaos/timeline.py), None without any."""

    def add(self, snap: Snapshot) -> SeriesRow:
        for name, stats in snap.names.items():
            _merge_into(self.names, name, stats)
        interval = NameStats.sum_of(list(snap.names.values()))
        self.total.merge(interval)
        vus = iterations = 0
        for name, sc in snap.scenarios.items():
            # VUs are a gauge: the run's figure is the latest one, not a sum over intervals.
            mine = self.scenarios.setdefault(name, ScenarioStats())
            mine.merge(sc, gauge=False)
            mine.vus = sc.vus
            vus += sc.vus
            iterations += sc.iterations
        self.vus = vus
        for tag, stats in snap.tags.items():
            _merge_into(self.tags, tag, stats)
        for name, value in snap.probes.items():
            self.probes.setdefault(name, ProbeStats()).add(value)
        merge_checks(self.checks, snap.checks)
        merge_metrics(self.metrics, snap.metrics)
        self.dropped += snap.dropped
        self.loop_lag.merge(snap.loop_lag)
        for family, over in snap.overflow.items():
            self.overflow.setdefault(family, Overflow()).merge(over)
        self.elapsed_ns = max(self.elapsed_ns, snap.end_ns)
        span_s = max((snap.end_ns - snap.start_ns) / 1e9, 1e-9)
        p50, p90, p95, p99 = (v / 1000.0 for v in interval.latency.percentiles(SERIES_PERCENTILES))
        row = SeriesRow(
            t_s=snap.end_ns / 1e9,
            interval_s=span_s,
            requests=interval.requests,
            ok=interval.ok,
            failed=interval.failed,
            rate=interval.requests / span_s,
            p50_ms=p50,
            p90_ms=p90,
            p95_ms=p95,
            p99_ms=p99,
            max_ms=interval.latency.max_us / 1000.0,
            errors=dict(interval.errors),
            dropped=snap.dropped,
            in_flight=snap.in_flight,
            connections=snap.connections,
            vus=vus,
            iterations=iterations,
            checks_failed=sum(bad for _, bad in snap.checks.values()),
            metrics={name: interval_value(m) for name, m in snap.metrics.items()},
            probes=dict(snap.probes),
            loop_lag_ms=snap.loop_lag.max_us / 1000.0 if snap.loop_lag.total else 0.0,
        )
        self.series.append(row)
        return row

    @property
    def elapsed_s(self) -> float:
        return self.elapsed_ns / 1e9

    @property
    def rate(self) -> float:
        return self.total.requests / self.elapsed_s if self.elapsed_ns else 0.0

    def warnings(self) -> list[str]:
        """One line per name family that went past its cap: how many names, where the rest went, how to
        group them (a ``name=`` template made from the grouped examples)."""
        out = []
        for family, (what, other) in _FAMILIES.items():
            over = self.overflow.get(family)
            if over is None:
                continue
            count = f"{'more than ' if over.saturated else ''}{over.distinct:,}"
            line = f"{count} distinct {what}; past the first {over.cap:,} the rest are grouped under {other}"
            if family == "names":
                hint = templates(over.examples, limit=1)
                if hint and "/" in hint[0]:  # a URL template; for other names (ctx.timed) it means nothing
                    line += f" — use name= to group URLs, e.g. name='{hint[0]}'"
                else:
                    line += f" (e.g. {', '.join(repr(e) for e in over.examples[:3])})"
            elif over.examples:
                line += f" (e.g. {', '.join(repr(e) for e in over.examples[:3])})"
            out.append(line)
        return out


def _merge_into(entries: dict[str, NameStats], key: str, stats: NameStats) -> None:
    mine = entries.get(key)
    if mine is None:
        # A copy rather than the Snapshot's own: the run's totals are added into in place, and a snapshot
        # may still be read elsewhere (outputs, other consumers).
        entries[key] = stats.copy()
    else:
        mine.merge(stats)


_FAMILIES = {
    "names": ("request names", f"'{OTHER}'"),
    "tags": ("tag values", f"'key={OTHER}'"),
    "checks": ("check names", f"'{OTHER}'"),
    "metrics": ("custom metric names", "'(other counters)', '(other rates)' and '(other trends)' by kind"),
}
"""Overflow family -> (what is counted, where the rest went), for :meth:`Aggregate.warnings`."""
