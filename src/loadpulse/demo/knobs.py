"""Fault knobs of the demo target: added latency, error rate and periodic stalls (pure decisions)."""

from __future__ import annotations

import random
from dataclasses import dataclass


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

    def validate(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if self.stall_every_s < 0 or self.stall_for_s < 0:
            raise ValueError("stall_every_s and stall_for_s must be >= 0")
        if self.stall_every_s and self.stall_for_s >= self.stall_every_s:
            raise ValueError("stall_for_s must be shorter than stall_every_s")

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
