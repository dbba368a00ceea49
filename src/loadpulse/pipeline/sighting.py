"""What a :class:`~loadpulse.pipeline.reconcile.Reconciler` is told: one sighting of an item in a sink
(:class:`Observation`), and the bounds and status vocabulary it reconciles under (:class:`ReconcileSettings`).
Pure data."""

from __future__ import annotations

from dataclasses import dataclass

from loadpulse.pipeline.anchor import At
from loadpulse.pipeline.tracking import check_ns

IN_PROGRESS_STATUSES = frozenset(
    ("new", "pending", "queued", "enqueued", "scheduled", "waiting", "claimed", "started", "running",
     "processing", "in_progress", "in-progress", "active", "retrying", "retry")
)  # fmt: skip
"""Statuses (compared case-insensitively) of items not done yet; any other status is final."""
FAILED_STATUSES = frozenset(
    ("failed", "failure", "error", "errored", "dead", "dead_letter", "dead-letter", "dlq", "cancelled",
     "canceled", "aborted", "rejected", "timeout", "timed_out", "expired")
)  # fmt: skip
"""Final statuses of items the system gave up on: counted as failed, never as delivered."""


@dataclass(frozen=True, slots=True)
class ReconcileSettings:
    stuck_after_ns: int = 60_000_000_000
    max_ids: int = 20
    """Ids kept per kind (lost, duplicates, unexpected, stuck)."""
    max_workers: int = 1000
    max_in_progress: int = 100_000
    max_unexpected: int = 100_000
    """Distinct unexpected ids remembered (by a 64-bit hash), so a re-sighting is not counted again; past
    it every sighting of a new one counts."""
    unmatched_grace_ns: int = 5_000_000_000
    """How long a sighting of an id not tracked (yet) waits before it counts as unexpected: a system that
    assigns ids may store an item before its answer reaches the VU that tracks it."""
    max_unmatched: int = 100_000
    """Sightings waiting out that grace; past it new ones count as unexpected at once."""
    workers: int | None = None
    """Workers expected, so an idle worker counts against fairness though it never appears in a sink."""
    in_progress_statuses: frozenset[str] = IN_PROGRESS_STATUSES
    failed_statuses: frozenset[str] = FAILED_STATUSES
    count_rejected: bool = False
    """Count items whose request failed as sent (they may have been stored anyway)."""

    def __post_init__(self) -> None:
        check_ns("stuck_after_ns", self.stuck_after_ns)
        check_ns("unmatched_grace_ns", self.unmatched_grace_ns)
        for name in ("max_ids", "max_workers", "max_in_progress", "max_unexpected", "max_unmatched"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class Observation:
    """One sighting of an item in a sink: ``observed_ns`` is the poll's monotonic time."""

    id: str | int | bytes
    observed_ns: int
    at: At | None = None
    worker: str | int | None = None
    status: str | None = None
