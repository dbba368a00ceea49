"""RunOutcome: the record a finished run hands to everything after it (reports, history, exit code).

A record-only module below its users: outputs and stores import it without importing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.scenario.model import Plan
from loadpulse.spec import RunSpec


@dataclass(slots=True)
class RunOutcome:
    spec: RunSpec | None
    """The one-liner's spec; None for a scenario run (see ``plan``)."""
    aggregate: Aggregate
    started_at: datetime
    ended_by: str
    """Why the load ended: 'requests' (the one-liner's -n budget done), 'completed' (every scenario profile
    done), 'duration' (the planned duration reached, or the watchdog stopped an overrunning run: see
    ``overran``), 'aborted' (an abort_on_fail threshold at FAIL: see ``abort_reason``), 'interrupted'
    (Ctrl-C, the dashboard's stop button, a setup() past its timeout, or any stop during set-up) or
    'stopped' (``Runner.request_stop()`` called by a library caller without a reason)."""
    abandoned: int = 0
    co_corrected: bool = False
    planned_s: float | None = None
    run_id: str = field(default="")
    plan: Plan | None = None
    warnings: list[str] = field(default_factory=list)
    abort_reason: str | None = None
    overran: bool = False
    """The watchdog had to stop the run by force past its deadline (the event loop was blocked)."""
    workers: dict[str, Any] | None = None
    """A multi-process run's workers (Summary JSON ``workers``); None for a single-process run."""

    @property
    def interrupted(self) -> bool:
        return self.ended_by == "interrupted"
