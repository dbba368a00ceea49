"""The HTTP/2 connections to one endpoint and the streams waiting for a slot on them.

A stream goes to the connection that last freed a slot when it has room (the closed model's successor
lands where its predecessor ran), else to any connection with room, else it waits in the one backlog,
and a connection is opened when the backlog needs one (up to ``max_conns`` that still take streams).
Whoever owns the pool (the one-liner's driver, the scripted session) hears each stream's end through a
:class:`StreamSink`. A stream the server did not process (GOAWAY above its id, REFUSED_STREAM) is sent
again, at most twice; a failed connect fails the streams waiting for it, and the next connect waits
(10 ms doubling to 1 s): a refused connect can fail without suspending, and a loop of them would starve
the event loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from typing import Protocol

from loadpulse.clock import Clock
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.connect import ConnectError, Endpoint, connect_backoff_s
from loadpulse.protocols.http2.connect import ClosedBeforeSettings, NoSettings, NotHttp2, open_h2
from loadpulse.protocols.http2.connection import Http2Connection
from loadpulse.protocols.http2.stream import H2Stream

MAX_RESENDS = 2
NEVER_NS = 1 << 62
_TIMEOUT = ErrorKind.TIMEOUT.value
_LOUD = frozenset(
    {ErrorKind.TLS.value, ErrorKind.FD_LIMIT.value, ErrorKind.PROTOCOL.value, ErrorKind.H2_GOAWAY.value}
)


class StreamSink(Protocol):
    def done(self, stream: H2Stream) -> None: ...
    def failed(self, stream: H2Stream, kind: str) -> None: ...
    def connected(self, conn: Http2Connection, waiting: H2Stream | None) -> None:
        """A connection opened for ``waiting`` (the first stream in the backlog), or ahead of use."""

    def capacity_changed(self) -> None:
        """The streams the pool's connections take changed: one opened, closed, began draining (GOAWAY), or
        its server's SETTINGS changed its limit (the closed model keeps that many in flight)."""


