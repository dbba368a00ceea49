"""A network made of byte scripts, on virtual time (httpcore's AsyncMockStream, one level down).

:class:`MockNetLoop` is a :class:`~loadpulse.clock.VirtualTimeLoop` whose ``create_connection`` hands the
protocol a :class:`MockTransport` instead of a socket: every request written to it goes to the test's
``serve(conn_index, request_index, request_bytes)``, which answers with a script of byte chunks, pauses,
a clean close (:data:`EOF`) or a reset (:data:`RESET`). Nothing leaves the process, and time only moves
when every task waits, so a script that pauses 30 s runs in microseconds.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from loadpulse.clock import VirtualTimeLoop
from loadpulse.protocols.http.connect import Endpoint
from loadpulse.protocols.http.url import parse_url

T = TypeVar("T")

EOF = "eof"
RESET = "reset"


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: float


Step = bytes | Pause | str
Serve = Callable[[int, int, bytes], Sequence[Step]]

URL = "http://127.0.0.1:8080"


def ok(body: bytes = b"hello", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def endpoint() -> Endpoint:
    return Endpoint(
        parse_url(URL).origin, socket.AF_INET, "127.0.0.1", None, 5.0, ((socket.AF_INET, "127.0.0.1"),)
    )


@dataclass
class MockNet:
    serve: Serve
    connections: int = 0
    attempts: int = 0
    """Connects tried, refused ones included."""
    requests: list[bytes] = field(default_factory=list)
    refuse: bool = False
    hang: bool = False
    """Connects never complete (a target that swallows SYNs)."""


class MockTransport(asyncio.Transport):
    def __init__(self, loop: MockNetLoop, protocol: asyncio.Protocol, index: int) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self.index = index
        self.served = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        net = self._loop.net
        net.requests.append(bytes(data))
        script = net.serve(self.index, self.served, bytes(data))
        self.served += 1
        self._loop.create_task(self._play(script))

    async def _play(self, script: Sequence[Step]) -> None:
        for step in script:
            if self.closed:
                return
            if isinstance(step, Pause):
                await asyncio.sleep(step.seconds)
            elif step == EOF:
                self._lose(None)
            elif step == RESET:
                self._lose(ConnectionResetError("reset by peer"))
            else:
                assert isinstance(step, bytes)
                self._protocol.data_received(step)
                await asyncio.sleep(0)

    def _lose(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self._protocol.connection_lost(exc)

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def close(self) -> None:
        self.abort()

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class MockNetLoop(VirtualTimeLoop):
    def __init__(self, net: MockNet) -> None:
        super().__init__()
        self.net = net

    async def create_connection(  # type: ignore[override]
        self, protocol_factory: Callable[[], asyncio.Protocol], *args: Any, **kwargs: Any
    ) -> tuple[asyncio.Transport, asyncio.Protocol]:
        await asyncio.sleep(0)
        self.net.attempts += 1
        if self.net.hang:
            await asyncio.sleep(3600)
        if self.net.refuse:
            raise ConnectionRefusedError(111, "Connection refused")
        protocol = protocol_factory()
        transport = MockTransport(self, protocol, self.net.connections)
        self.net.connections += 1
        protocol.connection_made(transport)
        return transport, protocol


def run_on(net: MockNet, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` on a mock network in virtual time."""
    with asyncio.Runner(loop_factory=lambda: MockNetLoop(net)) as runner:
        return runner.run(main())


def run_virtual(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` in virtual time (no network)."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main())
