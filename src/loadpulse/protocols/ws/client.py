"""One VU's ``ctx.ws``: opening connections, the handshake measured as a request of its own.

    async with ctx.ws.connect("/ws/echo", name="echo") as ws:
        reply = await ws.request({"id": 1, "text": "hi"}, match="id")

A connect that fails is counted once, under its kind, on the connection's name; the script still gets a
connection, a closed one, whose first call raises :class:`~.connection.Closed` and so ends the ``async
with`` block quietly. A VU whose connects keep failing pauses between them (10 ms doubling to 1 s, as
HTTP connects do), so a wrong port is a steady trickle of counted failures, not a storm.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from time import perf_counter_ns
from types import TracebackType
from typing import TYPE_CHECKING, Any

from picows import WSError, WSHandshakeError, WSParsedURL, ws_connect

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.http.connect import connect_backoff_s, connect_kind, tls_reason
from loadpulse.protocols.http.request import check_given_headers
from loadpulse.protocols.session import NAME_CACHE_MAX
from loadpulse.protocols.ws.address import connection_name, ws_address
from loadpulse.protocols.ws.connection import WsConnection
from loadpulse.protocols.ws.errors import WsError
from loadpulse.protocols.ws.frames import MESSAGE_MAX, Frames

if TYPE_CHECKING:
    from loadpulse.protocols.ws.plugin import WsProtocol

READ_BUFFER_BYTES = 2048
"""picows' first read buffer per connection (it grows when a message needs more): its default, 16 KiB,
would be most of what an idle subscriber costs."""

RECEIVE_BUFFER_BYTES = 128 * 1024
"""The kernel's receive buffer per connection (SO_RCVBUF; Linux doubles it for its bookkeeping). Left to
autotuning it grows to ``tcp_rmem``'s maximum (32 MiB here), and picows parses all that one read brings
in one go: a server flooding tiny frames then holds the loop for a second or more, the run's end included.
Capped, one read is at most this much (~2,500 100-byte messages, a few ms); a stream still gets ~20 Mbit/s
at 100 ms round trip per connection, and far more on a LAN."""


class WsClient:
    """``ctx.ws`` of one VU."""

    __slots__ = ("_failures", "_names", "intended_ns", "on_done", "session")

    def __init__(self, session: WsProtocol) -> None:
        self.session = session
        self.intended_ns = 0
        """Set by the engine for an open-model iteration: the next handshake or request counts from it."""
        self._names: dict[str, NameRecorder] = {}
        self._failures = 0
        """Connects that failed in a row: the pause before the next one grows with them."""
        self.on_done: Callable[[bool], None] | None = None
        """Told whether each message was sent (``send``) or answered (``request``): what ``ctx.track``
        made for it was sent, or rejected (set by the engine only when the run tracks items)."""

    def connect(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        timeout: float | None = None,
    ) -> Connect:
        """A connection to ``url`` (``ws://``/``wss://``, or a path on the base URL): use it with ``async
        with`` (closed at the block's end), or ``await`` it and ``close()`` it yourself. The handshake is
        recorded under ``name`` (default ``WS /path``); ``timeout`` bounds it (default: the run's connect
        timeout)."""
        address = ws_address(url, self.session.settings.base_url)
        if headers is not None and not (
            isinstance(headers, Mapping) and all(isinstance(v, str) for v in headers.values())
        ):
            raise TypeError(f"headers= takes a mapping of header names to strings, not {headers!r}")
        if headers:
            check_given_headers(headers, f"ctx.ws.connect({url!r})")
        return Connect(self, address.url, connection_name(address, name), headers, timeout)

    def recorder_of(self, name: str) -> NameRecorder:
        rec = self._names.get(name)
        if rec is None:
            rec = self.session.recorder.for_name(name)
            if len(self._names) < NAME_CACHE_MAX:  # per VU: bounded whatever names the script makes up
                self._names[name] = rec
        return rec

    async def open(
        self, url: str, name: str, headers: Mapping[str, str] | None, timeout: float | None
    ) -> WsConnection:
        session = self.session
        if session.loop is None:
            session.loop = asyncio.get_running_loop()
        rec = self.recorder_of(name)
        conn = WsConnection(self, url, name, rec)
        intended, self.intended_ns = self.intended_ns, 0
        settings = session.settings
        limit = settings.connect_timeout_s if timeout is None else timeout
        tcp = TcpConnect(session, limit)
        secure = url.startswith("wss:")
        tls_timeout: dict[str, Any] = {"ssl_handshake_timeout": limit} if secure else {}
        started = perf_counter_ns()
        try:
            # Each phase has its own bound, and each cleans up after itself: the TCP connect here, the TLS
            # handshake in asyncio, the upgrade in picows (which drops the connection when it times out; a
            # timeout around all of it would leave the half-made connection open, one descriptor each).
            transport, listener = await ws_connect(
                lambda: Frames(conn),
                url,
                ssl_context=session.ssl_context() if secure else None,
                socket_factory=tcp.connect,
                websocket_handshake_timeout=limit,
                extra_headers=_merged(settings.headers, headers),
                max_redirects=0,
                max_frame_size=MESSAGE_MAX,
                read_buffer_init_size=READ_BUFFER_BYTES,
                logger_name=_QUIET,
                **tls_timeout,
            )
            if listener is None:  # picows' answer when the server hung up before answering the upgrade
                raise ConnectionAbortedError("the server closed it without an answer")
        except Exception as exc:
            kind, detail = _failure(exc, limit, tcp.connected_us is not None, secure)
            conn.error, conn.close_reason = kind, detail
            rec.error(kind)
            session.warn_once(kind, url, detail)
            if self.on_done is not None:
                self.on_done(False)
            self._failures += 1
            await settings.clock.sleep(connect_backoff_s(self._failures))
            return conn
        now = perf_counter_ns()
        self._failures = 0
        rec.lat.append((now - (intended or started)) // 1000)
        rec.svc.append((now - started) // 1000)
        rec.done += 1
        if tcp.connected_us is not None:
            rec.connect.append(tcp.connected_us)
        conn.transport = transport
        if conn.close_code is None:  # else it ended with the frames that came with the upgrade's answer
            session.opened.add(conn)
        return conn


class TcpConnect:
    """picows' socket factory: the TCP connect of one handshake, bounded and timed by loadpulse."""

    __slots__ = ("connected_us", "limit", "session")

    def __init__(self, session: WsProtocol, limit: float) -> None:
        self.session = session
        self.limit = limit
        self.connected_us: int | None = None

    async def connect(self, url: WSParsedURL) -> socket.socket:
        loop = asyncio.get_running_loop()
        failure: OSError | None = None
        for family, kind, proto, addr in await self.session.addresses(url.host, url.port):
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
                started = perf_counter_ns()
                async with asyncio.timeout(self.limit):
                    await loop.sock_connect(sock, addr)
                self.connected_us = (perf_counter_ns() - started) // 1000
                return sock
            except OSError as exc:  # refused, unreachable: the next address may answer (localhost, ::1)
                sock.close()
                failure = exc
            except BaseException:
                sock.close()
                raise
        assert failure is not None, "getaddrinfo gives at least one address or raises"
        raise failure


class Connect:
    """What ``ctx.ws.connect(...)`` returns: ``async with`` it, or ``await`` it."""

    __slots__ = ("_args", "_client", "conn")

    def __init__(
        self,
        client: WsClient,
        url: str,
        name: str,
        headers: Mapping[str, str] | None,
        timeout: float | None,
    ) -> None:
        self._client = client
        self._args = (url, name, headers, timeout)
        self.conn: WsConnection | None = None

    def __await__(self) -> Generator[Any, None, WsConnection]:
        # Where the script opened a connection it must close itself: named at the run's end if it never did.
        caller = sys._getframe(1)
        conn = yield from self._client.open(*self._args).__await__()
        conn.opened_at = f"{Path(caller.f_code.co_filename).name}:{caller.f_lineno}"
        return conn

    async def __aenter__(self) -> WsConnection:
        self.conn = await self._client.open(*self._args)
        return self.conn

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        conn = self.conn
        if conn is None:
            return False
        if kind is not None and not issubclass(kind, Exception):
            conn.abort()  # cancelled (the run's end, a ramp-down): no waiting on the network now
            return False
        await conn.close()
        # Already counted under its kind (a failed connect, a server's close, a request's timeout).
        return isinstance(exc, WsError) and exc.connection is conn


class _Quiet:
    """picows logs a warning per failed connect; loadpulse counts them and says so once instead."""

    def __getattr__(self, name: str) -> Any:
        return self._nothing

    def _nothing(self, *args: Any, **kwargs: Any) -> Any:
        return False


_QUIET: Any = _Quiet()


def _failure(exc: BaseException, limit: float, connected: bool, secure: bool) -> tuple[str, str]:
    """The error kind of a failed connect and what happened, in words (``connected``: TCP was up)."""
    if secure and isinstance(exc, OSError) and "SSL handshake is taking longer" in str(exc):
        # asyncio's (and uvloop's) words for a TLS handshake that timed out: a plain server waits for more
        return (
            ErrorKind.CONNECT_TIMEOUT.value,
            f"no TLS handshake within {limit:g} s (is the server speaking TLS? for a plain one use ws://)",
        )
    if isinstance(exc, TimeoutError):
        what = "WebSocket handshake" if connected else "TCP connection"
        return ErrorKind.CONNECT_TIMEOUT.value, f"no {what} within {limit:g} s"
    if isinstance(exc, WSHandshakeError):
        response = getattr(exc, "response", None)
        status = getattr(response, "status", None)
        if status is not None:
            return (
                ErrorKind.WS_HANDSHAKE.value,
                f"the server answered HTTP {int(status)} instead of switching to WebSocket "
                "(is this a WebSocket endpoint?)",
            )
        return ErrorKind.WS_HANDSHAKE.value, f"not a WebSocket handshake answer ({exc})"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return ErrorKind.TLS.value, tls_reason(exc).replace("try http://", "try ws://")
    if isinstance(exc, socket.gaierror):
        return ErrorKind.CONNECT_REFUSED.value, f"the host does not resolve ({exc})"
    if isinstance(exc, OSError):
        if connected and not isinstance(exc, ConnectionResetError):
            # Closed during the upgrade (a server that is not HTTP hangs up) or a TLS handshake cut short.
            return ErrorKind.WS_HANDSHAKE.value, f"the connection ended during the handshake ({exc})"
        return connect_kind(exc), exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, WSError):
        return ErrorKind.WS_HANDSHAKE.value, f"not a WebSocket handshake answer ({exc})"
    return ErrorKind.WS_HANDSHAKE.value, f"{type(exc).__name__}: {exc}"


def _merged(defaults: tuple[tuple[str, str], ...], given: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """The run's headers overridden by the connect's own, by case-insensitive name."""
    if not given:
        return list(defaults)
    mine = {k.lower() for k in given}
    return [*((k, v) for k, v in defaults if k.lower() not in mine), *given.items()]
