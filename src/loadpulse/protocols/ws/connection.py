"""One open WebSocket connection: what ``async with ctx.ws.connect(...) as ws`` gives the script.

picows calls :class:`~.frames.Frames` for every frame (in Cython, on the transport's data callback); a message
ends as a reply to a waiting ``request()`` (its round trip recorded at the arrival), or in the inbox for
``recv()`` (its gap since the previous such message recorded as a push gap). How the connection ended
is counted once under the kind of its close code (:mod:`.close_codes`): on the requests it cut short, else
on its name as a connection error (an error of its kind that is not a request: ``NameRecorder.end``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from picows import WSCloseCode, WSMsgType, WSTransport

from loadpulse.bounds import MAX_DURATION_S
from loadpulse.errors import BadInput
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.ws.close_codes import ABNORMAL, NORMAL, close_kind, parse_close, valid_close_code
from loadpulse.protocols.ws.errors import Closed, RequestTimeout, WsError
from loadpulse.protocols.ws.frames import picows_closed, picows_reason
from loadpulse.protocols.ws.matching import matcher
from loadpulse.protocols.ws.pending import Pending, answer_ping, claim, cut_pings, expire, waiting_pings

if TYPE_CHECKING:
    from loadpulse.protocols.ws.client import WsClient

INBOX_MAX = 1024
"""Unread messages kept per connection; older ones are dropped (and counted). A subscriber that never
calls ``recv()`` (it only measures the push gaps) costs this much at most, whatever the server pushes."""
INBOX_BYTES = 1024 * 1024
"""Unread payload kept per connection, in bytes (characters for text): the newest message is always kept."""
SEND_YIELD_EVERY = 64
"""Sends in a row between two yields to the loop while the socket takes everything at once: a script's
``while True: await ws.send(...)`` still lets timers, other VUs and the run's end get their turn."""
CLOSE_WAIT_S = 2.0
"""How long ``close()`` waits for the server's close frame before dropping the connection."""
_TEXT, _BINARY = WSMsgType.TEXT, WSMsgType.BINARY


