"""Recording on the hot path, bucketing off it.

A request costs a few ``array.append`` calls (C-level, amortized, no Python objects kept); once per interval
:meth:`Recorder.cut` turns the buffers into numpy arrays, buckets them in one vectorized pass and empties
them in place, so memory is bounded by one interval's worth of raw values. Hand-written rather than a
library because it *is* the measured hot path: any per-value Python work here shows up in requests/s.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

import numpy as np

from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.scenario_stats import MetricsRecorder, ScenarioRecorder
from loadpulse.metrics.snapshot import NameStats, Snapshot

StatusKind = Callable[[int], str | None]
"""A protocol's classifier: the error kind a status code counts as, or None for a success."""


def _no_failing_status(status: int) -> str | None:
    return None


class NameRecorder:
    """Raw per-request values for one request name. Callers append directly to the public buffers."""

    __slots__ = (
        "bytes_in",
        "bytes_out",
        "connect",
        "errors",
        "lat",
        "status",
        "status_kind",
        "svc",
        "tls",
        "ttfb",
    )

    def __init__(self, status_kind: StatusKind = _no_failing_status) -> None:
        self.status_kind = status_kind
        """Supplied by the protocol, applied at :meth:`cut` once per distinct status code."""
        self.lat = array("q")
        """Latency in µs: from the intended start (open model) or from the send (closed model)."""
        self.svc = array("q")
        """Service time in µs from the actual send; only filled when it differs from ``lat``."""
        self.ttfb = array("q")
        self.connect = array("q")
        self.tls = array("q")
        self.status = array("H")
        self.errors: dict[str, int] = {}
        self.bytes_in = 0
        self.bytes_out = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def cut(self) -> NameStats:
        """Move everything recorded so far into a NameStats and start empty again."""
        stats = NameStats()
        lat = np.frombuffer(self.lat, dtype=np.int64).copy() if self.lat else np.empty(0, np.int64)
        stats.latency.record_many(lat)
        if self.svc:
            stats.service.record_many(np.frombuffer(self.svc, dtype=np.int64).copy())
        else:
            stats.service = stats.latency.copy()
        if self.ttfb:
            stats.ttfb.record_many(np.frombuffer(self.ttfb, dtype=np.int64).copy())
        for buf, hist in ((self.connect, stats.connect), (self.tls, stats.tls)):
            if buf:
                hist.record_many(np.frombuffer(buf, dtype=np.int64).copy())
        if self.status:
            codes, counts = np.unique(np.frombuffer(self.status, dtype=np.uint16), return_counts=True)
            stats.statuses = {int(c): int(n) for c, n in zip(codes, counts, strict=True)}
        errors = dict(self.errors)
        failed_statuses = 0
        for code, n in stats.statuses.items():
            kind = self.status_kind(code)
            if kind is not None:
                errors[kind] = errors.get(kind, 0) + n
                failed_statuses += n
        stats.errors = errors
        responses = len(self.status)
        other_errors = sum(self.errors.values())
        stats.requests = responses + other_errors
        stats.failed = failed_statuses + other_errors
        stats.ok = stats.requests - stats.failed
        stats.bytes_in, stats.bytes_out = self.bytes_in, self.bytes_out
        # Empty in place: connections hold bound ``append`` methods of these very buffers.
        del self.lat[:], self.svc[:], self.ttfb[:], self.status[:], self.connect[:], self.tls[:]
        self.errors.clear()
        self.bytes_in = self.bytes_out = 0
        return stats


class Recorder:
    """All name recorders of one process, cut into numbered Snapshots."""

    def __init__(self) -> None:
        self.names: dict[str, NameRecorder] = {}
        self.tags: dict[str, NameRecorder] = {}
        """'key=value' -> the same measurements again, for requests carrying that tag (not in totals)."""
        self.scenarios: dict[str, ScenarioRecorder] = {}
        self.metrics = MetricsRecorder()
        self.probes: dict[str, float] = {}
        """Probe values sampled since the last cut (set from the probe sampler)."""
        self.dropped = 0
        self._seq = 0
        self._last_cut_ns = 0

    def for_name(self, name: str, status_kind: StatusKind = _no_failing_status) -> NameRecorder:
        """The buffers of ``name``; ``status_kind`` is the protocol's classifier of its status codes."""
        rec = self.names.get(name)
        if rec is None:
            rec = self.names[name] = NameRecorder(status_kind)
        return rec

    def for_tag(self, key: str, value: str, like: NameRecorder | None = None) -> NameRecorder:
        """The buffers of tag ``key=value``, classifying statuses as ``like`` (the request's name) does."""
        tag = f"{key}={value}"
        rec = self.tags.get(tag)
        if rec is None:
            rec = self.tags[tag] = NameRecorder(like.status_kind if like else _no_failing_status)
        return rec

    def for_scenario(self, name: str) -> ScenarioRecorder:
        rec = self.scenarios.get(name)
        if rec is None:
            rec = self.scenarios[name] = ScenarioRecorder()
        return rec

    def cut(
        self, now_ns: int, in_flight: int = 0, connections: int = 0, loop_lag_us: Sequence[int] = ()
    ) -> Snapshot:
        """Snapshot of everything since the previous cut; ``now_ns`` is relative to the run start;
        ``loop_lag_us`` are the event loop's lags measured in the interval (the watchdog's ticks)."""
        checks, metrics = self.metrics.cut()
        lag = Histogram.empty()
        if loop_lag_us:
            lag.record_many(np.asarray(loop_lag_us, dtype=np.int64))
        snap = Snapshot(
            seq=self._seq,
            start_ns=self._last_cut_ns,
            end_ns=now_ns,
            names={name: rec.cut() for name, rec in self.names.items()},
            dropped=self.dropped,
            in_flight=in_flight,
            connections=connections,
            scenarios={name: rec.cut() for name, rec in self.scenarios.items()},
            checks=checks,
            metrics=metrics,
            probes=dict(self.probes),
            tags={tag: rec.cut() for tag, rec in self.tags.items()},
            loop_lag=lag,
        )
        self.probes.clear()
        self.dropped = 0
        self._seq += 1
        self._last_cut_ns = now_ns
        return snap
