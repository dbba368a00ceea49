"""What every one-liner driver (HTTP/1.1's :class:`~loadpulse.engine.driver.LoadDriver`, HTTP/2's
:class:`~loadpulse.engine.h2_driver.H2Load`) shares with the runner: the start/finish/stop handshake, its
background tasks and the warnings said at the end. The protocol-specific parts (connections, sends,
drain) stay in each driver."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine

MAX_WARNINGS = 20


class DriverLifecycle:
    co_corrected = False
    """True when latency is measured from intended start times (open model)."""

    def __init__(self) -> None:
        self.stopping = False
        self.abandoned = 0
        """Requests still in flight when the grace period ended (counted as ``unfinished``)."""
        self.t0_ns = 0
        self.warnings: list[str] = []
        """Said once each at the end of the run (e.g. why TLS failed); the runner prints them."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished: asyncio.Future[None] | None = None

    def begin(self) -> None:
        raise NotImplementedError

    @property
    def finished(self) -> asyncio.Future[None]:
        assert self._finished is not None, "start() first"
        return self._finished

    def finish(self) -> None:
        if self._finished is not None and not self._finished.done():
            self._finished.set_result(None)

    def stop(self) -> None:
        """No new requests from now on; in-flight ones may complete (see ``drain``)."""
        self.stopping = True

    def spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def warn(self, message: str) -> None:
        """Add a warning for the end of the run, once however often it happens."""
        if message not in self.warnings and len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
