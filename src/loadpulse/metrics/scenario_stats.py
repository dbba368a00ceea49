"""What scripted scenarios add to a snapshot: iterations, checks, custom metrics, script errors (pure).

Kept beside the per-name request stats rather than inside them: a check or a custom metric belongs to the
user's script, not to one HTTP request. Every type here merges by addition, like the request stats.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from loadpulse.metrics.cardinality import KEEP_NOTHING, MAX_CUSTOM, OTHER, Cap, KeptNames, Overflow
from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.trend import TrendHistogram
from loadpulse.redaction import redact_text

MetricKind = Literal["counter", "trend", "rate"]
TREND_SCALE = 1
"""Trend values are kept exactly, in the user's own units (see metrics/trend.py). Readers still divide by
this (it was 1000 when trends lived in the latency histogram as value*1000), so it stays, at 1."""
MAX_SCRIPT_ERRORS = 100
"""Script-error keys kept apart per scenario and process; later ones count under :data:`OTHER`. A key is
a type and a line of the script, so a real run has a handful: the cap only bounds a script that makes
exception types from data."""
MAX_MESSAGE = 200
"""Characters kept of a script error's message: enough for 'ctx has no attribute ...; did you mean ...'."""


def error_message(exc: BaseException) -> str:
    """What ``exc`` says, on one line, at most :data:`MAX_MESSAGE` characters, control characters escaped
    and URL passwords and secret query values redacted ('' when it says nothing). Run-wide secrets
    (``--secret``, header values) are replaced later, where every output is redacted."""
    try:
        text = str(exc)[: MAX_MESSAGE * 4]  # a message holding a whole response body is cut before any work
    except Exception:  # a user __str__ that raises: the key still says the type and line
        return ""
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    text = redact_text(text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


@dataclass(slots=True)
class CustomMetric:
    """A user metric: counter (sum), trend (distribution of any finite values) or rate (share of true)."""

    kind: MetricKind
    value: float = 0.0
    true: int = 0
    total: int = 0
    hist: TrendHistogram = field(default_factory=TrendHistogram)

    def merge(self, other: CustomMetric) -> None:
        if other.kind != self.kind:
            raise ValueError(f"metric declared as {self.kind} and as {other.kind}")
        self.value += other.value
        self.true += other.true
        self.total += other.total
        self.hist.merge(other.hist)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind}
        if self.kind == "counter":
            d["value"] = self.value
        elif self.kind == "rate":
            d.update(true=self.true, total=self.total)
        else:
            d["hist"] = self.hist.to_sparse()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CustomMetric:
        kind = d["kind"]
        if kind not in ("counter", "trend", "rate"):
            raise ValueError(f"unknown metric kind {kind!r}")
        m = cls(kind=kind)
        m.value = float(d.get("value", 0.0))
        m.true, m.total = int(d.get("true", 0)), int(d.get("total", 0))
        if "hist" in d:
            m.hist = TrendHistogram.from_sparse(d["hist"])
        return m


