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
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.session import SessionSettings
from loadpulse.protocols.timed import TimedProtocol, Timer

MAX_THREADS = 64
"""Threads blocking calls share. Enough for a database or SDK with a few dozen connections; more threads
than that on one process mostly contend for the GIL, which the latency then shows."""


class DaemonPool:
    """Up to ``size`` daemon threads running submitted functions, started as the work needs them.

    Hand-written instead of ``ThreadPoolExecutor`` because its threads are joined when the interpreter
    exits: one SDK call hung on a dead server would hold loadpulse open after its summary, through Ctrl-C,
    for as long as the call hangs. A daemon thread is abandoned at exit instead, which is what a run that
    must end on time needs (the call was already counted as ``unfinished``).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        """Threads waiting for work."""
        self._pending = 0
        """Calls submitted and not yet taken by a thread."""

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        fut: Future[Any] = Future()
        with self._lock:
            self._pending += 1
            if self._pending > self._idle and self._threads < self.size:
                self._threads += 1
                threading.Thread(target=self._worker, name="loadpulse-call", daemon=True).start()
        self._work.put((fut, fn))
        return fut

    def _worker(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            item = self._work.get()
            with self._lock:
                self._idle -= 1
                self._pending -= item is not None
            if item is None:
                return
            fut, fn = item
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn())
                except BaseException as exc:  # handed to the awaiting task, which re-raises it there
                    fut.set_exception(exc)

    def shutdown(self) -> None:
        """Stop the idle threads; busy ones end with their call (or with the process: they are daemons)."""
        with self._lock:
            threads, self._threads = self._threads, 0
        for _ in range(threads):
            self._work.put(None)


class CallProtocol(TimedProtocol):
    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        super().__init__(settings, recorder)
        self.pool: DaemonPool | None = None

    def client(self) -> Caller:  # type: ignore[override]  # a different client, the same session
        return Caller(self)

    def close(self) -> None:
        super().close()
        if self.pool is not None:
            # Calls still running finish in their threads; nobody waits for them (the run is over).
            self.pool.shutdown()


class Caller:
    """One VU's ``ctx.call``."""

    __slots__ = ("_session", "_timer")

    def __init__(self, session: CallProtocol) -> None:
        self._session = session
        self._timer = Timer(session)

    @property
    def on_done(self) -> Callable[[bool], None] | None:
        return self._timer.on_done

    @on_done.setter
    def on_done(self, value: Callable[[bool], None] | None) -> None:
        self._timer.on_done = value

    @property
    def intended_ns(self) -> int:
        return self._timer.intended_ns

    @intended_ns.setter
    def intended_ns(self, value: int) -> None:
        self._timer.intended_ns = value

    async def __call__(self, name: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(f"ctx.call needs a name for the call, not {name!r}")
        if not callable(fn):
            raise TypeError(f"ctx.call({name!r}, …) needs a function to call, not {fn!r}")
        session = self._session
        if session.pool is None:
            session.pool = DaemonPool(MAX_THREADS)
        async with self._timer(name):
            return await asyncio.wrap_future(session.pool.submit(lambda: fn(*args, **kwargs)))
