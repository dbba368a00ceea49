"""Fault knobs of the demo target (pure decisions).

Front door: added latency, error rate and periodic stalls of the API. Behind it, in the pipeline (queue →
workers → SQLite): accepted items silently lost, stored twice or left stuck in a non-final status, one slow
worker, and a worker that stops for a while. Each makes one verdict of the pipeline check fail.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from enum import Enum


class Fate(Enum):
    """What the worker that took an item does with it."""

    DONE = "done"
    LOST = "lost"
    """Dropped after it was accepted: never stored."""
    TWICE = "twice"
    """Stored twice (an at-least-once redelivery whose first copy was acknowledged too late)."""
    STUCK = "stuck"
    """Stored as 'running' and never finished (a worker that died before its ack)."""


RATES = ("error_rate", "loss_rate", "duplicate_rate", "stuck_rate")
AMOUNTS = ("latency_ms", "stall_every_s", "stall_for_s", "slow_worker_ms", "stop_worker_s")


@dataclass(slots=True)
class Knobs:
    latency_ms: float = 0.0
    """Added to every API response."""
    error_rate: float = 0.0
    """Fraction of API requests answered 500."""
    stall_every_s: float = 0.0
    """Every this many seconds the service stalls (0: never) ..."""
    stall_for_s: float = 0.0
    """... for this long: requests arriving in a stall wait until it ends."""
    loss_rate: float = 0.0
    """Fraction of accepted items dropped by the worker that took them."""
    duplicate_rate: float = 0.0
    """Fraction of accepted items stored twice."""
    stuck_rate: float = 0.0
    """Fraction of accepted items stored with status 'running' that never becomes 'done'."""
    slow_worker_ms: float = 0.0
    """Extra time the first worker (worker-1) spends on each item it takes."""
    stop_worker_s: float = 0.0
    """The last worker stops this long with the next batch it takes, then resumes (once per setting)."""

    def validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise ValueError(f"{f.name} must be a number, not {value!r}")
        for name in RATES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1 (a fraction), not {getattr(self, name)}")
        for name in AMOUNTS:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)}")
        if self.stall_every_s and self.stall_for_s >= self.stall_every_s:
            raise ValueError("stall_for_s must be shorter than stall_every_s")
        if self.loss_rate + self.duplicate_rate + self.stuck_rate > 1.0:
            raise ValueError("loss_rate + duplicate_rate + stuck_rate must be at most 1 (one fate per item)")

    def delay_s(self, uptime_s: float) -> float:
        """How long a request arriving ``uptime_s`` after start waits before it is answered."""
        delay = self.latency_ms / 1000.0
        if self.stall_every_s and self.stall_for_s:
            phase = uptime_s % self.stall_every_s
            stall_start = self.stall_every_s - self.stall_for_s
            if phase >= stall_start:
                delay += self.stall_every_s - phase
        return delay

    def fails(self, rng: random.Random) -> bool:
        return self.error_rate > 0 and rng.random() < self.error_rate

    @property
    def mangles(self) -> bool:
        """Whether any item may get another fate than DONE (else workers skip the per-item draw)."""
        return bool(self.loss_rate or self.duplicate_rate or self.stuck_rate)

    def fate(self, rng: random.Random) -> Fate:
        """One draw per item: the rates split [0, 1) so that a rate of 1 gives that fate to every item."""
        x = rng.random()
        if x < self.loss_rate:
            return Fate.LOST
        x -= self.loss_rate
        if x < self.duplicate_rate:
            return Fate.TWICE
        x -= self.duplicate_rate
        if x < self.stuck_rate:
            return Fate.STUCK
        return Fate.DONE
