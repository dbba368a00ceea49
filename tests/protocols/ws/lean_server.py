"""A lean WebSocket server on picows for the tests and ``bench/ws_vs_k6.py``: echo, push, close, drop.

    python tests/protocols/ws/lean_server.py [PORT [CERT KEY]]    # prints 'listening on PORT' when ready

Paths: ``/echo`` echoes every message (text as text, binary as binary); ``/feed?every_ms=N`` pushes
``{"seq": n}`` every N ms; ``/close?code=C`` closes with code C after the first message it gets;
``/drop`` drops the TCP connection (no close frame) after the first message; ``/headers`` answers each
message with the handshake's headers as JSON; ``/not-utf8`` sends a text message that is not UTF-8;
``/bad-frame`` breaks the protocol; ``/stall`` never reads after the handshake; ``/flood`` pushes 100-byte
messages as fast as the connection takes them.
Anything else: 404.
A separate process from the load generator, as a real target would be, so the two never share a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from picows import (
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    ws_create_server,
)


class Echo(WSListener):
    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
            transport.send(kind, frame.get_payload_as_memoryview())
        elif kind is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()


class Feed(WSListener):
    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self.task: asyncio.Task[None] | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.task = asyncio.get_running_loop().create_task(self.push(transport))

    async def push(self, transport: WSTransport) -> None:
        seq = 0
        while True:
            await asyncio.sleep(self.every_s)
            seq += 1
            transport.send(WSMsgType.TEXT, b'{"seq": %d}' % seq)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.task is not None:
            self.task.cancel()


class CloseAfterOne(WSListener):
    def __init__(self, code: int | None) -> None:
        self.code = code

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.CLOSE:
            transport.disconnect()
        elif self.code is None:  # /drop: the process dies, the proxy cuts: no close frame at all
            transport.underlying_transport.abort()
        else:
            transport.send_close(WSCloseCode(self.code), b"closed by the test server")
            transport.disconnect()


class Headers(WSListener):
    """Answers every message with the handshake's headers, as a JSON object (lower-case names)."""

    def __init__(self, request: WSUpgradeRequest) -> None:
        self.headers = {k.lower(): v for k, v in request.headers.items()}

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.TEXT:
            transport.send(WSMsgType.TEXT, json.dumps(self.headers).encode())
        elif frame.msg_type is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()


class BadFrame(Echo):
    def on_ws_connected(self, transport: WSTransport) -> None:
        transport.send(WSMsgType.CLOSE, b"\x03")  # a close code must be two bytes: a protocol error


class NotUtf8(Echo):
    def on_ws_connected(self, transport: WSTransport) -> None:
        transport.send(WSMsgType.TEXT, b"\xff\xfe")


class Stall(WSListener):
    def on_ws_connected(self, transport: WSTransport) -> None:
        transport.underlying_transport.pause_reading()


class Flood(WSListener):
    """Pushes while the client reads, and waits (pause_writing) when it does not."""

    def __init__(self) -> None:
        self.transport: WSTransport | None = None
        self.paused = False

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.push()

    def push(self) -> None:
        transport = self.transport
        message = b"x" * 100
        for _ in range(100):
            if self.paused or transport is None or transport.is_disconnected:
                return
            transport.send(WSMsgType.TEXT, message)
        asyncio.get_running_loop().call_soon(self.push)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.push()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        pass  # not even a close is answered: the client's close() waits for nothing


def route(request: WSUpgradeRequest) -> Any:
    parts = urlsplit(request.path.decode())
    query = parse_qs(parts.query)
    if parts.path == "/echo":
        return Echo()
    if parts.path == "/feed":
        return Feed(float(query.get("every_ms", ["100"])[0]) / 1000)
    if parts.path == "/close":
        return CloseAfterOne(int(query.get("code", ["1000"])[0]))
    if parts.path == "/drop":
        return CloseAfterOne(None)
    if parts.path == "/headers":
        return Headers(request)
    if parts.path == "/not-utf8":
        return NotUtf8()
    if parts.path == "/bad-frame":
        return BadFrame()
    if parts.path == "/stall":
        return Stall()
    if parts.path == "/flood":
        return Flood()
    return None


async def main(port: int, cert: str | None = None, key: str | None = None) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the 10,000-connection test
    tls = None
    if cert and key:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
    server = await ws_create_server(route, "127.0.0.1", port, backlog=4096, ssl=tls)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0, *sys.argv[2:4]))


@contextlib.contextmanager
def lean_server(cert: Path | None = None, key: Path | None = None) -> Iterator[str]:
    """This server in a child process on a free loopback port; yields ``ws://127.0.0.1:PORT`` (``wss://``
    with a certificate and its key)."""
    tls = [str(cert), str(key)] if cert and key else []
    proc = subprocess.Popen([sys.executable, __file__, "0", *tls], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the lean WebSocket server did not start: {line!r}")
        yield f"{'wss' if tls else 'ws'}://127.0.0.1:{line.split()[-1]}"
    finally:
        proc.terminate()
        proc.wait(10)