class WsConnection:
    """``ws`` in ``async with ctx.ws.connect(...) as ws``."""

    Closed = Closed
    Timeout = RequestTimeout

    def __init__(self, client: WsClient, url: str, name: str, rec: NameRecorder) -> None:
        self.client = client
        self.session = client.session
        self.url = url
        self.name = name
        """What the handshake, and how the connection ended, are recorded under."""
        self.rec = rec
        self.transport: WSTransport | None = None
        self.close_code: int | None = None
        """How the connection ended (1006: without a close frame); None while open."""
        self.close_reason = ""
        self.opened_at: str | None = None
        """file:line of an ``await ctx.ws.connect(...)``, one the script closes itself (plugin warns)."""
        self.error: str | None = None
        """The error kind the connection failed with (its connect, or how the server ended it)."""
        self._closing = False
        """This side sent its close frame (the script's close(), the run's end)."""
        # Made on first use: an empty deque is ~600 bytes, a third of what an idle connection costs here.
        self._inbox: deque[str | bytes] | None = None
        self._inbox_size = 0
        self._waiter: asyncio.Future[str | bytes] | None = None
        self._pending: list[Pending] = []
        self._pings: list[tuple[asyncio.Future[float], int, NameRecorder]] = []
        self._last_rx = 0
        self._request_rec: NameRecorder | None = None
        self._loop = asyncio.get_running_loop()
        self._gone: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        """Set while the transport's write buffer is over its high-water mark: send() waits on it."""
        self._sends = 0

    @property
    def pending_count(self) -> int:
        """Requests awaiting their replies."""
        return len(self._pending)

    @property
    def ok(self) -> bool:
        """Open: connected and not closed by either side."""
        return self.transport is not None and self.close_code is None and not self._closing

    # --- what the script calls -------------------------------------------------------------------------

    async def send(self, message: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message; waits while the server is not reading
        fast enough (the write buffer is over its high-water mark)."""
        self._send_one(message)
        if self._drained is not None:
            await asyncio.shield(self._drained)  # shielded: a cancelled sender must not wake the others
        else:
            self._sends += 1
            if self._sends >= SEND_YIELD_EVERY:
                self._sends = 0
                await asyncio.sleep(0)

    async def send_json(self, value: Any) -> None:
        """Send ``value`` as a JSON text message (waits as ``send()`` does)."""
        await self.send(json.dumps(value, separators=(",", ":"), ensure_ascii=False))  # UTF-8, not \u escapes

    async def recv(self, timeout: float | None = None) -> str | bytes:
        """The next message not claimed by a ``request()`` (text as ``str``, binary as ``bytes``);
        ``TimeoutError`` after ``timeout`` seconds without one (no timeout by default: the run's end
        still stops it)."""
        inbox = self._inbox
        if inbox:
            message = inbox.popleft()
            self._inbox_size -= len(message)
            return message
        if self.close_code is not None or self.transport is None:
            raise Closed(self)
        if self._waiter is not None:
            raise RuntimeError(f"{self.name}: another task is already waiting in recv() on this connection")
        waiter: asyncio.Future[str | bytes] = self._loop.create_future()
        self._waiter = waiter
        try:
            if timeout is None:
                return await waiter
            async with asyncio.timeout(timeout):
                return await waiter
        finally:
            self._waiter = None

    async def recv_json(self, timeout: float | None = None) -> Any:
        """The next message, parsed as JSON (``ValueError`` when it is not JSON)."""
        return json.loads(await self.recv(timeout))

    async def recv_until(
        self, predicate: Callable[[str | bytes], object], timeout: float | None = None
    ) -> str | bytes:
        """The first message ``predicate`` accepts, skipping the others; ``TimeoutError`` when none came
        within ``timeout`` seconds in all."""
        if timeout is None:
            while True:
                message = await self.recv()
                if predicate(message):
                    return message
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv()
                if predicate(message):
                    return message

    async def request(
        self, message: Any, match: object = None, timeout: float | None = None, name: str | None = None
    ) -> str | bytes:
        """Send ``message`` (``str``, ``bytes``, or a dict/list sent as JSON) and return its reply, the round
        trip recorded under ``name`` (default: the connection's name + `` request``). ``match`` says which
        message is the reply (:mod:`.matching`). No reply within ``timeout`` seconds (default: the run's
        timeout) is a ``timeout`` failure, raised as :class:`RequestTimeout`."""
        if timeout is not None and not timeout <= MAX_DURATION_S:  # NaN and inf would not convert to ns
            raise BadInput(
                f"{self.name}: request(timeout={timeout!r}): give seconds, at most {MAX_DURATION_S:,.0f} "
                "(30 days), or leave it out for --timeout"
            )
        client = self.client
        if name is None:
            rec = self._request_rec
            if rec is None:
                rec = self._request_rec = client.recorder_of(f"{self.name} request")
        else:
            rec = client.recorder_of(name)
        found = None if match is None else matcher(match, message)
        intended = client.intended_ns
        if intended:
            client.intended_ns = 0
        if isinstance(message, dict | list):
            message = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        session = self.session
        future: asyncio.Future[str | bytes] = self._loop.create_future()
        sent = perf_counter_ns()
        self._send(message, rec)
        wait_ns = session.timeout_ns if timeout is None else int(timeout * 1e9)
        entry = Pending(future, found, rec, sent, intended, sent + wait_ns, name)
        if not self._pending:
            session.watch(self)
        self._pending.append(entry)
        try:
            reply = await future
        except asyncio.CancelledError:
            self._drop_pending(entry)  # no later message may claim it
            raise
        except WsError:
            if client.on_done is not None:
                client.on_done(False)
            raise
        if client.on_done is not None:  # ctx.track: the items this request carried were accepted
            client.on_done(True)
        return reply

    async def ping(self, timeout: float | None = None) -> float:
        """Send a ping and return the milliseconds until its pong, recorded under the connection's
        name + `` ping``."""
        transport = self._open_transport()
        rec = self.client.recorder_of(f"{self.name} ping")
        future: asyncio.Future[float] = self._loop.create_future()
        sent = perf_counter_ns()
        transport.send_ping()
        self._pings.append((future, sent, rec))
        try:
            async with asyncio.timeout(self.session.settings.timeout_s if timeout is None else timeout):
                return await future
        except TimeoutError:
            rec.error(ErrorKind.TIMEOUT.value)
            raise RequestTimeout(f"{self.name}: no pong within the timeout", self) from None

    async def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Close with ``code`` (1000 by default) and wait (a moment at most) for the server's close."""
        if not valid_close_code(code):
            raise ValueError(f"close code {code!r} cannot be sent: use 1000-1003, 1007-1014 or 3000-4999")
        transport = self.transport
        if transport is None or self.close_code is not None:
            return
        if not self._closing:
            self._closing = True
            transport.send_close(WSCloseCode(code), reason.encode())
        gone = self._gone = self._gone or self._loop.create_future()
        try:
            async with asyncio.timeout(CLOSE_WAIT_S):
                await asyncio.shield(gone)
        except TimeoutError:
            pass
        finally:  # no close frame in time, or cancelled while waiting (the run's end): drop it now
            if not gone.done():
                transport.disconnect(False)

    def abort(self) -> None:
        """Drop the connection now (the run ended or the script's task was cancelled)."""
        transport = self.transport
        if transport is not None and self.close_code is None:
            if not self._closing:
                self._closing = True
                transport.send_close(WSCloseCode.GOING_AWAY)
            transport.disconnect()

    # --- what picows' callbacks call ---------------------------------------------------------------------

    def message(self, data: str | bytes, size: int, now: int) -> None:
        self.session.count_in(size)
        pending = self._pending
        if pending:
            first = pending[0]
            if first.match is None:
                del pending[0]
                first.answer(data, size, now)
                return
            if claim(pending, data, size, now):
                return
        self.rec.bytes_in += size
        if self._last_rx:
            self.session.gaps.append((now - self._last_rx) / 1e6)
        self._last_rx = now
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(data)
        else:
            self._keep(data)

    def _keep(self, data: str | bytes) -> None:
        inbox = self._inbox
        if inbox is None:
            inbox = self._inbox = deque()
        inbox.append(data)
        self._inbox_size += len(data)
        while len(inbox) > 1 and (len(inbox) > INBOX_MAX or self._inbox_size > INBOX_BYTES):
            self._inbox_size -= len(inbox.popleft())
            self.session.unread_dropped += 1

    def pause_writing(self) -> None:
        if self._drained is None:
            self._drained = self._loop.create_future()

    def resume_writing(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def pong(self, now: int) -> None:
        answer_ping(self._pings, now)

    def server_closed(self, payload: bytes) -> None:
        code, reason = parse_close(payload)
        self.close_code, self.close_reason = code, reason
        transport = self.transport
        end_kind = close_kind(code) or ErrorKind.WS_CLOSED.value
        if not self._closing:  # not our close: the server's, or picows' own on a protocol error
            self._closing = True
            if picows_closed(self.transport):
                end_kind = ErrorKind.PROTOCOL.value  # this close is the server's answer to picows'
                self._count(end_kind, code, picows_reason(self.transport))
            else:  # the server began the close: answer it, and count how it ended
                self._count(close_kind(code), code, reason)
                if transport is not None:
                    transport.send_close(WSCloseCode(code if valid_close_code(code) else NORMAL))
        if transport is not None:
            transport.disconnect()
        self._end(end_kind)

    def fail(self, kind: str, detail: str) -> None:
        """A protocol failure on our side of the connection: counted, and the connection dropped."""
        if self.close_code is None:
            self.close_code, self.close_reason = ABNORMAL, detail
            self._count(kind, ABNORMAL, detail)
            self._closing = True
            if self.transport is not None:
                self.transport.disconnect(False)
            self._end(kind)

    def disconnected(self) -> None:
        self.session.opened.discard(self)
        end_kind = ErrorKind.WS_ABNORMAL.value
        if self.close_code is None:
            self.close_code = ABNORMAL
            if not self._closing:
                reason = ""
                if picows_closed(self.transport):
                    end_kind, reason = ErrorKind.PROTOCOL.value, picows_reason(self.transport)
                self._count(end_kind, ABNORMAL, reason)
        elif self.error is not None:
            end_kind = self.error
        self._end(end_kind)
        if self._gone is not None and not self._gone.done():
            self._gone.set_result(None)
        self.resume_writing()  # a sender waiting for the buffer to drain gets Closed on its next send

    # --- inside ------------------------------------------------------------------------------------------

    def _count(self, kind: str | None, code: int, reason: str) -> None:
        """Count how the connection ended (not at the run's end: then it is the run's doing), once: on the
        requests and pings it cut short when some were waiting (:meth:`_end`), else on the connection's
        name as an error that is no request (nothing was asked of the server: ok % stays the requests')."""
        if kind is not None and not self.session.closing:
            self.error = kind
            self.session.endings.note(kind, code, reason)
            if not self._pending and not waiting_pings(self._pings):
                self.rec.end(kind)

    def _open_transport(self) -> WSTransport:
        transport = self.transport
        if transport is None or self.close_code is not None or self._closing:
            raise Closed(self)
        return transport

    def _send_one(self, data: str | bytes) -> None:
        """A message with no reply awaited: for ``ctx.track``, sent is accepted."""
        on_done = self.client.on_done
        try:
            self._send(data, self.rec)
        except Closed:
            if on_done is not None:
                on_done(False)
            raise
        if on_done is not None:
            on_done(True)

    def _send(self, data: str | bytes, rec: NameRecorder) -> None:
        transport = self._open_transport()
        if isinstance(data, str):
            raw = data.encode()
            transport.send(_TEXT, raw)
        elif isinstance(data, bytes | bytearray | memoryview):
            raw = bytes(data)
            transport.send(_BINARY, raw)
        else:
            raise TypeError(
                f"{self.name}: send() takes str (text) or bytes (binary), not {type(data).__name__}; "
                "send_json() for other values"
            )
        rec.bytes_out += len(raw)
        self.session.count_out(len(raw))

    def _drop_pending(self, entry: Pending) -> None:
        with contextlib.suppress(ValueError):
            self._pending.remove(entry)

    def expire(self, now: int) -> bool:
        """Fail the requests whose time is up (the session's sweeper calls it); whether any still wait."""
        return expire(self._pending, now, self.name, self)

    def _end(self, kind: str) -> None:
        """Wake whoever waits on the connection: the recv() with Closed, each request with a failure."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(Closed(self))
        end_kind = ErrorKind.UNFINISHED.value if self.session.closing else kind
        while self._pending:
            self._pending.pop(0).fail(end_kind, Closed(self))
        cut_pings(self._pings, end_kind, Closed(self))
