"""Snapshot: what one process measured in one interval, in a plain versioned form that can be shipped.

Snapshots are the only thing that passes from load generation to everything downstream (progress line,
thresholds, reports, other processes). They serialize to plain dicts of lists and numbers, so msgpack,
pickle or JSON all carry them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from loadpulse.metrics.cardinality import Overflow
from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.scenario_stats import CustomMetric, ScenarioStats

SNAPSHOT_VERSION = 1


@dataclass(slots=True)
class NameStats:
    """Counters and histograms for one request name within one interval (or a whole run)."""

    latency: Histogram = field(default_factory=Histogram.empty)
    """From the intended start in open-model runs (coordinated-omission corrected), else from the send."""
    service: Histogram = field(default_factory=Histogram.empty)
    """From the actual send: what the target itself took."""
    ttfb: Histogram = field(default_factory=Histogram.empty)
    connect: Histogram = field(default_factory=Histogram.empty)
    """TCP connect time of each new connection."""
    tls: Histogram = field(default_factory=Histogram.empty)
    """TLS handshake time of each new https connection."""
    requests: int = 0
    ok: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    """Count per error kind: the failed requests' kinds, and the ``connection_errors`` too."""
    bytes_in: int = 0
    bytes_out: int = 0
    connection_errors: dict[str, int] = field(default_factory=dict)
    """The part of ``errors`` that is no request: connections that ended under an error kind while no
    request waited on them. In ``errors`` (so ``errors.<kind>.count`` and every breakdown see them), not in
    ``requests`` or ``failed`` (no request was made: counting one would inflate requests and lower ok %)."""

    def merge(self, other: NameStats) -> None:
        self.latency.merge(other.latency)
        self.service.merge(other.service)
        self.ttfb.merge(other.ttfb)
        self.connect.merge(other.connect)
        self.tls.merge(other.tls)
        self.merge_counts(other)

    def merge_counts(self, other: NameStats) -> None:
        """Add everything of ``other`` but its histograms."""
        self.requests += other.requests
        self.ok += other.ok
        self.failed += other.failed
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n
        for kind, n in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + n
        self.bytes_in += other.bytes_in
        self.bytes_out += other.bytes_out
        for kind, n in other.connection_errors.items():
            self.connection_errors[kind] = self.connection_errors.get(kind, 0) + n

    @classmethod
    def sum_of(cls, stats: Sequence[NameStats]) -> NameStats:
        """All of ``stats`` merged into one new NameStats (each histogram in one pass over all of them)."""
        out = cls(
            latency=Histogram.sum_of([s.latency for s in stats]),
            service=Histogram.sum_of([s.service for s in stats]),
            ttfb=Histogram.sum_of([s.ttfb for s in stats]),
            connect=Histogram.sum_of([s.connect for s in stats]),
            tls=Histogram.sum_of([s.tls for s in stats]),
        )
        for s in stats:
            out.merge_counts(s)
        return out

    def copy(self) -> NameStats:
        return NameStats(
            latency=self.latency.copy(),
            service=self.service.copy(),
            ttfb=self.ttfb.copy(),
            connect=self.connect.copy(),
            tls=self.tls.copy(),
            requests=self.requests,
            ok=self.ok,
            failed=self.failed,
            statuses=dict(self.statuses),
            errors=dict(self.errors),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            connection_errors=dict(self.connection_errors),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "latency": self.latency.to_sparse(),
            "service": self.service.to_sparse(),
            "ttfb": self.ttfb.to_sparse(),
            "connect": self.connect.to_sparse(),
            "tls": self.tls.to_sparse(),
            "requests": self.requests,
            "ok": self.ok,
            "failed": self.failed,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "errors": dict(self.errors),
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            # Only when there are some: most names (every HTTP one) never have any.
            **({"connection_errors": dict(self.connection_errors)} if self.connection_errors else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NameStats:
        return cls(
            latency=Histogram.from_sparse(d["latency"]),
            service=Histogram.from_sparse(d["service"]),
            ttfb=Histogram.from_sparse(d["ttfb"]),
            connect=Histogram.from_sparse(d["connect"]),
            tls=Histogram.from_sparse(d["tls"]),
            requests=int(d["requests"]),
            ok=int(d["ok"]),
            failed=int(d["failed"]),
            statuses={int(k): int(v) for k, v in d["statuses"].items()},
            errors={str(k): int(v) for k, v in d["errors"].items()},
            bytes_in=int(d["bytes_in"]),
            bytes_out=int(d["bytes_out"]),
            connection_errors={str(k): int(v) for k, v in d.get("connection_errors", {}).items()},
        )


@dataclass(slots=True)
class Snapshot:
    """One interval of one process. Times are nanoseconds since the run's start (monotonic clock).

    ``names`` and ``tags`` hold only what recorded something in the interval: readers use ``.get``."""

    seq: int
    start_ns: int
    end_ns: int
    names: dict[str, NameStats] = field(default_factory=dict)
    dropped: int = 0
    in_flight: int = 0
    connections: int = 0
    scenarios: dict[str, ScenarioStats] = field(default_factory=dict)
    checks: dict[str, list[int]] = field(default_factory=dict)
    """check name -> [passed, failed]"""
    metrics: dict[str, CustomMetric] = field(default_factory=dict)
    probes: dict[str, float] = field(default_factory=dict)
    """Target probe values sampled in this interval (process CPU, queue length, ...)."""
    tags: dict[str, NameStats] = field(default_factory=dict)
    """'key=value' -> stats of the requests carrying that tag (they are also in ``names``)."""
    loop_lag: Histogram = field(default_factory=Histogram.empty)
    """How late the generator's event loop ran its timer ticks (µs): the generator's own delay, which
    every measured latency may include."""
    overflow: dict[str, Overflow] = field(default_factory=dict)
    """Families of names past their cap ('names', 'tags', 'checks', 'metrics'), cumulative over the run
    so far: what the warning about names grouped under '(other)' is made of. Empty in most runs."""
    version: int = SNAPSHOT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "seq": self.seq,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "names": {k: v.to_dict() for k, v in self.names.items()},
            "dropped": self.dropped,
            "in_flight": self.in_flight,
            "connections": self.connections,
            "scenarios": {k: v.to_dict() for k, v in self.scenarios.items()},
            "checks": {k: list(v) for k, v in self.checks.items()},
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "probes": dict(self.probes),
            "tags": {k: v.to_dict() for k, v in self.tags.items()},
            "loop_lag": self.loop_lag.to_sparse(),
            **({"overflow": {k: v.to_dict() for k, v in self.overflow.items()}} if self.overflow else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Snapshot:
        version = int(d.get("version", 0))
        if version != SNAPSHOT_VERSION:
            raise ValueError(f"snapshot version {version} is not supported (this loadpulse reads 1)")
        return cls(
            seq=int(d["seq"]),
            start_ns=int(d["start_ns"]),
            end_ns=int(d["end_ns"]),
            names={str(k): NameStats.from_dict(v) for k, v in d["names"].items()},
            dropped=int(d["dropped"]),
            in_flight=int(d["in_flight"]),
            connections=int(d["connections"]),
            scenarios={str(k): ScenarioStats.from_dict(v) for k, v in d.get("scenarios", {}).items()},
            checks={str(k): [int(v[0]), int(v[1])] for k, v in d.get("checks", {}).items()},
            metrics={str(k): CustomMetric.from_dict(v) for k, v in d.get("metrics", {}).items()},
            probes={str(k): float(v) for k, v in d.get("probes", {}).items()},
            tags={str(k): NameStats.from_dict(v) for k, v in d.get("tags", {}).items()},
            loop_lag=Histogram.from_sparse(d["loop_lag"]) if "loop_lag" in d else Histogram.empty(),
            overflow={str(k): Overflow.from_dict(v) for k, v in d.get("overflow", {}).items()},
        )
