"""The awaitable HTTP client scripted scenarios call as ``ctx.http``.

One :class:`HttpSession` per run owns what VUs share (resolved endpoints, the recorder, timeouts, the
watchdog); each VU gets an :class:`HttpClient` holding its own keep-alive connection per origin, the way a
browser or k6's VU does. Requests reuse the core's callback-driven :class:`HttpConnection`; the only extra
cost over the load one-liner is one Future per request, which is what makes ``await`` possible.

A failed request does not raise: it returns a :class:`Response` with ``status == 0`` and ``error`` set to
the error kind (``detail`` says why in words), so a script's checks see it and the iteration goes on, as
in k6. After a failed connect the VU pauses before the failed Response comes back (10 ms doubling to 1 s
while connects keep failing): a refused connect can fail without suspending, and a script looping on it
would otherwise starve the event loop.

Bodies are kept for the script up to ``max_body_bytes`` (default 10 MiB); past that the rest is counted but
not kept and ``Response.truncated`` is set. URL userinfo (``http://user:pass@host/``, in a request URL or
the base URL) is sent as ``Authorization: Basic …`` unless the request sets Authorization itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.connect import (
    ConnectError,
    Endpoint,
    connect_backoff_s,
    make_ssl_context,
    open_connection,
)
from loadpulse.protocols.http.connection import IDEMPOTENT, HttpConnection
from loadpulse.protocols.http.recording import RequestRecording
from loadpulse.protocols.http.request import check_framing_headers, encode_request
from loadpulse.protocols.http.response import DEFAULT_MAX_BODY, ResponseReader
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.protocols.http.timeouts import TimeoutWatch
from loadpulse.protocols.http.url import Origin, parse_url
from loadpulse.protocols.session import NAME_CACHE_MAX

_ENCODED_CACHE_MAX = 4096


class Response:
    """What a scripted request got back."""

    __slots__ = ("_body", "detail", "elapsed_ms", "error", "headers", "name", "status", "truncated", "url")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        elapsed_ms: float,
        url: str,
        name: str,
        error: str | None = None,
        detail: str | None = None,
        truncated: bool = False,
    ) -> None:
        self.status = status
        self.headers = headers
        self._body = body
        self.elapsed_ms = elapsed_ms
        self.url = url
        self.name = name
        self.error = error
        """Error kind (timeout, reset, connect_refused, ...) when no response came; None otherwise."""
        self.detail = detail or error
        """The failure in words when there is more to say than the kind (e.g. why TLS failed)."""
        self.truncated = truncated
        """The body was longer than the session's ``max_body_bytes``: ``body`` holds only its start."""

    @property
    def ok(self) -> bool:
        """A response arrived and its status is below 400."""
        return self.error is None and 0 < self.status < 400

    @property
    def body(self) -> bytes:
        return self._body

    @property
    def text(self) -> str:
        return self._body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError (a script error) when it is not JSON or was cut at
        the session's body limit."""
        if self.truncated:
            raise ValueError(
                f"{self.name}: body truncated at {len(self._body)} bytes (max_body_bytes); "
                "raise the limit to parse it"
            )
        return jsonlib.loads(self._body)

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), or None."""
        want = name.lower().encode("latin-1")
        for k, v in self.headers:
            if k.lower() == want:
                return v.decode("latin-1")
        return None

    def __repr__(self) -> str:
        return f"<Response {self.name} {self.status}{' ' + self.error if self.error else ''}>"


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
        self._around: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}
        self.busy: set[HttpConnection] = set()
        self.conns: set[HttpConnection] = set()
        self.closing = False
        self._watchdog: asyncio.Task[None] | None = None

    # lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._watchdog = asyncio.ensure_future(self.timeouts.sweep(lambda: self.busy))

    def close(self) -> None:
        self.closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        for conn in list(self.conns):
            conn.fail(ErrorKind.TIMEOUT.value) if conn.busy else conn.close()
        self.conns.clear()

    def in_flight(self) -> int:
        return len(self.busy)

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


class HttpClient:
    """One VU's client. ``await ctx.http.get("/path", name="read")`` and friends."""

    __slots__ = ("_conn_failures", "_conns", "_names", "headers", "intended_ns", "on_done", "session")

    def __init__(self, session: HttpSession, headers: Mapping[str, str] | None = None) -> None:
        self.session = session
        self.headers: dict[str, str] = dict(headers or {})
        """Sent with every request of this VU (e.g. an Authorization set after logging in)."""
        self._conns: dict[Origin, HttpConnection] = {}
        self._names: dict[str, RequestRecording] = {}
        self._conn_failures = 0
        """Consecutive failed connects of this VU: how long it pauses after the next one."""
        self.on_done: Callable[[bool], None] | None = None
        """Told whether each request was accepted (2xx/3xx): what ``ctx.track`` made is sent or rejected."""
        self.intended_ns = 0
        """Set by the engine for an open-model iteration: the next request's latency counts from it."""

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    # The verbs hand back request()'s coroutine instead of awaiting it in a coroutine of their own: one
    # frame less per request on the scripted hot path; ``await ctx.http.get(...)`` reads the same.
    def get(self, url: str, **kw: Any) -> Coroutine[Any, Any, Response]:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Coroutine[Any, Any, Response]:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> Coroutine[Any, Any, Response]:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> Coroutine[Any, Any, Response]:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> Coroutine[Any, Any, Response]:
        return self.request("DELETE", url, **kw)

    def head(self, url: str, **kw: Any) -> Coroutine[Any, Any, Response]:
        return self.request("HEAD", url, **kw)

    async def request(
        self,
        method: str,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request and wait for its response; stats go under ``name`` (default: METHOD path) and,
        for each tag, under ``key=value`` too (thresholds filter on them: ``http{kind=write}.p95``)."""
        session = self.session
        origin, path, auth = session.target(url)
        name = name or f"{method} {path.split('?', 1)[0]}"
        rec = self._names.get(name)
        if rec is None:
            rec = RequestRecording(session.recorder.for_name(name, http_status_kind), True)
            if len(self._names) < NAME_CACHE_MAX:  # per VU: bounded however many URLs the script makes up
                self._names[name] = rec
        recs = (rec, *_tagged(session.recorder, tags, rec)) if tags else (rec,)
        hdrs = _merged(self.headers, headers) if (self.headers or headers) else []
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            if not any(k.lower() == "content-type" for k, _ in hdrs):
                hdrs.append(("Content-Type", "application/json"))
        elif isinstance(body, str):
            body = body.encode()
        data = session.encoded(method, origin, path, hdrs, body, auth)
        intended = self.intended_ns
        self.intended_ns = 0
        for attempt in (0, 1):
            conn = self._conns.get(origin)
            if conn is None or conn.closed:
                try:
                    conn = await self._connect(origin, rec)
                except ConnectError as exc:
                    for r in recs:
                        r.rec.error(exc.kind)
                    if exc.kind in (ErrorKind.TLS.value, ErrorKind.FD_LIMIT.value):
                        session.warn(f"{exc.kind} connecting to {origin.host_header}: {exc.detail}")
                    self._conn_failures += 1
                    await session.clock.sleep(connect_backoff_s(self._conn_failures))
                    if self.on_done is not None:
                        self.on_done(False)
                    return Response(0, [], b"", 0.0, url, name, exc.kind, exc.detail)
                self._conn_failures = 0
            fut: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
            conn.user = fut
            conn.intended_ns = intended
            session.busy.add(conn)
            for r in recs:
                r.rec.bytes_out += len(data)
            conn.send(data, method == "HEAD")
            try:
                failure = await fut
            except asyncio.CancelledError:
                # The run ended (or the VU was retired) with this request unanswered: a failure the
                # thresholds must see, like the one-liner's requests still in flight at the end.
                for r in recs:
                    r.rec.error(ErrorKind.UNFINISHED.value)
                session.busy.discard(conn)
                conn.user = None
                conn.close()
                raise
            if attempt == 0 and failure is not None and method in IDEMPOTENT and conn.is_stale(failure):
                continue  # the keep-alive connection was closed under us before any byte: resend once
            response = self._finish(conn, recs, url, name, failure)
            if self.on_done is not None:
                self.on_done(response.ok)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def warm(self) -> None:
        """Open the connection to the base URL ahead of use (not recorded: it happens before the clock).
        A failure is left for the first real request to meet and count."""
        base = self.session.base
        if base is not None and base not in self._conns:
            with contextlib.suppress(ConnectError):
                await self._connect(base, None)

    async def _connect(self, origin: Origin, rec: RequestRecording | None) -> HttpConnection:
        session = self.session
        ep = session.endpoint(origin)
        max_body, now_ns = session.max_body_bytes, session.clock.now_ns
        conn = await open_connection(
            ep, lambda: HttpConnection(session, capture_body=True, max_body=max_body, now_ns=now_ns)
        )
        if rec is not None:
            rec.connected(conn, ep.ssl_context is not None)
        self._conns[origin] = conn
        session.conns.add(conn)
        return conn

    def _finish(
        self,
        conn: HttpConnection,
        recs: tuple[RequestRecording, ...],
        url: str,
        name: str,
        failure: str | None,
    ) -> Response:
        sent = conn.sent_ns
        if failure is not None:
            now = self.session.clock.now_ns()
            for rec in recs:
                rec.failure(conn, failure, now)
            return Response(0, [], b"", (now - sent) / 1e6, url, name, failure)
        for rec in recs:
            rec.response(conn)
        reader = conn.reader
        assert isinstance(reader, ResponseReader)
        elapsed = (conn.last_rx_ns - sent) / 1e6
        return Response(
            reader.status, reader.headers, reader.body, elapsed, url, name, truncated=reader.truncated
        )


def _tagged(
    recorder: Recorder, tags: Mapping[str, str], like: RequestRecording
) -> tuple[RequestRecording, ...]:
    """The recordings of a tagged request's ``key=value`` entries (allocated only when tags are used)."""
    return tuple(RequestRecording(recorder.for_tag(k, str(v), like.rec), True) for k, v in tags.items())


def _merged(defaults: Mapping[str, str], given: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """The VU's default headers overridden by the request's own, by case-insensitive name: a header in
    both is sent once, with the request's value."""
    if not given:
        return list(defaults.items())
    overridden = {k.lower() for k in given}
    return [*((k, v) for k, v in defaults.items() if k.lower() not in overridden), *given.items()]
