"""Recording on the hot path, bucketing off it.

A request costs a few ``array.append`` calls (C-level, amortized, no Python objects kept); once per interval
:meth:`Recorder.cut` turns the buffers into numpy arrays, buckets them in one vectorized pass over all names
(:mod:`~loadpulse.metrics.batched_cut`) and empties them in place, so memory is bounded by one interval's
worth of raw values. Hand-written rather than a library because it *is* the measured hot path: any
per-value Python work here shows up in requests/s.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

import numpy as np

from loadpulse.metrics.batched_cut import cut_all
from loadpulse.metrics.cardinality import (
    KEEP_NOTHING,
    MAX_CUSTOM,
    MAX_NAMES,
    MAX_TAGS,
    OTHER,
    Cap,
    KeptNames,
    Overflow,
)
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
        "done",
        "ends",
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
        self.ends: dict[str, int] = {}
        """Connections of this name that ended under an error kind while no request waited on them: errors
        of the run (``errors.<kind>.count``), not failed requests (see :meth:`end`)."""
        self.done = 0
        """Successes without a status code (protocols that have none, e.g. a timed block of Python)."""
        self.bytes_in = 0
        self.bytes_out = 0

    @property
    def active(self) -> bool:
        """Whether anything was recorded since the last cut (idle names get no entry in a Snapshot)."""
        return bool(
            self.lat
            or self.status
            or self.errors
            or self.ends
            or self.done
            or self.connect
            or self.tls
            or self.ttfb
            or self.svc
            or self.bytes_in
            or self.bytes_out
        )

    def error(self, kind: str) -> None:
        """A failed request of ``kind``."""
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def end(self, kind: str) -> None:
        """A connection that ended under ``kind`` with no request waiting on it (a WebSocket the server
        closed while the script only listened): counted under its kind, but not as a request, since none
        was made: as a failed request it inflated ``requests`` and deflated ok %."""
        self.ends[kind] = self.ends.get(kind, 0) + 1

    def cut(self) -> NameStats:
        """Move everything recorded so far into a NameStats and start empty again.

        :meth:`Recorder.cut` does this for all names at once with
        :func:`~loadpulse.metrics.batched_cut.cut_all`, which must give the same result; this one-name form
        is the reference it is tested against."""
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
        for kind, n in self.ends.items():
            errors[kind] = errors.get(kind, 0) + n
        stats.errors = errors
        stats.connection_errors = dict(self.ends)
        responses = len(self.status) + self.done
        other_errors = sum(self.errors.values())
        stats.requests = responses + other_errors
        stats.failed = failed_statuses + other_errors
        stats.ok = stats.requests - stats.failed
        stats.bytes_in, stats.bytes_out = self.bytes_in, self.bytes_out
        self.clear()
        return stats

    def clear(self) -> None:
        """Forget everything recorded, emptying the buffers in place: connections hold bound ``append``
        methods of these very buffers."""
        del self.lat[:], self.svc[:], self.ttfb[:], self.status[:], self.connect[:], self.tls[:]
        self.errors.clear()
        self.ends.clear()
        self.bytes_in = self.bytes_out = self.done = 0


class Recorder:
    """All name recorders of one process, cut into numbered Snapshots.

    Memory is bounded by ``max_names``, ``max_tags`` and ``max_custom``, never by the target's URL
    space: past a cap, new names share one :data:`~loadpulse.metrics.cardinality.OTHER` entry and each
    Snapshot says how many were grouped. Callers cache the recorder they get per name, so the cap costs
    nothing per request.
    """

    def __init__(
        self,
        max_names: int = MAX_NAMES,
        max_tags: int = MAX_TAGS,
        max_custom: int = MAX_CUSTOM,
        keep: KeptNames = KEEP_NOTHING,
    ) -> None:
        self.names: dict[str, NameRecorder] = {}
        self._name_cap = Cap(max_names, keep.names)
        self._tag_cap = Cap(max_tags, keep.tags)
        self.tags: dict[str, NameRecorder] = {}
        """'key=value' -> the same measurements again, for requests carrying that tag (not in totals)."""
        self.scenarios: dict[str, ScenarioRecorder] = {}
        self.metrics = MetricsRecorder(max_custom, keep)
        self.probes: dict[str, float] = {}
        """Probe values sampled since the last cut (set from the probe sampler)."""
        self.dropped = 0
        self._tag_others = 0
        """How many of ``tags`` are a key's OTHER entry (one per key at most: not counted by the cap)."""
        self._seq = 0
        self._last_cut_ns = 0

    def for_name(self, name: str, status_kind: StatusKind = _no_failing_status) -> NameRecorder:
        """The buffers of ``name``; ``status_kind`` is the protocol's classifier of its status codes."""
        rec = self.names.get(name)
        if rec is None:
            if self._name_cap.full(len(self.names) - (OTHER in self.names), name):
                self._name_cap.group(name)
                name = OTHER
                rec = self.names.get(name)
            if rec is None:
                rec = self.names[name] = NameRecorder(status_kind)
        return rec

    def for_tag(self, key: str, value: str, like: NameRecorder | None = None) -> NameRecorder:
        """The buffers of tag ``key=value``, classifying statuses as ``like`` (the request's name) does."""
        tag = f"{key}={value}"
        rec = self.tags.get(tag)
        if rec is None:
            if self._tag_cap.full(len(self.tags) - self._tag_others, tag):
                self._tag_cap.group(tag)
                tag = f"{key}={OTHER}"
                rec = self.tags.get(tag)
            if rec is None:
                rec = self.tags[tag] = NameRecorder(like.status_kind if like else _no_failing_status)
                self._tag_others += tag.endswith(f"={OTHER}")
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
        names = [name for name, rec in self.names.items() if rec.active]
        tags = [tag for tag, rec in self.tags.items() if rec.active]
        # Names and tags in one batch (this runs on the load generator's event loop): the cost is then
        # nearly independent of how many names there are.
        stats = cut_all([self.names[name] for name in names] + [self.tags[tag] for tag in tags])
        lag = Histogram.empty()
        if loop_lag_us:
            lag.record_many(np.asarray(loop_lag_us, dtype=np.int64))
        snap = Snapshot(
            seq=self._seq,
            start_ns=self._last_cut_ns,
            end_ns=now_ns,
            names=dict(zip(names, stats[: len(names)], strict=True)),
            dropped=self.dropped,
            in_flight=in_flight,
            connections=connections,
            scenarios={name: rec.cut() for name, rec in self.scenarios.items()},
            checks=checks,
            metrics=metrics,
            probes=dict(self.probes),
            tags=dict(zip(tags, stats[len(names) :], strict=True)),
            loop_lag=lag,
            overflow=self._overflow(),
        )
        self.probes.clear()
        self.dropped = 0
        self._seq += 1
        self._last_cut_ns = now_ns
        return snap

    def _overflow(self) -> dict[str, Overflow]:
        out: dict[str, Overflow] = {}
        names = self._name_cap.overflow(len(self.names) - (OTHER in self.names))
        if names is not None:
            out["names"] = names
        tags = self._tag_cap.overflow(len(self.tags) - self._tag_others)
        if tags is not None:
            out["tags"] = tags
        out.update(self.metrics.overflow())
        return out
