"""What the Prometheus endpoint renders at scrape time, updated on every interval of the run, and the run's
chaos faults as the live outputs see them (started, ended, recovered from).

The dashboard keeps its own, richer state (:class:`loadpulse.live.dashboard.DashboardState`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.thresholds.verdict import ThresholdResult

MAX_FAULTS_KEPT = 200
"""Fault occurrences a live output remembers (a kill every second of a day-long soak would be 86,400): the
oldest ended ones go first; the Summary JSON has every one."""


@dataclass(slots=True)
class LiveFault:
    """One occurrence of a fault on the run's timeline, in seconds from the load's start."""

    name: str
    kind: str
    start_s: float
    detail: str = ""
    end_s: float | None = None
    recovered_s: float | None = None
    """When the run's objectives held again after it (None: not yet, or never)."""
    warnings: list[str] = field(default_factory=list)
    unmeasured_note: str | None = None
    """Set once its recovery is known not measurable (the settling window did not fit): why."""
    tentative_s: float | None = None
    """Not measurable: from its end to when the healthy stretch began (None: no interval after it)."""

    @property
    def active(self) -> bool:
        return self.end_s is None

    @property
    def recovery_s(self) -> float | None:
        if self.end_s is None or self.recovered_s is None:
            return None
        return max(0.0, self.recovered_s - self.end_s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "detail": self.detail,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "recovery_s": self.recovery_s if self.unmeasured_note is None else self.tentative_s,
            "recovered": None if self.unmeasured_note is not None else self.recovered_s is not None,
            "recovery_note": self.unmeasured_note or "",
            "warnings": list(self.warnings),
        }


class LiveFaults:
    """The faults seen so far, fed by :meth:`loadpulse.outputs.contract.Output.on_fault`. A fault that
    repeats (``every``) is one occurrence per start, under the same name."""

    def __init__(self) -> None:
        self.occurrences: list[LiveFault] = []

    def latest(self, name: str) -> LiveFault | None:
        return next((f for f in reversed(self.occurrences) if f.name == name), None)

    def on_fault(self, name: str, kind: str, phase: str, t_s: float, detail: str = "") -> None:
        latest = self.latest(name)
        if phase == "start" or latest is None:
            latest = LiveFault(name, kind, t_s, detail if phase == "start" else "")
            self.occurrences.append(latest)
            if len(self.occurrences) > MAX_FAULTS_KEPT:
                ended = next((f for f in self.occurrences if not f.active), self.occurrences[0])
                self.occurrences.remove(ended)
        if phase == "end":
            latest.end_s = t_s
        elif phase == "recovered":
            latest.recovered_s = t_s
        elif phase == "warning" and detail:
            latest.warnings.append(detail)

    def judged(self, faults: list[dict[str, Any]] | None) -> None:
        """Take the run's verdicts on recovery from its aggregate (the Summary JSON ``faults`` so far): a
        recovery not measurable has no event of its own (``recovered`` is one), only a warning in words.
        Occurrences are matched by name and start."""
        for d in faults or ():
            if "recovered" not in d or d["recovered"] is not None or d.get("end_s") is None:
                continue
            for f in self.occurrences:
                if f.name == d["name"] and abs(f.start_s - float(d["start_s"])) < 0.002:
                    f.unmeasured_note = d.get("recovery_note") or "not measurable"
                    f.tentative_s = d.get("recovery_s")
                    break

    def by_name(self) -> dict[str, LiveFault]:
        """Each fault's latest occurrence."""
        return {f.name: f for f in self.occurrences}

    def to_list(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.occurrences]


class LiveState:
    def __init__(self) -> None:
        self.aggregate = Aggregate()
        self.in_flight = 0
        self.verdicts: list[ThresholdResult] = []
        """The thresholds evaluated on the aggregate so far."""
        self.faults = LiveFaults()
