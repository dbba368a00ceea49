"""The faults of a run as they happened: one record per occurrence, on the load's clock, with its recovery
and impact kept up to date on the aggregate every interval (``Aggregate.faults``, Summary JSON ``faults``)
and each interval row marked with the faults on during it (``faults_active``, for shaded bands).

Recovery (faults/recovery.py) is reassessed at each cut only for faults not settled yet: a recovery,
once found, is the first settling window after the fault and later intervals cannot change it. A fault's
settling window ends where the next fault begins: once the series passed that start, what it had is its
outcome (recovered, never, or not measurable), so the next fault's impact is never charged to it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import Any

from loadpulse.faults.recovery import RECOVERED, UNMEASURED, Impact, Interval, Limit, assess, objectives
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.thresholds.threshold import Threshold

FaultHook = Callable[[str, str, str, float, str], None]
"""(name, kind, phase, t_s, detail): the outputs' ``on_fault`` (outputs/contract.py)."""


@dataclass(slots=True)
class FaultRecord:
    name: str
    kind: str
    target: str
    detail: str
    start_s: float
    end_s: float | None = None
    """None while it is on."""
    planned_end_s: float | None = None
    """When it should end (None: at the run's end, or whenever its command is done)."""
    settle_s: float | None = None
    warnings: list[str] = field(default_factory=list)
    recovery_s: float | None = None
    state: str = "never"
    """recovered, never, or unmeasured (faults/recovery.py); set for good once ``final``."""
    note: str = ""
    """Why it is not ``recovered`` (not measurable: the settling window did not fit)."""
    impact: Impact = field(default_factory=Impact)
    final: bool = False
    """Recovery found (or the run over): nothing about it changes any more."""

    def active_in(self, a: float, b: float) -> bool:
        """Whether it was on at some time of the interval ``(a, b]``."""
        end = self.end_s if self.end_s is not None else float("inf")
        if end <= self.start_s:
            return a < self.start_s <= b
        return self.start_s < b and end > a

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "detail": self.detail,
            "start_s": round(self.start_s, 3),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
            "recovery_s": None if self.recovery_s is None else round(self.recovery_s, 3),
            "recovered": None if self.state == UNMEASURED else self.state == RECOVERED,
            "recovery_note": self.note,
            "impact": self.impact.to_dict(),
            "warnings": list(self.warnings),
        }


def limits_of(thresholds: Sequence[Threshold]) -> tuple[Limit | None, Limit | None, Limit | None]:
    """(p95, p99, error rate) limits from the run's unfiltered thresholds, each at its failing bound."""
    found: dict[str, Limit] = {}
    for t in thresholds:
        m = t.metric
        if m.filter is not None:
            continue
        key = m.field if m.source == "latency" and m.field in ("p95", "p99") else None
        if m.source == "errors" and m.field == "rate":
            key = "errors"
        if key is None or key in found:
            continue
        given = [t.levels[n] for n in ("target", "acceptable", "critical") if n in t.levels]
        failing = given[-1]
        found[key] = Limit(failing.comparator, failing.value)
    return found.get("p95"), found.get("p99"), found.get("errors")


def _interval(row: SeriesRow, backlog: int | None) -> Interval:
    return Interval(
        t_s=row.t_s,
        interval_s=row.interval_s,
        requests=row.requests,
        failed=row.failed,
        p95_ms=row.p95_ms,
        p99_ms=row.p99_ms,
        dropped=row.dropped,
        backlog=backlog,
    )


def _backlog_at(timeline: dict[str, Any] | None, t_s: float) -> int | None:
    """A pipeline's backlog at its last poll at or before ``t_s`` (None without a pipeline)."""
    if not timeline:
        return None
    times = timeline.get("t_s") or []
    i = bisect.bisect_right(times, t_s + 1e-9) - 1
    return int(timeline["backlog"][i]) if i >= 0 else None


