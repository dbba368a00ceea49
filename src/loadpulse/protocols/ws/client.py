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
import ssl
from collections.abc import Callable, Generator, Mapping
from time import perf_counter_ns
from types import TracebackType
from typing import TYPE_CHECKING, Any

from picows import WSError, WSHandshakeError, ws_connect

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.http.connect import connect_backoff_s, connect_kind, tls_reason
from loadpulse.protocols.session import NAME_CACHE_MAX
from loadpulse.protocols.ws.address import connection_name, ws_address
from loadpulse.protocols.ws.connection import MESSAGE_MAX, Frames, WsConnection, WsError

if TYPE_CHECKING:
    from loadpulse.protocols.ws.plugin import WsProtocol

READ_BUFFER_BYTES = 2048
"""picows' first read buffer per connection (it grows when a message needs more): its default, 16 KiB,
would be most of what an idle subscriber costs."""


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
        extra = _merged(settings.headers, headers)
        started = perf_counter_ns()
        try:
            async with asyncio.timeout(limit):
                transport, _ = await ws_connect(
                    lambda: Frames(conn),
                    url,
                    ssl_context=session.ssl_context() if url.startswith("wss:") else None,
                    websocket_handshake_timeout=None,  # the timeout above bounds connect and handshake
                    extra_headers=extra,
                    max_redirects=0,
                    max_frame_size=MESSAGE_MAX,
                    read_buffer_init_size=READ_BUFFER_BYTES,
                    logger_name=_QUIET,
                )
        except (Exception, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            kind, detail = _failure(exc, limit)
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
        conn.transport = transport
        session.opened.add(conn)
        return conn


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
        return self._client.open(*self._args).__await__()

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


def _failure(exc: BaseException, limit: float) -> tuple[str, str]:
    """The error kind of a failed connect and what happened, in words."""
    if isinstance(exc, TimeoutError):
        return ErrorKind.CONNECT_TIMEOUT.value, f"no WebSocket handshake within {limit:g} s"
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
        return ErrorKind.TLS.value, tls_reason(exc)
    if isinstance(exc, OSError):
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
