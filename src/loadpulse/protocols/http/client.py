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

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.connect import (
    ConnectError,
    connect_backoff_s,
    open_connection,
)
from loadpulse.protocols.http.connection import IDEMPOTENT, HttpConnection
from loadpulse.protocols.http.recording import RequestRecording
from loadpulse.protocols.http.request import check_given_headers
from loadpulse.protocols.http.response import ResponseReader
from loadpulse.protocols.http.script_response import Response
from loadpulse.protocols.http.script_session import HttpSession, RequestPlan
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.protocols.http.url import Origin
from loadpulse.protocols.session import NAME_CACHE_MAX

__all__ = ["HttpClient", "HttpSession", "Response"]
"""Session and Response live in modules of their own; scripts and tests import them from here."""


class HttpClient:
    """One VU's client. ``await ctx.http.get("/path", name="read")`` and friends."""

    __slots__ = (
        "_conn_failures",
        "_conns",
        "_last_conn",
        "_last_origin",
        "_loop",
        "_names",
        "headers",
        "intended_ns",
        "on_done",
        "session",
    )

    def __init__(self, session: HttpSession, headers: Mapping[str, str] | None = None) -> None:
        self.session = session
        self.headers: dict[str, str] = dict(headers or {})
        """Sent with every request of this VU (e.g. an Authorization set after logging in)."""
        self._conns: dict[Origin, HttpConnection] = {}
        self._last_origin: Origin | None = None
        self._last_conn: HttpConnection | None = None
        """The connection of the origin used last: found by identity (a plan's Origin is the same object
        every time), where ``_conns`` would hash the Origin, a dataclass, in Python on every request."""
        self._names: dict[str, RequestRecording] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        """The loop this client's connections were opened in (asking asyncio per request costs a syscall
        on Python 3.11: get_running_loop checks the pid)."""
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
        self._last_origin = self._last_conn = None

    # The verbs take the options as keywords of their own and hand back _send()'s coroutine: no kwargs
    # dict and no coroutine frame of their own per request; ``await ctx.http.get(...)`` reads the same.
    def get(
        self,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        tags: Mapping[str, str] | None = None,
        http2: bool | None = None,
    ) -> Coroutine[Any, Any, Response]:
        return self._send("GET", url, name, headers, json, body, tags, http2)

    def post(
        self,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        tags: Mapping[str, str] | None = None,
        http2: bool | None = None,
    ) -> Coroutine[Any, Any, Response]:
        return self._send("POST", url, name, headers, json, body, tags, http2)

    def put(
        self,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        tags: Mapping[str, str] | None = None,
        http2: bool | None = None,
    ) -> Coroutine[Any, Any, Response]:
        return self._send("PUT", url, name, headers, json, body, tags, http2)

    def patch(
        self,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        tags: Mapping[str, str] | None = None,
        http2: bool | None = None,
    ) -> Coroutine[Any, Any, Response]:
        return self._send("PATCH", url, name, headers, json, body, tags, http2)

    def delete(
        self,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        tags: Mapping[str, str] | None = None,
        http2: bool | None = None,
    ) -> Coroutine[Any, Any, Response]:
        return self._send("DELETE", url, name, headers, json, body, tags, http2)

    def head(
        self,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        tags: Mapping[str, str] | None = None,
        http2: bool | None = None,
    ) -> Coroutine[Any, Any, Response]:
        return self._send("HEAD", url, name, headers, json, body, tags, http2)

    def request(
        self,
        method: str,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
        tags: Mapping[str, str] | None = None,
        http2: bool | None = None,
    ) -> Coroutine[Any, Any, Response]:
        """Send one request and wait for its response; stats go under ``name`` (default: METHOD path) and,
        for each tag, under ``key=value`` too (thresholds filter on them: ``http{kind=write}.p95``).
        ``http2``: send it over HTTP/2 (True) or HTTP/1.1 (False); None: the scenario's ``http2``."""
        return self._send(method, url, name, headers, json, body, tags, http2)

    def _plan(
        self,
        method: str,
        url: str,
        given_name: str | None,
        headers: Mapping[str, str] | None,
        json: Any,
        body: bytes | str | None,
        tags: Mapping[str, str] | None,
    ) -> RequestPlan:
        session = self.session
        origin, path, auth = session.target(url)
        name = given_name or f"{method} {path.split('?', 1)[0]}"
        rec = self._names.get(name)
        if rec is None:
            rec = RequestRecording(session.recorder.for_name(name, http_status_kind), True)
            if len(self._names) < NAME_CACHE_MAX:  # per VU: bounded however many URLs the script makes up
                self._names[name] = rec
        recs = (rec, *_tagged(session.recorder, tags, rec)) if tags else (rec,)
        if headers:
            check_given_headers(headers, f"ctx.http.{method.lower()}({url!r})")
        hdrs = _merged(self.headers, headers) if (self.headers or headers) else []
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            if not any(k.lower() == "content-type" for k, _ in hdrs):
                hdrs.append(("Content-Type", "application/json"))
        elif isinstance(body, str):
            body = body.encode()
        data = session.encoded(method, origin, path, hdrs, body, auth)
        plan = RequestPlan(method, given_name, name, origin, data, rec, recs)
        if not (hdrs or body is not None or tags) and len(session.plans) < NAME_CACHE_MAX:
            session.plans[url] = plan
        return plan

    async def _send(
        self,
        method: str,
        url: str,
        name: str | None,
        headers: Mapping[str, str] | None,
        json: Any,
        body: bytes | str | None,
        tags: Mapping[str, str] | None,
        http2: bool | None = None,
    ) -> Response:
        session = self.session
        if session.http2 if http2 is None else http2:  # the one branch HTTP/2 costs this path
            return await session.h2().send(self, method, url, name, headers, json, body, tags)
        plan = None
        if headers is None and json is None and body is None and tags is None and not self.headers:
            plan = session.plans.get(url)
            if plan is not None and (plan.method != method or plan.given_name != name):
                plan = None
        if plan is None:
            plan = self._plan(method, url, name, headers, json, body, tags)
        origin, data, recs = plan.origin, plan.data, plan.recs
        intended = self.intended_ns
        self.intended_ns = 0
        for attempt in (0, 1):
            if origin is self._last_origin:
                conn = self._last_conn
            else:
                conn = self._last_conn = self._conns.get(origin)
                self._last_origin = origin
            if conn is None or conn.closed:
                try:
                    conn = await self._connect(origin, plan.rec)
                except ConnectError as exc:
                    for r in recs:
                        r.rec.error(exc.kind)
                    if exc.kind in (ErrorKind.TLS.value, ErrorKind.FD_LIMIT.value):
                        session.warn(f"{exc.kind} connecting to {origin.host_header}: {exc.detail}")
                    self._conn_failures += 1
                    await session.clock.sleep(connect_backoff_s(self._conn_failures))
                    if self.on_done is not None:
                        self.on_done(False)
                    return Response(0, [], b"", 0.0, url, plan.name, exc.kind, exc.detail)
                self._conn_failures = 0
            fut: asyncio.Future[str | None] = self._loop.create_future()  # type: ignore[union-attr]
            conn.user = fut
            conn.intended_ns = intended
            session.busy.add(conn)
            size = len(data)
            for r in recs:
                r.rec.bytes_out += size
            conn.send(data, plan.head)
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
            if failure is None:
                response = self._answer(conn, recs, url, plan.name)
            elif attempt == 0 and method in IDEMPOTENT and conn.is_stale(failure):
                continue  # the keep-alive connection was closed under us before any byte: resend once
            else:
                response = self._failed(conn, recs, url, plan.name, failure)
            if self.on_done is not None:
                self.on_done(response.ok)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def warm(self) -> None:
        """Open the connection to the base URL ahead of use (not recorded: it happens before the clock).
        A failure is left for the first real request to meet and count."""
        base = self.session.base
        if base is not None and not self.session.http2 and base not in self._conns:
            with contextlib.suppress(ConnectError):
                await self._connect(base, None)

    async def _connect(self, origin: Origin, rec: RequestRecording | None) -> HttpConnection:
        session = self.session
        ep = session.endpoint(origin)
        max_body, now_ns = session.max_body_bytes, session.clock.now_ns
        self._loop = asyncio.get_running_loop()
        conn = await open_connection(
            ep, lambda: HttpConnection(session, capture_body=True, max_body=max_body, now_ns=now_ns)
        )
        if rec is not None:
            rec.connected(conn, ep.ssl_context is not None)
        self._conns[origin] = conn
        self._last_origin, self._last_conn = origin, conn
        session.conns.add(conn)
        return conn

    def _answer(
        self, conn: HttpConnection, recs: tuple[RequestRecording, ...], url: str, name: str
    ) -> Response:
        for rec in recs:
            rec.response(conn)
        reader: ResponseReader = conn.reader  # type: ignore[assignment]  # capture_body: always a full one
        elapsed = (conn.last_rx_ns - conn.sent_ns) / 1e6
        return Response(
            reader.status, None, reader.body, elapsed, url, name, None, None, reader.truncated, reader.head
        )

    def _failed(
        self, conn: HttpConnection, recs: tuple[RequestRecording, ...], url: str, name: str, failure: str
    ) -> Response:
        now = self.session.clock.now_ns()
        for rec in recs:
            rec.failure(conn, failure, now)
        return Response(0, [], b"", (now - conn.sent_ns) / 1e6, url, name, failure)


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
