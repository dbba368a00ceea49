"""``await ctx.call(name, fn, *args)``: a blocking call (a synchronous SDK, a database driver) run in a
thread and measured as a named request, without blocking the event loop the other VUs share.

    rows = await ctx.call("insert batch", conn.executemany, SQL, batch)

Latency counts from the call (or the iteration's intended start, open model) to its result, queueing for
a thread included: a saturated pool shows up as latency, as a saturated server would. A call that raises
counts as a failed request (``script_error``) and the exception goes on to the script, as with
:mod:`ctx.timed <loadpulse.protocols.timed>`. The pool is the run's, sized by :data:`MAX_THREADS`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.session import SessionSettings
from loadpulse.protocols.timed import TimedProtocol, Timer

MAX_THREADS = 64
"""Threads blocking calls share. Enough for a database or SDK with a few dozen connections; more threads
than that on one process mostly contend for the GIL, which the latency then shows."""


class CallProtocol(TimedProtocol):
    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        super().__init__(settings, recorder)
        self.pool: ThreadPoolExecutor | None = None

    def client(self) -> Caller:  # type: ignore[override]  # a different client, the same session
        return Caller(self)

    def close(self) -> None:
        if self.pool is not None:
            # Calls still running finish in their threads; nobody waits for them (the run is over).
            self.pool.shutdown(wait=False, cancel_futures=True)


class Caller:
    """One VU's ``ctx.call``."""

    __slots__ = ("_session", "_timer")

    def __init__(self, session: CallProtocol) -> None:
        self._session = session
        self._timer = Timer(session)

    @property
    def intended_ns(self) -> int:
        return self._timer.intended_ns

    @intended_ns.setter
    def intended_ns(self, value: int) -> None:
        self._timer.intended_ns = value

    async def __call__(self, name: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if not callable(fn):
            raise TypeError(f"ctx.call({name!r}, …) needs a function to call, not {fn!r}")
        session = self._session
        if session.pool is None:
            session.pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="loadpulse-call")
        loop = asyncio.get_running_loop()
        async with self._timer(name):
            return await loop.run_in_executor(session.pool, lambda: fn(*args, **kwargs))
