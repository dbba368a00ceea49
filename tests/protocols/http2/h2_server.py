"""A small HTTP/2 server (the h2 library, server side) that misbehaves on cue, for the tests.

Paths: ``/`` answers 200 ``ok``; ``/rst`` resets the stream (INTERNAL_ERROR); ``/refused-once`` refuses
each connection's first such stream (REFUSED_STREAM, which a client may resend) and answers the rest;
``/goaway`` ends the connection with an error GOAWAY (last stream id 0); ``/drop`` resets the connection
(no GOAWAY); ``/hold`` never answers. It
counts connections and the most streams it saw open at once on one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import RequestReceived
from h2.settings import SettingCodes


@dataclass
class Stats:
    connections: int = 0
    max_open: int = 0
    paths: dict[str, int] = field(default_factory=dict)


class _Server(asyncio.Protocol):
    def __init__(self, stats: Stats, max_streams: int | None, raise_after_s: float | None) -> None:
        self.stats = stats
        self.max_streams = max_streams
        self.raise_after_s = raise_after_s
        self.conn = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        self.transport: asyncio.Transport | None = None
        self.refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.stats.connections += 1
        self.conn.initiate_connection()
        if self.max_streams is not None:
            self.conn.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: self.max_streams})
        if self.raise_after_s is not None:
            asyncio.get_running_loop().call_later(self.raise_after_s, self._raise_limit)
        self.transport.write(self.conn.data_to_send())  # type: ignore[union-attr]

    def _raise_limit(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.conn.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: 100})
            self.transport.write(self.conn.data_to_send())

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        events: list[Any] = conn.receive_data(data)
        self.stats.max_open = max(self.stats.max_open, conn.open_inbound_streams)
        goaway = False
        for ev in events:
            if isinstance(ev, RequestReceived):
                path = str(dict(ev.headers)[":path"])  # type: ignore[index]  # header_encoding makes str
                self.stats.paths[path] = self.stats.paths.get(path, 0) + 1
                sid = ev.stream_id
                if path == "/rst":
                    conn.reset_stream(sid, ErrorCodes.INTERNAL_ERROR)
                elif path == "/refused-once" and not self.refused:
                    self.refused = True
                    conn.reset_stream(sid, ErrorCodes.REFUSED_STREAM)
                elif path == "/goaway":
                    goaway = True
                elif path == "/drop":
                    self.transport.abort()  # type: ignore[union-attr]  # a reset, no GOAWAY
                    return
                elif path != "/hold":
                    conn.send_headers(sid, [(":status", "200"), ("content-length", "2")])
                    conn.send_data(sid, b"ok", end_stream=True)
        if goaway:
            conn.close_connection(ErrorCodes.INTERNAL_ERROR, last_stream_id=0)
        self.transport.write(conn.data_to_send())  # type: ignore[union-attr]
        if goaway:
            self.transport.close()  # type: ignore[union-attr]


@dataclass
class H2TestServer:
    url: str
    stats: Stats


@contextmanager
def h2_test_server(
    max_streams: int | None = None, raise_after_s: float | None = None
) -> Iterator[H2TestServer]:
    """The server on a free loopback port, in a thread of its own (its own event loop); ``max_streams``:
    its SETTINGS_MAX_CONCURRENT_STREAMS (the library's default: unlimited), raised to 100 on each
    connection ``raise_after_s`` after it opened."""
    loop = asyncio.new_event_loop()
    stats = Stats()
    started = threading.Event()
    port: list[int] = []

    async def serve() -> None:
        server = await loop.create_server(lambda: _Server(stats, max_streams, raise_after_s), "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        started.set()
        async with server:
            with contextlib.suppress(asyncio.CancelledError):
                await server.serve_forever()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield H2TestServer(f"http://127.0.0.1:{port[0]}", stats)
    finally:
        for task in asyncio.all_tasks(loop):
            loop.call_soon_threadsafe(task.cancel)
        thread.join(5)
