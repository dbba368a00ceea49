"""Opening an HTTP/2 connection: TCP (and TLS with ALPN "h2"), the preface, the server's SETTINGS.

``http://`` URLs get HTTP/2 with prior knowledge (h2c, no Upgrade dance); ``https://`` URLs offer ALPN
``h2, http/1.1`` and insist the server picks ``h2``. A server that does not speak HTTP/2 is said once,
in words (:class:`NotHttp2`), instead of failing every request as a protocol error.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.connect import ConnectError, Endpoint, open_connection
from loadpulse.protocols.http2.connection import Http2Connection


class NotHttp2(ConnectError):
    """The server answered, but not in HTTP/2: bad input for a run that asked for it."""

    def __init__(self, origin: str, why: str) -> None:
        super().__init__(ErrorKind.PROTOCOL.value, f"the server at {origin} does not speak HTTP/2 ({why})")


class NoSettings(ConnectError):
    """The server took the connection (and the preface) but sent no SETTINGS in time: a connect timeout,
    said in words (a port that is not an HTTP/2 server, or one too busy to answer)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            ErrorKind.CONNECT_TIMEOUT.value,
            f"it took the connection but sent no HTTP/2 SETTINGS within the {timeout_s:g} s connect timeout",
        )


class ClosedBeforeSettings(ConnectError):
    """The server closed (or reset) the connection before its SETTINGS: a failed connect of that kind,
    said in words (a server at its connection limit, or one that hangs up on the preface)."""


def h2_ssl_context(insecure: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    # http/1.1 offered too, so a server without h2 says which protocol it would speak instead.
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def open_h2(endpoint: Endpoint, factory: Callable[[], Http2Connection]) -> Http2Connection:
    """A connection whose server's SETTINGS have arrived; ConnectError (NotHttp2 included) otherwise."""
    origin = endpoint.origin.host_header
    # The same address fallback, shared connect timeout, TCP_NODELAY and TLS as HTTP/1.1.
    conn = await open_connection(endpoint, factory)
    timeout = endpoint.connect_timeout_s
    if endpoint.ssl_context is not None:
        tls = conn.transport
        assert tls is not None
        ssl_object = tls.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        if alpn != "h2":
            tls.abort()
            raise NotHttp2(origin, f"ALPN chose {alpn}" if alpn else "its TLS offered no ALPN protocol")
    ready = conn.preface()
    try:
        async with asyncio.timeout(timeout):
            why = await ready
    except TimeoutError:
        conn.close()
        raise NoSettings(timeout) from None
    if why is not None:
        conn.close()
        if conn.lost_early is not None:
            raise ClosedBeforeSettings(conn.lost_early, why)
        # It accepted the connection, then answered in HTTP/1 or broke the protocol: no HTTP/2 there.
        raise NotHttp2(origin, why)
    return conn
