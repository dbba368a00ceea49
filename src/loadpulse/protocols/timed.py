"""``ctx.timed(name)``: any block of Python measured as a named request (a database call, an SDK call).

    async with ctx.timed("insert order"):
        await db.execute(...)

    insert = ctx.timed("insert order")(db.execute)   # or as a decorator: each call is timed
    await insert(...)

The block's duration goes into the same per-name statistics as HTTP requests (latency percentiles,
thresholds like ``http{name=insert order}.p95 < 50ms``); a block that raises counts as a failed request
(``script_error``, or ``unfinished`` when the run ended inside it) and the exception goes on to the
script. It is a protocol like any other (see :mod:`loadpulse.protocols.session`), which is all it takes
for the engine to carry it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from time import perf_counter_ns
from types import TracebackType
from typing import Any

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder, Recorder
from loadpulse.protocols.session import NAME_CACHE_MAX, SessionSettings


class TimedProtocol:
    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        self.recorder = recorder
        self.running = 0
        self.made = self.used = 0
        """Blocks handed out and blocks entered or decorating: the difference measured nothing."""
        self.warnings = settings.warnings

    async def prepare(self) -> None:
        pass

    def start(self) -> None:
        pass

    def client(self) -> Timer:
        return Timer(self)

    def in_flight(self) -> int:
        return self.running

    def connection_count(self) -> int:
        return 0

    def close(self) -> None:
        unused = self.made - self.used
        if unused:
            # `ctx.timed("x")` on its own line looks like it times something and silently does not.
            self.warnings.append(
                f"ctx.timed(...) was called {unused:,} times without `with`/`async with` (or decorating a "
                "function): those calls measured nothing"
            )


class Timer:
    """One VU's ``ctx.timed``: call it with a name for a context manager (``with`` or ``async with``)."""

    __slots__ = ("_names", "intended_ns", "on_done", "session")

    def __init__(self, session: TimedProtocol) -> None:
        self.session = session
        self._names: dict[str, NameRecorder] = {}
        self.on_done: Callable[[bool], None] | None = None
        """Told whether each block ended without an exception (what ``ctx.track`` made: sent or rejected)."""
        self.intended_ns = 0
        """Set by the engine for an open-model iteration: the next block's latency counts from it."""

    def __call__(self, name: str) -> TimedBlock:
        if not isinstance(name, str) or not name:
            raise ValueError(f"ctx.timed needs a name for the block, not {name!r}")
        self.session.made += 1
        return TimedBlock(self, name)

    def recorder_of(self, name: str) -> NameRecorder:
        """Looked up when a block is entered, so a block never entered takes no name (and no cap slot)."""
        rec = self._names.get(name)
        if rec is None:
            rec = self.session.recorder.for_name(name)
            if len(self._names) < NAME_CACHE_MAX:  # per VU: bounded whatever names the script makes up
                self._names[name] = rec
        return rec


class TimedBlock:
    """One timed block (``with``/``async with``), or a decorator timing every call of a function."""

    __slots__ = ("_intended", "_name", "_rec", "_sent", "_session", "_timer")

    def __init__(self, timer: Timer, name: str) -> None:
        self._timer = timer
        self._name = name
        self._session = timer.session
        self._rec: NameRecorder | None = None
        self._intended = 0
        self._sent = 0

    def __enter__(self) -> TimedBlock:
        # The iteration's intended start goes to the first block entered, not the first one made.
        self._intended, self._timer.intended_ns = self._timer.intended_ns, 0
        self._session.used += 1
        self._rec = self._timer.recorder_of(self._name)
        self._sent = perf_counter_ns()
        self._session.running += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        now = perf_counter_ns()
        self._session.running -= 1
        rec = self._rec
        assert rec is not None, "__exit__ without __enter__"
        if self._timer.on_done is not None:
            self._timer.on_done(kind is None)
        if kind is None:
            # Failed blocks stay out of the latency record, like failed HTTP requests.
            rec.lat.append((now - (self._intended or self._sent)) // 1000)
            rec.svc.append((now - self._sent) // 1000)
            rec.done += 1
        elif issubclass(kind, Exception):
            rec.error(ErrorKind.SCRIPT_ERROR.value)
        else:
            # Cancelled at the end of the run, or interrupted by the watchdog while it blocked the loop.
            rec.error(ErrorKind.UNFINISHED.value)

    async def __aenter__(self) -> TimedBlock:
        return self.__enter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(kind, exc, tb)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``ctx.timed(name)(fn)``: ``fn`` with every call timed under ``name`` (async or plain)."""
        if not callable(fn):
            raise TypeError(f"ctx.timed({self._name!r}) decorates a function, not {fn!r}")
        self._session.used += 1
        timer, name = self._timer, self._name

        @functools.wraps(fn)
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            # Decided per call, not by inspecting fn: an object with an async __call__ or a lambda
            # returning a coroutine is timed until its result is awaited, not until the coroutine exists.
            block = timer(name).__enter__()
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                block.__exit__(type(exc), exc, exc.__traceback__)
                raise
            if not inspect.isawaitable(result):
                block.__exit__(None, None, None)
                return result
            return _finish(block, result)

        return timed_call


async def _finish(block: TimedBlock, awaitable: Awaitable[Any]) -> Any:
    try:
        value = await awaitable
    except BaseException as exc:
        block.__exit__(type(exc), exc, exc.__traceback__)
        raise
    block.__exit__(None, None, None)
    return value