@dataclass(slots=True)
class ScenarioStats:
    """One scenario within one interval (or a whole run)."""

    iterations: int = 0
    """Iterations that ran to their end (with or without a failed check or a script error)."""
    duration: Histogram = field(default_factory=Histogram.empty)
    """Iteration durations in µs."""
    dropped: int = 0
    """Open model: arrivals that found every VU busy and were not started."""
    interrupted: int = 0
    """Iterations cut short by a graceful stop or ramp-down that ran out of time."""
    vus: int = 0
    """Running VUs at the end of the interval (a gauge: merging across processes adds)."""
    script_errors: dict[str, int] = field(default_factory=dict)
    """'ExceptionType at file.py:LINE' -> count."""
    script_error_messages: dict[str, str] = field(default_factory=dict)
    """The first message seen for a key of :attr:`script_errors` (see :func:`error_message`); keys whose
    exceptions said nothing are absent."""

    def merge(self, other: ScenarioStats, gauge: bool = True) -> None:
        self.iterations += other.iterations
        self.duration.merge(other.duration)
        self.dropped += other.dropped
        self.interrupted += other.interrupted
        if gauge:
            self.vus += other.vus
        for k, n in other.script_errors.items():
            self.script_errors[k] = self.script_errors.get(k, 0) + n
        if other.script_error_messages:
            messages = self.script_error_messages
            for k, message in other.script_error_messages.items():
                messages.setdefault(k, message)  # the first seen: merges run in time order

    def to_dict(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "duration": self.duration.to_sparse(),
            "dropped": self.dropped,
            "interrupted": self.interrupted,
            "vus": self.vus,
            "script_errors": dict(self.script_errors),
            "script_error_messages": dict(self.script_error_messages),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScenarioStats:
        return cls(
            iterations=int(d["iterations"]),
            duration=Histogram.from_sparse(d["duration"]),
            dropped=int(d["dropped"]),
            interrupted=int(d["interrupted"]),
            vus=int(d["vus"]),
            script_errors={str(k): int(v) for k, v in d["script_errors"].items()},
            # absent from results files written before messages were kept
            script_error_messages={
                str(k): str(v)[:MAX_MESSAGE] for k, v in d.get("script_error_messages", {}).items()
            },
        )


class ScenarioRecorder:
    """Hot-path buffers of one scenario; the engine appends, :meth:`cut` empties."""

    __slots__ = (
        "_error_cap",
        "_error_keys",
        "dropped",
        "duration",
        "interrupted",
        "iterations",
        "script_error_messages",
        "script_errors",
        "vus",
    )

    def __init__(self, max_script_errors: int = MAX_SCRIPT_ERRORS) -> None:
        self.iterations = 0
        self.duration = array("q")
        self.dropped = 0
        self.interrupted = 0
        self.vus = 0
        self.script_errors: dict[str, int] = {}
        self.script_error_messages: dict[str, str] = {}
        self._error_cap = max_script_errors
        self._error_keys: set[str] = set()
        """Keys admitted so far in the run (the cap is on the run, not on one interval)."""

    def script_error(self, where: str, exc: BaseException | None = None) -> None:
        """Count one script error at ``where``; ``exc``'s message is kept when ``where`` is new this
        interval (so a failing line costs one ``str(exc)`` per interval, not one per iteration)."""
        n = self.script_errors.get(where)
        if n is None:
            label = where
            if where not in self._error_keys:
                if len(self._error_keys) >= self._error_cap:
                    where = OTHER
                else:
                    self._error_keys.add(where)
            n = self.script_errors.get(where, 0)
            if exc is not None and where not in self.script_error_messages:
                message = error_message(exc)
                if where == OTHER:  # the catch-all says which error its message is about
                    message = f"{label}: {message}" if message else label
                if message:
                    self.script_error_messages[where] = message
        self.script_errors[where] = n + 1

    def cut(self) -> ScenarioStats:
        stats = ScenarioStats(
            iterations=self.iterations,
            dropped=self.dropped,
            interrupted=self.interrupted,
            vus=self.vus,
            script_errors=dict(self.script_errors),
            script_error_messages=dict(self.script_error_messages),
        )
        if self.duration:
            stats.duration.record_many(np.frombuffer(self.duration, dtype=np.int64).copy())
        del self.duration[:]
        self.iterations = self.dropped = self.interrupted = 0
        self.script_errors.clear()
        self.script_error_messages.clear()
        return stats


_OTHER_METRIC: dict[MetricKind, str] = {k: f"(other {k}s)" for k in ("counter", "rate", "trend")}
"""Where custom metrics past the cap are counted: one per kind, since a metric has one kind."""
OTHER_METRICS = frozenset(_OTHER_METRIC.values())


class MetricsRecorder:
    """Checks and custom metrics of a process, as cheap dict updates until the interval is cut.

    Check names and metric names are capped (:data:`~loadpulse.metrics.cardinality.MAX_CUSTOM` each): a
    name built from data would otherwise add an entry to every Snapshot for the rest of the run."""

    __slots__ = ("_check_cap", "_metric_cap", "checks", "counters", "kinds", "rates", "trends")

    def __init__(self, max_custom: int = MAX_CUSTOM, keep: KeptNames = KEEP_NOTHING) -> None:
        self._check_cap = Cap(max_custom, keep.checks)
        self._metric_cap = Cap(max_custom, keep.metrics)
        self.checks: dict[str, list[int]] = {}
        """name -> [passed, failed]"""
        self.kinds: dict[str, MetricKind] = {}
        self.counters: dict[str, float] = {}
        self.rates: dict[str, list[int]] = {}
        self.trends: dict[str, array[float]] = {}

    def check(self, name: str, ok: bool) -> None:
        slot = self.checks.get(name)
        if slot is None:
            if self._check_cap.full(len(self.checks) - (OTHER in self.checks), name):
                self._check_cap.group(name)
                name = OTHER
                slot = self.checks.get(name)
            if slot is None:
                slot = self.checks[name] = [0, 0]
        slot[0 if ok else 1] += 1

    def declare(self, name: str, kind: MetricKind) -> None:
        if name not in self.kinds and self._metric_cap.full(len(self.kinds) - self._other_metrics(), name):
            self._metric_cap.group(name)
            name = _OTHER_METRIC[kind]
        known = self.kinds.setdefault(name, kind)
        if known != kind:
            raise ValueError(f"metric {name!r} is already a {known}, not a {kind}")

    def _other_metrics(self) -> int:
        return sum(other in self.kinds for other in _OTHER_METRIC.values())

    def overflow(self) -> dict[str, Overflow]:
        """Overflows of check and metric names, keyed ``checks`` and ``metrics`` (absent when none)."""
        out: dict[str, Overflow] = {}
        checks = self._check_cap.overflow(len(self.checks) - (OTHER in self.checks))
        if checks is not None:
            out["checks"] = checks
        metrics = self._metric_cap.overflow(len(self.kinds) - self._other_metrics())
        if metrics is not None:
            out["metrics"] = metrics
        return out

    def add_counter(self, name: str, value: float) -> None:
        if name not in self.kinds:  # grouped past the cap by declare()
            name = _OTHER_METRIC["counter"]
        self.counters[name] = self.counters.get(name, 0.0) + value

    def add_rate(self, name: str, value: bool) -> None:
        if name not in self.kinds:
            name = _OTHER_METRIC["rate"]
        slot = self.rates.get(name)
        if slot is None:
            slot = self.rates[name] = [0, 0]
        slot[0] += bool(value)
        slot[1] += 1

    def add_trend(self, name: str, value: float) -> None:
        if not math.isfinite(value):  # raised in the user's ctx.trend() call: a script error at their line
            raise ValueError(f"trend {name!r}: {value!r} is not a finite number")
        if name not in self.kinds:
            name = _OTHER_METRIC["trend"]
        buf = self.trends.get(name)
        if buf is None:
            buf = self.trends[name] = array("d")
        buf.append(value)

    def cut(self) -> tuple[dict[str, list[int]], dict[str, CustomMetric]]:
        checks = {k: list(v) for k, v in self.checks.items()}
        metrics: dict[str, CustomMetric] = {}
        for name, kind in self.kinds.items():
            m = metrics[name] = CustomMetric(kind)
            if kind == "counter":
                m.value = self.counters.get(name, 0.0)
            elif kind == "rate":
                m.true, m.total = self.rates.get(name, [0, 0])
            elif self.trends.get(name):
                m.hist.record_many(np.frombuffer(self.trends[name], dtype=np.float64).copy())
        for slot in self.checks.values():
            slot[0] = slot[1] = 0
        for rate in self.rates.values():
            rate[0] = rate[1] = 0
        for buf in self.trends.values():
            del buf[:]
        self.counters.clear()
        return checks, metrics


def merge_checks(into: dict[str, list[int]], other: dict[str, list[int]]) -> None:
    for name, (ok, bad) in other.items():
        slot = into.setdefault(name, [0, 0])
        slot[0] += ok
        slot[1] += bad


def merge_metrics(into: dict[str, CustomMetric], other: dict[str, CustomMetric]) -> None:
    for name, m in other.items():
        mine = into.get(name)
        if mine is None:
            mine = into[name] = CustomMetric(m.kind)
        mine.merge(m)
