"""A scenario executor with fake VU contexts, for virtual-time tests of the executors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from loadpulse.clock import VirtualClock
from loadpulse.engine.arrivals import Arrivals
from loadpulse.engine.executor import Executor
from loadpulse.engine.vu_pool import VuPool
from loadpulse.metrics.recorder import Recorder
from loadpulse.profiles.base import ProfileConfig
from loadpulse.scenario.ctx import Ctx, Vu
from loadpulse.scenario.model import ScenarioDef, TaskDef


@dataclass
class FakeCtx:
    """What the executors touch of a Ctx: the VU, the iteration's intended start, warming."""

    vu: Vu
    intended: list[int] = field(default_factory=list)
    warmed: int = 0

    def begin_iteration(self, intended_ns: int) -> None:
        self.intended.append(intended_ns)

    async def warm(self) -> None:
        self.warmed += 1


@dataclass
class Started:
    """Each iteration's (virtual start time, intended start, VU id)."""

    at: list[tuple[int, int, int]] = field(default_factory=list)


def executor(
    profile: ProfileConfig, body: Callable[[FakeCtx], Awaitable[None]], started: Started, think_s: float = 0.0
) -> tuple[Executor, Recorder]:
    clock = VirtualClock()

    async def task(ctx: Any) -> None:
        started.at.append((clock.now_ns(), ctx.intended[-1] if ctx.intended else 0, ctx.vu.id))
        await body(ctx)

    recorder = Recorder()
    scenario = ScenarioDef("s", (TaskDef("t", task),), profile, think_time_s=think_s)
    cls = Arrivals if profile.family == "open" else VuPool
    new_ctx = cast(Callable[[Vu], Ctx], lambda vu: FakeCtx(vu))
    return cls(scenario, recorder, new_ctx, "scenario.py", clock=clock), recorder


def sleeps(seconds: float) -> Callable[[FakeCtx], Awaitable[None]]:
    async def body(ctx: FakeCtx) -> None:
        await asyncio.sleep(seconds)

    return body


async def run_executor(ex: Executor, t0_ns: int = 0) -> int:
    """Prepare and run ``ex`` from ``t0_ns``; the virtual time it ended at."""
    clock = VirtualClock()
    await ex.prepare()
    await ex.run(t0_ns)
    return clock.now_ns()
