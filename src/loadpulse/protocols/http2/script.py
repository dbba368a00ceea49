"""``ctx.http`` over HTTP/2: the scripted client's requests as streams on connections every VU shares.

Chosen per request (``await ctx.http.get(url, http2=True)``) or for the whole file (``http2 = True`` at
module level); the script gets the same :class:`~loadpulse.protocols.http.script_response.Response`.
Where the HTTP/1.1 client keeps one connection per VU and origin, HTTP/2 multiplexes: one pool per origin
for the run (:class:`~loadpulse.protocols.http2.pool.H2Pool`), connections opened as the streams in
flight outgrow them (``STREAMS`` each, or the server's SETTINGS_MAX_CONCURRENT_STREAMS). A VU waits on one
Future per request, as on HTTP/1.1. A failed request returns a Response with ``error`` set, never raises.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from loadpulse.errors import BadInput
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.connect import ConnectError, Endpoint
from loadpulse.protocols.http.script_response import Response
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.protocols.http.url import Origin
from loadpulse.protocols.http2.connect import NotHttp2, h2_ssl_context, open_h2
from loadpulse.protocols.http2.connection import Http2Connection
from loadpulse.protocols.http2.pool import H2Pool
from loadpulse.protocols.http2.request import h2_request
from loadpulse.protocols.http2.stream import H2Request, H2Stream, StreamRecording
from loadpulse.protocols.session import NAME_CACHE_MAX

if TYPE_CHECKING:
    from loadpulse.protocols.http.client import HttpClient
    from loadpulse.protocols.http.script_session import HttpSession

STREAMS = 100
"""Streams per connection for scripts (the one-liner's ``--streams-per-connection`` default)."""
MAX_CONNS = 256
"""Connections per origin at most: room for 25,600 requests in flight at once."""


class H2ScriptSession:
    """What every VU's HTTP/2 requests share within a run; it is the sink of every pool's streams."""

    def __init__(self, http: HttpSession) -> None:
        self.http = http
        self.pools: dict[Origin, H2Pool] = {}
        self.unrecorded: dict[Origin, Http2Connection] = {}
        """Connections :meth:`check` opened before the load: counted with their origin's first request."""
        self.names: dict[str, StreamRecording] = {}
        self.plain: dict[tuple[str, str], H2Request] = {}
        """(method, URL) -> the request a plain ``get(url)`` sends (no headers, body or tags of its own)."""
        t = http.timeouts
        self._sweeper = asyncio.ensure_future(self._sweep(t.total_ns, t.read_ns, t.period_s))

    # pools ----------------------------------------------------------------------------------------------
    def pool(self, origin: Origin) -> H2Pool:
        pool = self.pools.get(origin)
        if pool is None:
            http = self.http
            ssl_context = h2_ssl_context(http.insecure) if origin.tls else None
            endpoint = Endpoint.resolved(origin, ssl_context, http.connect_timeout_s)
            pool = self.pools[origin] = H2Pool(
                endpoint, self, http.clock, STREAMS, MAX_CONNS, max_body=http.max_body_bytes, warn=http.warn
            )
        return pool

    async def check(self, origin: Origin) -> None:
        """Bad input when the server at ``origin`` answers but does not speak HTTP/2 (before the load);
        a server that does not answer is left for the run to count. The connection is kept for the run."""
        pool = self.pool(origin)
        try:
            conn = await open_h2(pool.endpoint, pool.new_connection)
        except NotHttp2 as exc:
            raise BadInput(f"{exc.detail} (http2 = True in the scenario)") from None
        except ConnectError as exc:
            pool.say_failed_connect(exc)  # the run counts it; why (e.g. no SETTINGS) is said once
            return
        pool.adopt(conn)
        self.unrecorded[origin] = conn

    async def _sweep(self, total_ns: int, read_ns: int, period_s: float) -> None:
        clock = self.http.clock
        while True:
            await clock.sleep(period_s)
            now = clock.now_ns()
            for pool in list(self.pools.values()):
                pool.sweep(now, total_ns, read_ns)

    def in_flight(self) -> int:
        return sum(p.in_flight() for p in self.pools.values())

    def connection_count(self) -> int:
        return sum(len(p.conns) for p in self.pools.values())

    def close(self) -> None:
        self._sweeper.cancel()
        for pool in self.pools.values():
            for stream in list(pool.outstanding()):
                self.failed(stream, ErrorKind.UNFINISHED.value)
            pool.close()

    # StreamSink -----------------------------------------------------------------------------------------
    def done(self, stream: H2Stream) -> None:
        fut = stream.user[0]
        if not fut.done():
            fut.set_result(None)

    def failed(self, stream: H2Stream, kind: str) -> None:
        fut = stream.user[0]
        if not fut.done():
            fut.set_result(kind)

    def connected(self, conn: Http2Connection, waiting: H2Stream | None) -> None:
        if waiting is not None:
            waiting.user[1].connected(conn, conn.tls_us > 0)

    def capacity_changed(self) -> None:
        pass  # each VU sends its next request when it likes: nothing to keep in flight

    # requests -------------------------------------------------------------------------------------------
    def _recording(self, name: str) -> StreamRecording:
        rec = self.names.get(name)
        if rec is None:
            rec = StreamRecording(self.http.recorder.for_name(name, http_status_kind), True)
            if len(self.names) < NAME_CACHE_MAX:
                self.names[name] = rec
        return rec

    def _request(
        self,
        client: HttpClient,
        method: str,
        url: str,
        name: str,
        origin: Origin,
        path: str,
        auth: str | None,
        headers: Mapping[str, str] | None,
        json: Any,
        body: bytes | str | None,
    ) -> H2Request:
        plain = not (headers or client.headers or json is not None or body is not None)
        if plain:
            request = self.plain.get((method, url))
            if request is not None and request.name == name:
                return request
        hdrs = list(client.headers.items())
        if headers:
            given = {k.lower() for k in headers}
            hdrs = [*((k, v) for k, v in hdrs if k.lower() not in given), *headers.items()]
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            if not any(k.lower() == "content-type" for k, _ in hdrs):
                hdrs.append(("Content-Type", "application/json"))
        elif isinstance(body, str):
            body = body.encode()
        if auth is not None and not any(k.lower() == "authorization" for k, _ in hdrs):
            hdrs.append(("Authorization", auth))
        request = h2_request(name, method, origin, path, hdrs, body)
        if plain and len(self.plain) < NAME_CACHE_MAX:
            self.plain[(method, url)] = request
        return request

    async def send(
        self,
        client: HttpClient,
        method: str,
        url: str,
        given_name: str | None,
        headers: Mapping[str, str] | None,
        json: Any,
        body: bytes | str | None,
        tags: Mapping[str, str] | None,
    ) -> Response:
        http = self.http
        origin, path, auth = http.target(url)
        name = given_name or f"{method} {path.split('?', 1)[0]}"
        rec = self._recording(name)
        recs = (rec, *_tagged(http, tags, rec)) if tags else (rec,)
        request = self._request(client, method, url, name, origin, path, auth, headers, json, body)
        stream = H2Stream(request, client.intended_ns, capture=True)
        client.intended_ns = 0
        fut: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        stream.user = (fut, rec)
        if self.unrecorded:
            opened = self.unrecorded.pop(origin, None)
            if opened is not None:
                rec.connected(opened, opened.tls_us > 0)  # type: ignore[arg-type]  # reads connect_us/tls_us
        self.pool(origin).dispatch(stream)
        try:
            failure = await fut
        except asyncio.CancelledError:
            for r in recs:
                r.stream_unfinished(stream)
            raise
        if failure is None:
            for r in recs:
                r.stream_done(stream)
            head = [(k, v) for k, v in stream.headers or () if not k.startswith(b":")]
            response = Response(
                stream.status,
                head,
                b"".join(stream.parts or ()),
                (stream.last_rx_ns - stream.began_ns) / 1e6,  # the wait for a resend's connection too
                url,
                name,
                truncated=stream.truncated,
            )
        else:
            now = http.clock.now_ns()
            for r in recs:
                r.stream_failed(stream, failure, now)
            since = stream.began_ns or now
            response = Response(0, [], b"", (now - since) / 1e6, url, name, failure)
        if client.on_done is not None:
            client.on_done(response.ok)
        return response


def _tagged(http: HttpSession, tags: Mapping[str, str], like: StreamRecording) -> tuple[StreamRecording, ...]:
    recorder = http.recorder
    return tuple(StreamRecording(recorder.for_tag(k, str(v), like.rec), True) for k, v in tags.items())