class FaultTimeline:
    """The records, the clock they are timed on, and the per-cut refresh of their recovery."""

    def __init__(
        self,
        thresholds: Sequence[Threshold] = (),
        on_fault: FaultHook | None = None,
        clock: Callable[[], int] = perf_counter_ns,
    ) -> None:
        self.clock = clock
        """Nanoseconds on the load's clock (perf_counter_ns; a fake one in tests)."""
        self.records: list[FaultRecord] = []
        self.limits = limits_of(thresholds)
        self.on_fault = on_fault
        self.t0_ns = 0
        self.warnings: list[str] = []
        """Run warnings (the outcome's), one per fault warning."""
        self.over = False
        """The final cut was taken: faults no longer fire."""
        self._series: list[Interval] = []
        self._said_baseline = False

    def now_s(self) -> float:
        return (self.clock() - self.t0_ns) / 1e9

    def _emit(self, rec: FaultRecord, phase: str, t_s: float, detail: str = "") -> None:
        if self.on_fault is not None:
            self.on_fault(rec.name, rec.kind, phase, t_s, detail)

    def begin(
        self,
        name: str,
        kind: str,
        target: str,
        detail: str,
        planned_for_s: float | None = None,
        settle_s: float | None = None,
    ) -> FaultRecord:
        now = self.now_s()
        rec = FaultRecord(
            name,
            kind,
            target,
            detail,
            now,
            planned_end_s=None if planned_for_s is None else now + planned_for_s,
            settle_s=settle_s,
        )
        self.records.append(rec)
        self._emit(rec, "start", now, detail)
        return rec

    def end(self, rec: FaultRecord, instant: bool = False) -> None:
        """The fault is over now; ``instant``: it was over as it began (a kill), ``end_s == start_s``."""
        if rec.end_s is not None:
            return  # closed by the run's end already
        rec.end_s = rec.start_s if instant else max(rec.start_s, self.now_s())
        self._emit(rec, "end", rec.end_s, rec.detail)

    def warn(self, rec: FaultRecord, message: str) -> None:
        rec.warnings.append(message)
        self.warnings.append(f"fault {rec.name!r}: {message}")
        self._emit(rec, "warning", self.now_s(), message)

    def _next_start(self, end_s: float) -> float | None:
        """When the first fault after ``end_s`` began (None: none yet)."""
        later = [r.start_s for r in self.records if r.start_s > end_s + 1e-9]
        return min(later) if later else None

    def on_cut(self, row: SeriesRow, agg: Aggregate, final: bool) -> None:
        """Each interval: mark the row, and refresh every open record's recovery and impact."""
        start = row.t_s - row.interval_s
        names = [r.name for r in self.records if r.active_in(start, row.t_s)]
        row.faults_active = list(dict.fromkeys(names))
        if not self.records:
            return
        if final:
            self.over = True
            for rec in self.records:
                if rec.end_s is None:
                    rec.end_s = max(rec.start_s, row.t_s)
                    if rec.planned_end_s is not None and rec.planned_end_s > row.t_s + 1e-6:
                        self.warn(rec, f"still on when the load ended at {row.t_s:.1f} s: undone then")
                    self._emit(rec, "end", rec.end_s, rec.detail)
        self._refresh(agg, final)

    def _refresh(self, agg: Aggregate, final: bool) -> None:
        timeline = (agg.pipeline or {}).get("timeline")
        # Rows once converted stay as they were: a long run does not convert its whole series every cut.
        series = self._series
        series.extend(_interval(r, _backlog_at(timeline, r.t_s)) for r in agg.series[len(series) :])
        first = min(r.start_s for r in self.records)
        goals = objectives(series, first, *self.limits)
        if not self._said_baseline and goals.p95_ms is None and goals.p99_ms is None and series:
            self._said_baseline = True
            self.warnings.append(
                f"no interval before the first fault ({first:.1f} s) and no p95/p99 threshold: recovery "
                "is judged on responses coming back (and errors.rate, if given) only"
            )
        last_t = series[-1].t_s if series else 0.0
        for rec in self.records:
            if rec.final or rec.end_s is None:
                continue
            horizon = self._next_start(rec.end_s)
            got = assess(series, rec.start_s, rec.end_s, goals, rec.settle_s, horizon_s=horizon)
            rec.impact = got.impact
            settled = got.settling
            if settled.state == RECOVERED and settled.recovery_s is not None:
                rec.recovery_s = settled.recovery_s
                rec.state, rec.final = RECOVERED, True
                self._emit(
                    rec, "recovered", rec.end_s + settled.recovery_s, f"after {settled.recovery_s:.1f} s"
                )
            elif final or (horizon is not None and last_t >= horizon):
                rec.state, rec.note, rec.final = settled.state, settled.note, True
                if settled.state == UNMEASURED:
                    rec.recovery_s = settled.recovery_s  # tentative: healthy since, window too short
                    self.warn(rec, f"recovery {settled.note}")
        agg.faults = [r.to_dict() for r in self.records]
