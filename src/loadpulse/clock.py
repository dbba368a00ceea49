"""The clock schedulers and watchdogs read and sleep on, injected so tests can drive time.

It sits below every layer (engine and protocols both take one), like units and bounds.

:class:`RealClock` is ``perf_counter_ns`` and asyncio's timers (DESIGN: monotonic time everywhere).
:class:`VirtualClock` reads the time of a :class:`VirtualTimeLoop`, an event loop whose time stands still
while anything is ready to run and jumps to the next timer the moment every task is waiting, as k6 tests
its executors under ``testing/synctest``: a "60 s" run finishes in milliseconds with exact times.
"""

from __future__ import annotations

import asyncio
import math
import selectors
from time import perf_counter_ns
from typing import Any, Protocol

MIN_TIMER_NS = 1_000_000
"""uvloop timers have 1 ms resolution: a shorter wait is a bare yield (responses still get processed)."""


class Clock(Protocol):
    def now_ns(self) -> int:
        """Monotonic now, in ns; only differences mean anything."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    async def sleep_until(self, deadline_ns: int) -> None:
        """Return at ``deadline_ns`` (at once when it has passed, after yielding to the loop)."""
        ...


class RealClock:
    __slots__ = ()

    now_ns = staticmethod(perf_counter_ns)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def sleep_until(self, deadline_ns: int) -> None:
        delay = deadline_ns - perf_counter_ns()
        await asyncio.sleep(delay / 1e9 if delay >= MIN_TIMER_NS else 0)


REAL_CLOCK = RealClock()


class _VirtualSelector(selectors.DefaultSelector):
    """Never blocks while a timer is pending: with nothing ready, it moves the loop's time to the timer."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready: list[tuple[selectors.SelectorKey, int]] = super().select(0)
        if ready or timeout is None or timeout <= 0:
            # No timer at all: every task waits on I/O or a future (real sockets still work, in real time).
            return ready if ready or timeout is not None else super().select(None)
        self._loop.advance_ns(math.ceil(timeout * 1e9))
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time (see the module docstring); ``now_ns`` starts at 0."""

    def __init__(self) -> None:
        self.now_ns = 0
        super().__init__(_VirtualSelector(self))

    def time(self) -> float:
        return self.now_ns / 1e9

    def advance_ns(self, ns: int) -> None:
        self.now_ns += ns


class VirtualClock:
    """The clock of the running :class:`VirtualTimeLoop`; its sleeps are asyncio's, on virtual time."""

    __slots__ = ()

    def now_ns(self) -> int:
        loop: Any = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop), "VirtualClock runs on a VirtualTimeLoop"
        return int(loop.now_ns)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def sleep_until(self, deadline_ns: int) -> None:
        delay = deadline_ns - self.now_ns()
        await asyncio.sleep(delay / 1e9 if delay > 0 else 0)
