"""How long the system took to be healthy again after each fault, and what the fault cost (pure).

Input: the run's interval series (one :class:`Interval` per interval: its p95, p99, errors, dropped
arrivals and, with a pipeline check, the sink's backlog) and the **objectives**, which say when an interval
is healthy:

- the run's own thresholds on ``p95``, ``p99`` and ``errors.rate`` (no filter), each at its failing bound
  (``critical``, else its only bound): an interval is healthy when its own p95 / p99 / error rate would
  not FAIL them;
- for what no threshold covers, a **baseline** from the intervals before the first fault: p95 at most
  1.5 x the baseline's (the largest of its intervals' p95), and never less than baseline + 5 ms so
  loopback noise is not a fault; error rate at most the baseline's + 1 point; no more dropped arrivals
  than the baseline's worst interval; a pipeline's backlog, per request of the interval (it grows with the
  load), at most 1.5 x the baseline's largest (with one item of slack);
- an interval with no response at all is not healthy (when the run had responses before the fault).

**Recovery time** is from the fault's end (a kill: the kill itself) to the start of the first settling
window in which every interval is healthy: at least ``settle`` (5 s by default, less a quarter of an
interval: interval edges are not on exact seconds) and at least 3 intervals. An interval that straddles
the fault's end counts, so a fault nothing noticed recovers in 0 s. The window must end by the
**horizon**: the next fault's start (its impact is not this fault's: an interval overlapping it, beyond a few
ms of timer jitter, is not judged for this one) or the run's end. A last interval
shorter than half the others (the run's partial tail) is not judged.

Three outcomes (:class:`Recovery` ``state``): ``recovered``; ``never`` (the last judged interval before
the horizon was unhealthy); ``unmeasured`` (every interval from some point to the horizon was healthy,
or there was none, but a whole window did not fit: its time is then the start of that healthy stretch,
shown as tentative, and thresholds have no data from it).

**Impact**: the intervals the fault overlaps (an instant fault: from it until it recovered, or the run's
end): requests, failed requests, their share, dropped arrivals and the worst interval's p99.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_SETTLE_S = 5.0
MIN_SETTLE_INTERVALS = 3
P95_FACTOR = 1.5
P95_SLACK_MS = 5.0
ERROR_POINTS = 0.01
BACKLOG_FACTOR = 1.5


@dataclass(frozen=True, slots=True)
class Interval:
    """One interval of the series: it covers ``(t_s - interval_s, t_s]`` seconds from the load start."""

    t_s: float
    interval_s: float
    requests: int
    failed: int
    p95_ms: float
    p99_ms: float
    dropped: int = 0
    backlog: int | None = None

    @property
    def start_s(self) -> float:
        return self.t_s - self.interval_s

    @property
    def error_rate(self) -> float:
        return self.failed / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class Limit:
    """A bound an interval's figure must keep: ``value comparator bound`` holds."""

    comparator: str
    bound: float

    def holds(self, value: float) -> bool:
        c, b = self.comparator, self.bound
        if c == "<":
            return value < b
        if c == ">":
            return value > b
        if c == ">=":
            return value >= b
        if c == "==":
            return value == b
        if c == "!=":
            return value != b
        return value <= b


@dataclass(frozen=True, slots=True)
class Objectives:
    """When an interval counts as healthy; a None limit is not judged."""

    p95_ms: Limit | None = None
    p99_ms: Limit | None = None
    error_rate: Limit | None = None
    dropped: Limit | None = None
    backlog: Limit | None = None
    """On the backlog per request of the interval (less one item of slack)."""
    needs_requests: bool = True
    """An interval without responses is unhealthy (false only for a run that never had any)."""

    @property
    def empty(self) -> bool:
        return (
            not self.needs_requests
            and self.p95_ms is None
            and self.p99_ms is None
            and self.error_rate is None
            and self.dropped is None
            and self.backlog is None
        )

    def healthy(self, iv: Interval) -> bool:
        if iv.requests == 0:
            if self.needs_requests:
                return False
        else:
            if self.p95_ms is not None and not self.p95_ms.holds(iv.p95_ms):
                return False
            if self.p99_ms is not None and not self.p99_ms.holds(iv.p99_ms):
                return False
            if self.error_rate is not None and not self.error_rate.holds(iv.error_rate):
                return False
        if self.dropped is not None and not self.dropped.holds(iv.dropped):
            return False
        if self.backlog is None or iv.backlog is None or iv.requests == 0:
            return True
        # Per request of the interval: a healthy pipeline's backlog grows with the load it is given.
        return self.backlog.holds(max(0, iv.backlog - 1) / iv.requests)


