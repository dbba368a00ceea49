"""Opening connections: TCP connect, then TLS as a separate step so each phase is timed on its own."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter_ns

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.connection import HttpConnection, classify_exception
from loadpulse.protocols.http.url import Origin


class ConnectError(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def make_ssl_context(insecure: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where connections go: the origin (for Host and SNI) and its address, resolved once before the run."""

    origin: Origin
    family: int
    address: str
    ssl_context: ssl.SSLContext | None
    connect_timeout_s: float


async def open_connection(endpoint: Endpoint, factory: Callable[[], HttpConnection]) -> HttpConnection:
    """A connected (and TLS-established) HttpConnection, or ConnectError with the error kind."""
    loop = asyncio.get_running_loop()
    t0 = perf_counter_ns()
    try:
        async with asyncio.timeout(endpoint.connect_timeout_s):
            transport, conn = await loop.create_connection(
                factory, endpoint.address, endpoint.origin.port, family=endpoint.family
            )
    except TimeoutError:
        raise ConnectError(ErrorKind.CONNECT_TIMEOUT.value, "connect timed out") from None
    except OSError as exc:
        kind = classify_exception(exc)
        if kind == ErrorKind.RESET.value and not isinstance(exc, ConnectionResetError):
            kind = ErrorKind.CONNECT_REFUSED.value  # unreachable, no route: the connection never came up
        raise ConnectError(kind, str(exc)) from None
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Requests are small and latency is the measurement: never let Nagle hold one back.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t1 = perf_counter_ns()
    conn.connect_us = (t1 - t0) // 1000
    if endpoint.ssl_context is not None:
        try:
            async with asyncio.timeout(endpoint.connect_timeout_s):
                tls = await loop.start_tls(
                    transport, conn, endpoint.ssl_context, server_hostname=endpoint.origin.host
                )
        except TimeoutError:
            transport.abort()
            raise ConnectError(ErrorKind.TIMEOUT.value, "TLS handshake timed out") from None
        except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
            transport.abort()
            raise ConnectError(ErrorKind.TLS.value, str(exc)) from None
        if tls is None:
            raise ConnectError(ErrorKind.TLS.value, "TLS handshake gave no transport")
        conn.transport = tls
        conn.tls_us = (perf_counter_ns() - t1) // 1000
    return conn
