"""Opening connections: TCP connect, then TLS as a separate step so each phase is timed on its own.

A connect tries every address the origin resolved to (the one that worked last time first), so a name
whose first address does not answer still works, as with curl. Connect failures carry an error kind and,
for TLS, the reason in words; callers that connect in a loop pause between failures
(:func:`connect_backoff_s`), because a refused or fd-limited connect can fail without ever suspending and
a loop of them would starve the event loop.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter_ns
from typing import TypeVar

from loadpulse.errors import BadInput
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.connection import TimedConnection
from loadpulse.protocols.http.url import Origin, resolve_all

BACKOFF_MIN_S = 0.01
BACKOFF_MAX_S = 1.0

_FD_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE})


class ConnectError(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        """What went wrong in words (for TLS: the verification reason and how to skip it)."""


def connect_backoff_s(failures: int) -> float:
    """Pause before the next connect after ``failures`` consecutive failed ones: 10 ms doubling to 1 s.

    Pausing after *every* connect failure, not only EMFILE, is what guarantees a failing connect loop
    suspends; the cap keeps a target that comes back from being noticed more than ~1 s late.
    """
    if failures <= 0:
        return 0.0
    return min(BACKOFF_MAX_S, BACKOFF_MIN_S * (1 << min(failures - 1, 16)))


def make_ssl_context(insecure: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect_kind(exc: OSError) -> str:
    """Error kind of a failed TCP connect."""
    if exc.errno in _FD_ERRNOS:
        return ErrorKind.FD_LIMIT.value  # our limit, not the target's refusal
    if isinstance(exc, ConnectionResetError):
        return ErrorKind.RESET.value
    # Refused, unreachable, no route: the connection never came up.
    return ErrorKind.CONNECT_REFUSED.value


def tls_reason(exc: BaseException) -> str:
    """A TLS failure in words, e.g. 'certificate verify failed: self-signed certificate (use -k …)'."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or exc.reason or str(exc)
        return f"certificate verify failed: {why} (use -k to skip verification)"
    if isinstance(exc, ssl.CertificateError):
        return f"certificate verify failed: {exc} (use -k to skip verification)"
    if isinstance(exc, ssl.SSLError):
        why = (exc.reason or str(exc)).lower().replace("_", " ")
        hint = " (is the target speaking TLS? try http://)" if "wrong version" in why else ""
        return f"TLS handshake failed: {why}{hint}"
    return f"TLS handshake failed: {exc or type(exc).__name__}"


@dataclass(slots=True, eq=False)
class Endpoint:
    """Where connections go: the origin (for Host and SNI) and its addresses, resolved once before the run.

    ``addresses`` is every resolved address, the one connects try first at its head: the resolver's first
    choice until a connect had to fall back, then the one that worked (``family``/``address`` mirror the
    head). Left empty, it is resolved from the origin on construction (before the run, never on the hot
    path).
    """

    origin: Origin
    family: int
    address: str
    ssl_context: ssl.SSLContext | None
    connect_timeout_s: float
    addresses: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.addresses:
            try:
                found = resolve_all(self.origin)
            except BadInput:
                found = ()  # the caller resolved it a moment ago; keep what it found
            first = (self.family, self.address)
            self.addresses = (first, *(a for a in found if a != first))

    def prefer(self, family: int, address: str) -> None:
        """Try ``address`` first from now on: it answered when the preferred one did not."""
        first = (family, address)
        self.family, self.address = first
        self.addresses = (first, *(a for a in self.addresses if a != first))

    @classmethod
    def resolved(
        cls, origin: Origin, ssl_context: ssl.SSLContext | None, connect_timeout_s: float
    ) -> Endpoint:
        """Resolve ``origin`` (BadInput when it does not resolve) and build its endpoint."""
        addresses = resolve_all(origin)
        family, address = addresses[0]
        return cls(origin, family, address, ssl_context, connect_timeout_s, addresses)


C = TypeVar("C", bound=TimedConnection)


async def _tcp_connect(endpoint: Endpoint, factory: Callable[[], C]) -> tuple[asyncio.Transport, C]:
    # Addresses are tried in turn, preferred first. The connect timeout is shared, each attempt getting an
    # equal part of what is left, so an address that swallows SYNs cannot use it all (a sequential take on
    # RFC 8305 happy eyeballs; a refused address fails at once and costs nothing). With one address this
    # is a plain connect under the whole timeout.
    loop = asyncio.get_running_loop()
    addresses = endpoint.addresses
    n = len(addresses)
    deadline = loop.time() + endpoint.connect_timeout_s
    last: OSError = TimeoutError()
    for i, (family, address) in enumerate(addresses):
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            async with asyncio.timeout(left / (n - i)):
                result = await loop.create_connection(factory, address, endpoint.origin.port, family=family)
        except OSError as exc:  # TimeoutError included
            last = exc
            if exc.errno in _FD_ERRNOS:
                break  # another address would need a descriptor too
            continue
        if i:
            endpoint.prefer(family, address)
        return result
    if isinstance(last, TimeoutError):
        raise ConnectError(ErrorKind.CONNECT_TIMEOUT.value, "connect timed out")
    kind = connect_kind(last)
    if kind == ErrorKind.FD_LIMIT.value:
        detail = f"{last.strerror or last}: raise the open-files limit (ulimit -n) or use fewer connections"
        raise ConnectError(kind, detail)
    raise ConnectError(kind, str(last))


async def open_connection(endpoint: Endpoint, factory: Callable[[], C]) -> C:
    """A connected (and TLS-established) connection, or ConnectError with the error kind."""
    t0 = perf_counter_ns()
    transport, conn = await _tcp_connect(endpoint, factory)
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Requests are small and latency is the measurement: never let Nagle hold one back.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t1 = perf_counter_ns()
    conn.connect_us = (t1 - t0) // 1000
    if endpoint.ssl_context is not None:
        try:
            async with asyncio.timeout(endpoint.connect_timeout_s):
                tls = await asyncio.get_running_loop().start_tls(
                    transport,
                    conn,
                    endpoint.ssl_context,
                    server_hostname=endpoint.origin.host,
                )
        except TimeoutError:
            transport.abort()
            raise ConnectError(ErrorKind.TIMEOUT.value, "TLS handshake timed out") from None
        except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
            transport.abort()
            raise ConnectError(ErrorKind.TLS.value, tls_reason(exc)) from None
        if tls is None:
            raise ConnectError(ErrorKind.TLS.value, "TLS handshake gave no transport")
        conn.transport = tls
        conn.tls_us = (perf_counter_ns() - t1) // 1000
    return conn