def objectives(
    series: Sequence[Interval],
    first_fault_s: float | None,
    p95: Limit | None = None,
    p99: Limit | None = None,
    error_rate: Limit | None = None,
) -> Objectives:
    """The objectives: the thresholds' limits given, the baseline's rule for the rest (see the module)."""
    base = [iv for iv in series if first_fault_s is not None and iv.t_s <= first_fault_s + 1e-9]
    answered = [iv for iv in base if iv.requests]
    any_requests = any(iv.requests for iv in series)
    p95_limit = p95
    err_limit = error_rate
    if answered:
        if p95_limit is None and p99 is None:
            # The worst healthy interval, not a typical one: a loaded host's p95 varies by 2-3x from one
            # second to the next, and a median would call that noise a fault that never recovered.
            p95_base = max(iv.p95_ms for iv in answered)
            p95_limit = Limit("<=", max(P95_FACTOR * p95_base, p95_base + P95_SLACK_MS))
        if err_limit is None:
            failed = sum(iv.failed for iv in answered)
            requests = sum(iv.requests for iv in answered)
            err_limit = Limit("<=", failed / requests + ERROR_POINTS)
    dropped = Limit("<=", float(max(iv.dropped for iv in base))) if base else None
    backlogs = [iv.backlog / iv.requests for iv in answered if iv.backlog is not None]
    backlog = Limit("<=", BACKLOG_FACTOR * max(backlogs)) if backlogs else None
    return Objectives(p95_limit, p99, err_limit, dropped, backlog, needs_requests=any_requests)


@dataclass(frozen=True, slots=True)
class Impact:
    requests: int = 0
    errors: int = 0
    error_rate: float = 0.0
    dropped: int = 0
    p99_ms: float | None = None

    def to_dict(self) -> dict[str, int | float | None]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 6),
            "dropped": self.dropped,
            "p99_ms": None if self.p99_ms is None else round(self.p99_ms, 3),
        }


RECOVERED, NEVER, UNMEASURED = "recovered", "never", "unmeasured"
EDGE_TOLERANCE = 0.25
"""Of an interval: how far a window's length or a horizon may be missed by interval edges."""
HORIZON_JITTER = 0.02
"""Of an interval: how far one may end past the next fault's start and still be judged. Interval cuts
and faults fire on the same clock a few ms apart (a fault "at 6 s" after the cut "at 6 s"); more than
this is a real overlap with the next fault, which is not this fault's to be judged on."""
PARTIAL_TAIL = 0.5
"""A last interval shorter than this share of the others is the run's partial tail: not judged."""


@dataclass(frozen=True, slots=True)
class Settling:
    """What the intervals after a fault say (see the module): ``recovery_s`` is tentative when
    ``state`` is ``unmeasured``; ``note`` says why it is not ``recovered``."""

    state: str
    recovery_s: float | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Recovery:
    settling: Settling
    impact: Impact

    @property
    def recovery_s(self) -> float | None:
        """From the fault's end to the start of the settling window; None: not within the run."""
        return self.settling.recovery_s if self.settling.state == RECOVERED else None

    @property
    def recovered(self) -> bool | None:
        """True, False (never), or None: not measurable (see :class:`Settling`)."""
        return {RECOVERED: True, NEVER: False}.get(self.settling.state)


def _judged(series: Sequence[Interval]) -> Sequence[Interval]:
    """The series less its last interval when that is the run's partial tail (a few ms of requests
    judged like a whole interval fail the baseline on noise)."""
    if len(series) < 2:
        return series
    full = max(iv.interval_s for iv in series[:-1])
    return series[:-1] if series[-1].interval_s < PARTIAL_TAIL * full else series