class H2Pool:
    def __init__(
        self,
        endpoint: Endpoint,
        sink: StreamSink,
        clock: Clock,
        streams: int,
        max_conns: int,
        fail_fast: bool = False,
        max_body: int = 0,
        warn: Callable[[str], None] = lambda message: None,
    ) -> None:
        """``fail_fast``: while connects are paused after a failure and no connection has room, fail a new
        stream at once as the last connect's kind (the open model: arrivals are never delayed)."""
        self.endpoint = endpoint
        self.sink = sink
        self.clock = clock
        self.streams = streams
        self.max_conns = max_conns
        self.fail_fast = fail_fast
        self.max_body = max_body
        self.warn = warn
        self.conns: list[Http2Connection] = []
        self.backlog: deque[H2Stream] = deque()
        self.hint: Http2Connection | None = None
        self.opening = 0
        self.failures = 0
        self.paused_until_ns = 0
        self.last_error = ErrorKind.CONNECT_REFUSED.value
        self.closing = False
        self.quiet = False
        self.stop_by_ns = NEVER_NS
        """Past this, connections stop reading (the drain ran out): see Http2Connection.data_received."""
        self.corked = False
        self._maxed = False
        """Every connection the pool may have is open and live, or the server allows no stream on them:
        no new one until one closes, drains or is allowed streams."""
        self.rough = 0
        """Connections in a row ended by an error GOAWAY: the next connect waits as after failed ones."""
        self._tasks: set[asyncio.Task[None]] = set()

    # streams --------------------------------------------------------------------------------------------
    def dispatch(self, stream: H2Stream) -> None:
        conn = self.hint
        if conn is not None and conn.room > 0:
            conn.start(stream)
            return
        for conn in self.conns:
            if conn.room > 0:
                self.hint = conn
                conn.start(stream)
                return
        clock = self.clock
        now = clock.now_ns()
        if self.fail_fast and self.paused_until_ns and now < self.paused_until_ns:
            self.sink.failed(stream, self.last_error)
            return
        stream.sent_ns = stream.last_rx_ns = now  # a queued stream times out like a sent one
        if not stream.began_ns:
            stream.began_ns = now  # its wait for a slot is part of its latency (H2Stream.began_ns)
        self.backlog.append(stream)
        self._grow()

    def cork(self) -> None:
        """Hold writes while many streams are started in one go (a run's first window): one write per
        connection at :meth:`uncork`, not one per stream."""
        self.corked = True
        for conn in self.conns:
            conn.in_rx = True

    def uncork(self) -> None:
        self.corked = False
        for conn in self.conns:
            conn.in_rx = False
            conn.flush()

    def quiesce(self) -> None:
        """The run is ending: no connection opened from now on (one backing off or connecting is given
        up), so streams still queued for one have nowhere to go (see :meth:`may_progress`)."""
        self.quiet = True
        for task in list(self._tasks):
            task.cancel()

    def may_progress(self) -> bool:
        """Whether anything outstanding can still end: streams on a connection, or queued ones a live
        connection may take."""
        live = [c for c in self.conns if not c.closed]
        return any(c.streams for c in live) or (bool(self.backlog) and any(not c.draining for c in live))

    def in_flight(self) -> int:
        return sum(len(c.streams) for c in self.conns) + len(self.backlog)

    def outstanding(self) -> Iterator[H2Stream]:
        for conn in self.conns:
            yield from conn.streams.values()
        yield from self.backlog

    def sweep(self, now_ns: int, total_ns: int, read_ns: int) -> None:
        """Fail every stream past a timeout: total from its intended start (else its send or queueing),
        read from its last byte (the rule of protocols/http/timeouts.py)."""
        for conn in list(self.conns):
            for stream in list(conn.streams.values()):
                if (
                    now_ns - (stream.intended_ns or stream.began_ns) > total_ns
                    or now_ns - stream.last_rx_ns > read_ns
                ):
                    conn.reset(stream, _TIMEOUT)
        if self.backlog:
            late = [s for s in self.backlog if now_ns - (s.intended_ns or s.began_ns) > total_ns]
            for stream in late:
                self.backlog.remove(stream)
                self.sink.failed(stream, _TIMEOUT)

    # connections ----------------------------------------------------------------------------------------
    def new_connection(self) -> Http2Connection:
        return Http2Connection(self, self.streams, self.max_body, self.clock.now_ns)

    async def warm(self, n: int) -> None:
        """Open ``n`` connections ahead of use (not counted as requests). The first is opened alone: a
        server that does not speak HTTP/2 raises NotHttp2 (bad input) before any other is tried."""
        if n <= 0:
            return
        try:
            first = await open_h2(self.endpoint, self.new_connection)
        except NotHttp2:
            raise
        except ConnectError as exc:
            # Counted when the run meets it; said now, as the run may end before that.
            self.say_failed_connect(exc)
            return
        self._add(first, None)
        conns = await asyncio.gather(*(self._quiet_open() for _ in range(n - 1)))
        for conn in conns:
            if conn is not None:
                self._add(conn, None)

    async def _quiet_open(self) -> Http2Connection | None:
        try:
            return await open_h2(self.endpoint, self.new_connection)
        except ConnectError:
            return None

    def _live(self) -> int:
        return sum(1 for c in self.conns if not c.draining and not c.closed)

    def _grow(self) -> None:
        if self.closing or self.quiet:
            return
        # One connect at a time while connects fail; otherwise as many as the backlog fills.
        need = -(-len(self.backlog) // self.streams)
        limit = 1 if self.failures else need
        if self.opening >= min(limit, need) or self._maxed:
            return
        # Counting live connections walks them all: done once per change, not once per queued stream
        # (an open-model run at its connection limit queues every arrival).
        live = self._live()
        if any(c.capacity == 0 for c in self.conns if not c.draining and not c.closed):
            # The server allows no stream for now (SETTINGS_MAX_CONCURRENT_STREAMS 0): another connection
            # would get the same; wait for it to raise the limit (on_capacity), or the timeouts.
            self._maxed = True
            return
        while self.opening < min(limit, need) and live + self.opening < self.max_conns:
            self.opening += 1
            self._spawn(self._open())
        self._maxed = live + self.opening >= self.max_conns and not self.opening

    async def _open(self) -> None:
        try:
            if self.failures or self.rough:
                await self.clock.sleep(connect_backoff_s(self.failures or self.rough))
                if self.closing:
                    return
            try:
                conn = await open_h2(self.endpoint, self.new_connection)
            except ConnectError as exc:
                self._connect_failed(exc)
                return
            if self.closing:
                conn.close()
                return
            if conn.draining or conn.closed:
                # Gone away before serving a stream (a GOAWAY with its SETTINGS): a failed connect, backed
                # off like one; opening the next at once would be a reconnect storm.
                conn.close()
                gone = "the server sent GOAWAY before taking any stream"
                self._connect_failed(ConnectError(ErrorKind.H2_GOAWAY.value, gone))
                return
            self.failures = self.paused_until_ns = 0
            self._add(conn, self.backlog[0] if self.backlog else None)
        finally:
            self.opening -= 1
            if self.backlog and not self.closing:
                self._grow()

    def adopt(self, conn: Http2Connection) -> None:
        """Take a connection opened ahead of use (not recorded)."""
        self.conns.append(conn)

    def _add(self, conn: Http2Connection, waiting: H2Stream | None) -> None:
        self.conns.append(conn)
        if self.corked:
            conn.in_rx = True
        self.sink.connected(conn, waiting)
        self._pull(conn)
        self.sink.capacity_changed()

    def _connect_failed(self, exc: ConnectError) -> None:
        self.failures += 1
        self.last_error = exc.kind
        self.paused_until_ns = self.clock.now_ns() + int(connect_backoff_s(self.failures) * 1e9)
        self.say_failed_connect(exc)
        # A snapshot: the closed model sends each failed stream's successor at once, into the backlog.
        waiting = list(self.backlog)
        self.backlog.clear()
        for stream in waiting:
            self.sink.failed(stream, exc.kind)

    def say_failed_connect(self, exc: ConnectError) -> None:
        """Warn of a failed connect whose kind alone would not tell the user what is wrong."""
        if exc.kind in _LOUD or isinstance(exc, NoSettings | ClosedBeforeSettings):
            self.warn(
                exc.detail
                if isinstance(exc, NotHttp2)
                else f"{exc.kind} connecting to {self.endpoint.origin.host_header}: {exc.detail}"
            )

    def _pull(self, conn: Http2Connection) -> None:
        backlog = self.backlog
        while backlog and conn.room > 0:
            conn.start(backlog.popleft())

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        self.closing = True
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self.conns):
            conn.close()
        self.conns.clear()
        self.backlog.clear()
        self.hint = None

    # StreamOwner ----------------------------------------------------------------------------------------
    def on_stream_done(self, conn: Http2Connection, stream: H2Stream) -> None:
        self.hint = conn
        if self.backlog:
            self._pull(conn)
        self.sink.done(stream)

    def on_stream_failed(self, conn: Http2Connection, stream: H2Stream, kind: str) -> None:
        if self.backlog and not conn.closed:
            self._pull(conn)
        self.sink.failed(stream, kind)

    def on_stream_unsent(
        self, conn: Http2Connection, stream: H2Stream, kind: str, counted: bool = True
    ) -> None:
        self._maxed = False  # a connection is draining (GOAWAY) or refused streams: recount
        if not counted and not self.closing:
            stream.id = 0
            self.dispatch(stream)
        elif stream.retries < MAX_RESENDS and not self.closing:
            stream.retries += 1
            stream.id = 0
            self.dispatch(stream)
        else:
            self.sink.failed(stream, kind)

    def on_closed(self, conn: Http2Connection) -> None:
        self._maxed = False
        self.rough = self.rough + 1 if conn.rough_end else 0
        if conn in self.conns:
            self.conns.remove(conn)
            if not self.closing:
                self.sink.capacity_changed()
        if self.hint is conn:
            self.hint = None
        if self.backlog:
            self._grow()

    def on_capacity(self, conn: Http2Connection) -> None:
        self._maxed = False
        if self.closing or conn not in self.conns:
            return  # still opening: counted when it is added
        if self.backlog and conn.room > 0:
            self._pull(conn)  # a server that raised its limit (from 0, say) takes what waits
        self.sink.capacity_changed()
