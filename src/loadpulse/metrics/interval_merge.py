"""Several processes' snapshots folded into one: what a coordinator shows and judges for one interval.

Counts and histograms add (a merged histogram equals one fed every value). Gauges — running VUs, requests
in flight, open connections — are each process's latest reading summed across processes: a process whose
snapshot for this interval arrived late still counts with its last reading rather than dropping to 0,
and one that sent two snapshots in one interval is not counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from loadpulse.metrics.cardinality import Overflow
from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.scenario_stats import CustomMetric, ScenarioStats, merge_checks, merge_metrics
from loadpulse.metrics.snapshot import NameStats, Snapshot


@dataclass(slots=True)
class Gauges:
    """One process's latest gauge readings (kept across intervals by the merging side)."""

    vus: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    connections: int = 0

    def read(self, snap: Snapshot) -> None:
        self.vus = {name: sc.vus for name, sc in snap.scenarios.items()}
        self.in_flight = snap.in_flight
        self.connections = snap.connections

    def clear(self) -> None:
        """A process that is gone holds no VUs and no connections."""
        self.vus = {name: 0 for name in self.vus}
        self.in_flight = self.connections = 0


def merge_interval(
    seq: int,
    start_ns: int,
    end_ns: int,
    snaps: Sequence[Snapshot],
    gauges: Mapping[int, Gauges],
    probes: Mapping[str, float] | None = None,
) -> Snapshot:
    """One snapshot from ``snaps`` (every process's snapshots since the last merge, in arrival order);
    its gauges are the sum over ``gauges`` (each process's latest, already read from ``snaps``)."""
    names: dict[str, list[NameStats]] = {}
    tags: dict[str, list[NameStats]] = {}
    scenarios: dict[str, ScenarioStats] = {}
    checks: dict[str, list[int]] = {}
    metrics: dict[str, CustomMetric] = {}
    overflow: dict[str, Overflow] = {}
    dropped = 0
    lags: list[Histogram] = []
    for snap in snaps:
        for name, stats in snap.names.items():
            names.setdefault(name, []).append(stats)
        for tag, stats in snap.tags.items():
            tags.setdefault(tag, []).append(stats)
        for name, sc in snap.scenarios.items():
            scenarios.setdefault(name, ScenarioStats()).merge(sc, gauge=False)
        merge_checks(checks, snap.checks)
        merge_metrics(metrics, snap.metrics)
        for family, over in snap.overflow.items():
            overflow.setdefault(family, Overflow()).merge(over)
        dropped += snap.dropped
        lags.append(snap.loop_lag)
    for g in gauges.values():
        for name, vus in g.vus.items():
            scenarios.setdefault(name, ScenarioStats()).vus += vus
    return Snapshot(
        seq=seq,
        start_ns=start_ns,
        end_ns=end_ns,
        names={name: NameStats.sum_of(stats) for name, stats in names.items()},
        dropped=dropped,
        in_flight=sum(g.in_flight for g in gauges.values()),
        connections=sum(g.connections for g in gauges.values()),
        scenarios=scenarios,
        checks=checks,
        metrics=metrics,
        probes=dict(probes or {}),
        tags={tag: NameStats.sum_of(stats) for tag, stats in tags.items()},
        loop_lag=Histogram.sum_of(lags),
        overflow=overflow,
    )