def settling(
    series: Sequence[Interval],
    end_s: float,
    goals: Objectives,
    settle_s: float | None = None,
    horizon_s: float | None = None,
) -> Settling:
    """How the intervals after ``end_s`` settled, up to ``horizon_s`` (the next fault's start; None:
    the series' end)."""
    if goals.empty:
        return Settling(UNMEASURED, note="no objective to judge recovery on")
    need_s = DEFAULT_SETTLE_S if settle_s is None else settle_s
    start: Interval | None = None
    n = 0
    judged = 0
    last_ok = True
    for iv in _judged(series):
        tol = EDGE_TOLERANCE * iv.interval_s
        if iv.t_s <= end_s + 1e-9:
            continue  # over before the fault ended
        if horizon_s is not None and iv.t_s > horizon_s + HORIZON_JITTER * iv.interval_s:
            # Overlapping the next fault's start: what it saw may be that fault's doing, and a bad
            # interval charged here would turn a recovery that did not fit into `never`.
            break
        judged += 1
        last_ok = goals.healthy(iv)
        if not last_ok:
            start, n = None, 0
            continue
        if start is None:
            start = iv
        n += 1
        if n >= MIN_SETTLE_INTERVALS and iv.t_s - start.start_s >= need_s - tol:
            return Settling(RECOVERED, max(0.0, start.start_s - end_s))
    until = "the next fault" if horizon_s is not None else "the run's end"
    if not judged:
        return Settling(UNMEASURED, note=f"not measurable: no interval after it before {until}")
    if not last_ok or start is None:
        return Settling(NEVER, note=f"not healthy again before {until}")
    took = max(0.0, start.start_s - end_s)
    return Settling(
        UNMEASURED,
        took,
        f"not measurable: healthy from {took:.1f} s after it until {until}, but the settling window "
        f"({need_s:g} s, {MIN_SETTLE_INTERVALS} intervals) did not fit",
    )


def recovery_time(
    series: Sequence[Interval],
    end_s: float,
    goals: Objectives,
    settle_s: float | None = None,
    horizon_s: float | None = None,
) -> float | None:
    """Seconds from ``end_s`` to the start of the first healthy settling window; None if none fits."""
    got = settling(series, end_s, goals, settle_s, horizon_s)
    return got.recovery_s if got.state == RECOVERED else None


def impact(series: Sequence[Interval], start_s: float, end_s: float) -> Impact:
    """What happened in the intervals overlapping ``[start_s, end_s]`` (the one holding an instant)."""

    # Interval cuts and faults fire on one clock a few ms apart: an interval that merely touches the
    # fault (it was cut just after the fault began, or began just before it ended) is not the fault's.
    def overlaps(iv: Interval) -> bool:
        return min(iv.t_s, end_s) - max(iv.start_s, start_s) > HORIZON_JITTER * iv.interval_s

    hit = [
        iv
        for iv in series
        if (end_s > start_s and overlaps(iv)) or (iv.start_s <= start_s <= iv.t_s and end_s <= start_s)
    ]
    requests = sum(iv.requests for iv in hit)
    errors = sum(iv.failed for iv in hit)
    p99s = [iv.p99_ms for iv in hit if iv.requests]
    return Impact(
        requests=requests,
        errors=errors,
        error_rate=errors / requests if requests else 0.0,
        dropped=sum(iv.dropped for iv in hit),
        p99_ms=max(p99s) if p99s else None,
    )


def assess(
    series: Sequence[Interval],
    start_s: float,
    end_s: float,
    goals: Objectives,
    settle_s: float | None = None,
    run_end_s: float | None = None,
    horizon_s: float | None = None,
) -> Recovery:
    """A fault's recovery and impact. An instant fault (``end_s == start_s``: a kill) is charged what
    followed it until it recovered, or until the horizon (the next fault), or ``run_end_s`` (the
    series' end by default)."""
    got = settling(series, end_s, goals, settle_s, horizon_s)
    until = end_s
    if end_s <= start_s:
        last = run_end_s if run_end_s is not None else (series[-1].t_s if series else end_s)
        if horizon_s is not None:
            last = min(last, horizon_s)
        until = end_s + got.recovery_s if got.state == RECOVERED and got.recovery_s is not None else last
    return Recovery(got, impact(series, start_s, until))
