"""The API user code gets: ``ctx.http``, ``ctx.check``, ``ctx.sleep``, ``ctx.vu``, custom metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from loadpulse.metrics.scenario_stats import MetricsRecorder
from loadpulse.protocols.http.client import HttpClient


@dataclass(slots=True)
class Vu:
    """A virtual user: its number, how many iterations it has started, and state kept between them."""

    id: int
    iteration: int = 0
    state: dict[str, Any] = field(default_factory=dict)


class Ctx:
    """Given to every task call. One per VU, reused across its iterations."""

    __slots__ = ("_metrics", "data", "env", "http", "scenario", "vu")

    def __init__(
        self,
        http: HttpClient,
        vu: Vu,
        scenario: str,
        metrics: MetricsRecorder,
        data: Any = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.http = http
        self.vu = vu
        self.scenario = scenario
        self.data = data
        """What the file's ``setup()`` returned (None without one)."""
        self.env = env or {}
        """--env KEY=VAL values."""
        self._metrics = metrics

    def check(self, condition: object, name: str) -> bool:
        """Record a named pass/fail check; returns the condition so scripts can branch on it."""
        ok = bool(condition)
        self._metrics.check(name, ok)
        return ok

    async def sleep(self, seconds: float) -> None:
        """Think time: the VU pauses without holding a request open."""
        await asyncio.sleep(seconds)

    def counter(self, name: str, value: float = 1.0) -> None:
        """Add to a custom counter (reported as its total and rate)."""
        self._metrics.declare(name, "counter")
        self._metrics.add_counter(name, value)

    def trend(self, name: str, value: float) -> None:
        """Record a value (e.g. milliseconds) in a custom trend (reported as percentiles)."""
        self._metrics.declare(name, "trend")
        self._metrics.add_trend(name, value)

    def rate(self, name: str, value: bool) -> None:
        """Record a true/false outcome in a custom rate (reported as the share of true)."""
        self._metrics.declare(name, "rate")
        self._metrics.add_rate(name, value)


class SetupCtx:
    """Given to ``setup()`` and ``teardown()``: an HTTP client (its requests are not in the results)."""

    __slots__ = ("env", "http")

    def __init__(self, http: HttpClient, env: dict[str, str]) -> None:
        self.http = http
        self.env = env
