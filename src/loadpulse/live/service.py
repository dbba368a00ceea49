"""An ASGI app served by uvicorn inside the run's own event loop, on a socket bound before the run.

Binding first turns "port in use" into bad input before any load is sent. uvicorn's own signal handling is
switched off: Ctrl-C belongs to the run (graceful stop, summary, exit 130), not to a side server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from typing import Any

import uvicorn

from loadpulse.errors import BadInput

MAX_PORT = 65535


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def free_port_near(host: str, port: int) -> int | None:
    for candidate in range(port + 1, port + 50):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            try:
                s.bind((host, candidate))
                return candidate
            except OSError:
                continue
    return None


def bind(host: str, port: int, flag: str) -> socket.socket:
    """A listening socket, or BadInput naming the port and a free one nearby."""
    if not 0 <= port <= MAX_PORT:
        # The CLI refuses it while parsing; a library caller would otherwise get socket's OverflowError.
        raise BadInput(f"{flag}: {port} is not a port (0 to {MAX_PORT}; 0 picks a free one)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48):  # EADDRINUSE (Linux, macOS)
            near = free_port_near(host, port)
            hint = f"; try {flag}={near}" if near else ""
            raise BadInput(f"{flag}: port {port} on {host} is in use{hint}") from None
        raise BadInput(f"{flag}: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


class AsgiService:
    """Serve ``app`` on ``sock`` while the run goes on; :meth:`stop` ends it."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.sock = sock
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    async def start(self, runner: Any = None) -> None:
        self._task = asyncio.ensure_future(self.server.serve(sockets=[self.sock]))
        while not self.server.started and not self._task.done():
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)
        self.sock.close()
