"""A server-streaming gRPC call as the script iterates it, measured as one request.

The call starts when the script first reads it (``async for``), so a stream made and never read costs
nothing (and is said in a warning). A stream the script drops before its end (``break`` or an exception in
the loop, outside ``async with``) is cancelled when Python frees it, at once in CPython, and said in a
warning, uncounted: from there it cannot tell a ``break`` from an exception, which the engine counts as a
``script_error``.
Inside ``async with``, a ``break`` counts the stream as done and an exception leaves it to the engine.

The stream is one request of its name: latency to its end (from the intended start, open model), time to
its first message as TTFB, a status other than OK as ``grpc_<status>``. Per stream, the number of messages
and the gaps between consecutive ones go to two trends (custom metrics, so thresholds, reports and the
worker merge carry them): ``grpc_stream_messages`` and ``grpc_stream_gap_ms``.
"""

from __future__ import annotations

import asyncio
from time import perf_counter_ns
from types import TracebackType
from typing import TYPE_CHECKING, Any

from loadpulse.metrics import protocol_metrics
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.grpc.failures import count_failure, pause_if_refused

if TYPE_CHECKING:
    from loadpulse.protocols.grpc.plugin import GrpcClient

MESSAGES = protocol_metrics.GRPC_STREAM_MESSAGES
GAP_MS = protocol_metrics.GRPC_STREAM_GAP_MS


class Stream:
    __slots__ = (
        "_call",
        "_channel",
        "_client",
        "_deadline",
        "_intended",
        "_last",
        "_metadata",
        "_msg",
        "_rec",
        "_sent",
        "_session",
        "_stub",
        "code",
        "count",
        "details",
    )

    def __init__(
        self,
        stub: Any,
        msg: Any,
        metadata: Any,
        deadline: float,
        channel: Any,
        client: GrpcClient,
        rec: NameRecorder,
        intended: int,
    ) -> None:
        self._stub = stub
        self._msg = msg
        self._metadata = metadata
        self._deadline = deadline
        self._channel = channel
        self._call: Any = None
        """The RPC, once the script has started reading."""
        self._session = client.session
        self._client = client
        self._rec = rec
        self._intended = intended
        self._sent = 0
        self._last = 0
        self.count = 0
        """Messages received so far."""
        self.code: str | None = None
        """The status name once the stream ended (``OK``, ``UNAVAILABLE`` …); None while it runs."""
        self.details = ""

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    def __aiter__(self) -> Stream:
        return self

    def _start(self) -> Any:
        session = self._session
        metrics = session.recorder.metrics
        metrics.declare(MESSAGES, "trend")
        metrics.declare(GAP_MS, "trend")
        self._rec.bytes_out += self._msg.ByteSize()
        session.running += 1
        self._sent = perf_counter_ns()
        call = self._call = self._stub(self._msg, timeout=self._deadline, metadata=self._metadata)
        return call

    async def __anext__(self) -> Any:
        if self.code is not None:
            raise StopAsyncIteration
        session = self._session
        call = self._call or self._start()
        try:
            msg = await call.read()
        except session.grpc.aio.AioRpcError as exc:
            await self._failed(exc)
            raise StopAsyncIteration from None
        except asyncio.CancelledError:
            self._end(None)  # cancelled as the run ended
            raise
        except BaseException:
            self._stop()
            raise
        now = perf_counter_ns()
        if msg is session.grpc.aio.EOF:
            self._end(now)
            raise StopAsyncIteration
        if self._last:
            session.recorder.metrics.add_trend(GAP_MS, (now - self._last) / 1e6)
        else:
            self._rec.ttfb.append((now - self._sent) // 1000)
        self._last = now
        self.count += 1
        self._rec.bytes_in += msg.ByteSize()
        return msg

    async def __aenter__(self) -> Stream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.code is not None or self._call is None:
            return
        if kind is None:
            # Left early by the script: the stream did what it was asked for, and is cancelled.
            self._call.cancel()
            self._end(perf_counter_ns())
        elif issubclass(kind, asyncio.CancelledError):
            self._call.cancel()
            self._end(None)
        else:
            self._stop()  # the script's exception: the engine counts it, once

    def __del__(self) -> None:
        if self.code is not None:
            return
        try:
            if self._call is None:
                self._session.unstarted_streams += 1
            else:
                self._stop()
                self._session.unread_streams += 1
        except Exception:  # freed as the interpreter ends: nothing left to tell
            pass

    def _stop(self) -> None:
        """Cancelled without counting it as a request (the script failed, or dropped it)."""
        self.code = "CANCELLED"
        self._session.running -= 1
        self._call.cancel()

    async def _failed(self, exc: Any) -> None:
        session = self._session
        session.running -= 1
        self.code, self.details = count_failure(
            session, self._rec, exc, self._sent, self._intended, self._deadline
        )
        session.recorder.metrics.add_trend(MESSAGES, self.count)
        await pause_if_refused(session, self._client, self._channel, self.code)
        if self._client.on_done is not None:
            self._client.on_done(False)

    def _end(self, now: int | None) -> None:
        """Ended well at ``now``, or (None) cancelled as the run ended."""
        self.code = "OK" if now is not None else "CANCELLED"
        self._session.running -= 1
        rec = self._rec
        if now is None:
            rec.error(ErrorKind.UNFINISHED.value)
        else:
            rec.lat.append((now - (self._intended or self._sent)) // 1000)
            if self._intended:
                rec.svc.append((now - self._sent) // 1000)
            rec.done += 1
            if self._client.failures:
                self._client.failures = 0
        self._session.recorder.metrics.add_trend(MESSAGES, self.count)
        if self._client.on_done is not None:
            self._client.on_done(now is not None)

    def __repr__(self) -> str:
        return f"<Stream {self.code or 'open'} {self.count} messages>"
