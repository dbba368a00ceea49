"""What every VU's scripted HTTP client shares within a run (:class:`HttpSession`) and how one request is
sent (:class:`RequestPlan`); see client.py."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.connect import Endpoint, make_ssl_context
from loadpulse.protocols.http.connection import HttpConnection
from loadpulse.protocols.http.recording import RequestRecording
from loadpulse.protocols.http.request import check_framing_headers, encode_request
from loadpulse.protocols.http.response import DEFAULT_MAX_BODY
from loadpulse.protocols.http.timeouts import TimeoutWatch
from loadpulse.protocols.http.url import Origin, parse_url

if TYPE_CHECKING:
    from loadpulse.protocols.http2.script import H2ScriptSession

_ENCODED_CACHE_MAX = 4096


class RequestPlan:
    """What sending one request needs besides the connection: its bytes, name and recordings. A plain
    request (no headers, body or tags of its own) has one per URL, made on first use and kept by the
    session, so a repeated ``ctx.http.get(url)`` skips resolving, naming and encoding."""

    __slots__ = ("data", "given_name", "head", "method", "name", "origin", "rec", "recs")

    def __init__(
        self,
        method: str,
        given_name: str | None,
        name: str,
        origin: Origin,
        data: bytes,
        rec: RequestRecording,
        recs: tuple[RequestRecording, ...],
    ) -> None:
        self.method = method
        self.given_name = given_name
        self.name = name
        self.origin = origin
        self.data = data
        self.head = method == "HEAD"
        self.rec = rec
        self.recs = recs


class HttpSession:
    """Shared by every VU of a run: endpoints, recorder, timeouts and the timeout watchdog.

    It is the ConnectionOwner of every scripted connection: a response or failure resolves the Future
    of the request waiting on that connection.
    """

    def __init__(
        self,
        base_url: str | None,
        recorder: Recorder,
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        total_timeout_s: float = 10.0,
        insecure: bool = False,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        base = parse_url(base_url) if base_url else None
        self.base = base.origin if base else None
        self.base_auth = base.authorization if base else None
        """``Basic …`` from the base URL's userinfo, sent with every relative request."""
        self.base_url = base_url.rstrip("/") if base_url else None
        self.max_body_bytes = max_body_bytes
        self.warnings: list[str] = []
        """Said once each at the end of the run (e.g. why TLS failed)."""
        self.recorder = recorder
        self.connect_timeout_s = connect_timeout_s
        self.clock = clock
        self.timeouts = TimeoutWatch(read_timeout_s, total_timeout_s, clock)
        self.insecure = insecure
        self._endpoints: dict[Origin, Endpoint] = {}
        self._encoded: dict[tuple[Any, ...], bytes] = {}
        self.plans: dict[str, RequestPlan] = {}
        """URL -> how a plain request to it is sent (see RequestPlan); bounded like the VUs' name caches."""
        self._around: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}
        self.busy: set[HttpConnection] = set()
        self.conns: set[HttpConnection] = set()
        self.closing = False
        self._watchdog: asyncio.Task[None] | None = None
        self.http2 = False
        """Requests go over HTTP/2 unless they say otherwise (``http2 = True`` in the scenario file)."""
        self._h2: H2ScriptSession | None = None

    # lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._watchdog = asyncio.ensure_future(self.timeouts.sweep(lambda: self.busy))

    def close(self) -> None:
        self.closing = True
        if self._h2 is not None:
            self._h2.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
        for conn in list(self.conns):
            conn.fail(ErrorKind.TIMEOUT.value) if conn.busy else conn.close()
        self.conns.clear()

    def in_flight(self) -> int:
        return len(self.busy) + (self._h2.in_flight() if self._h2 is not None else 0)

    def connection_count(self) -> int:
        return len(self.conns) + (self._h2.connection_count() if self._h2 is not None else 0)

    def h2(self) -> H2ScriptSession:
        """The HTTP/2 side of the session (protocols/http2/script.py), made when first used."""
        if self._h2 is None:
            from loadpulse.protocols.http2.script import H2ScriptSession

            self._h2 = H2ScriptSession(self)
        return self._h2

    # ConnectionOwner ------------------------------------------------------------------------------------
    def on_response(self, conn: HttpConnection) -> None:
        self.busy.discard(conn)
        fut: asyncio.Future[str | None] = conn.user  # type: ignore[assignment]
        if not fut.done():
            fut.set_result(None)

    def on_failure(self, conn: HttpConnection, kind: str) -> None:
        self.busy.discard(conn)
        self.conns.discard(conn)
        fut: asyncio.Future[str | None] = conn.user  # type: ignore[assignment]
        if fut is not None and not fut.done():
            fut.set_result(kind)

    def on_idle_closed(self, conn: HttpConnection) -> None:
        self.conns.discard(conn)

    # helpers --------------------------------------------------------------------------------------------
    def endpoint(self, origin: Origin) -> Endpoint:
        ep = self._endpoints.get(origin)
        if ep is None:
            ssl_context = make_ssl_context(self.insecure) if origin.tls else None
            ep = Endpoint.resolved(origin, ssl_context, self.connect_timeout_s)
            self._endpoints[origin] = ep
        return ep

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < 20:
            self.warnings.append(message)

    def target(self, url: str) -> tuple[Origin, str, str | None]:
        """Origin, request target and Authorization from userinfo (or None) of a request URL."""
        if url.startswith("/"):
            if self.base is None:
                raise ValueError(
                    f"relative URL {url!r} needs a base URL (--base-url or base_url in the file)"
                )
            return self.base, url, self.base_auth
        if "://" not in url:
            if self.base is None:
                raise ValueError(
                    f"relative URL {url!r} needs a base URL (--base-url or base_url in the file)"
                )
            return self.base, "/" + url, self.base_auth
        t = parse_url(url)
        return t.origin, t.path, t.authorization

    def encoded(
        self,
        method: str,
        origin: Origin,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        auth: str | None = None,
    ) -> bytes:
        if headers or body is not None:
            check_framing_headers(headers, body, ValueError)
            if auth is not None and not any(k.lower() == "authorization" for k, _ in headers):
                headers = [*headers, ("Authorization", auth)]
            return encode_request(method, path, origin.host_header, headers, body)
        # Plain requests (most GETs) are encoded once per distinct URL, within a bounded cache. The base
        # origin's key leaves the Origin out (its auth is always the base's): hashing a dataclass per
        # request shows up in profiles.
        key = (method, path) if origin is self.base else (method, origin, path, auth)
        data = self._encoded.get(key)
        if data is None:
            if len(self._encoded) >= _ENCODED_CACHE_MAX:
                self._encoded.clear()
            # A URL made per request (an id in the query) misses the cache every time: fill the path into
            # the request's bytes made once for its method and origin, ~8x cheaper than encoding it.
            around_key = (method, None) if origin is self.base else (method, origin, auth)
            around = self._around.get(around_key)
            if around is None:
                extra = [("Authorization", auth)] if auth is not None else []
                head, _, tail = encode_request(method, "\0", origin.host_header, extra).partition(b"\0")
                around = self._around[around_key] = (head, tail)
            data = self._encoded[key] = around[0] + path.encode("latin-1") + around[1]
        return data
