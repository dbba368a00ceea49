"""A server-streaming gRPC call as the script iterates it, measured as one request.

The stream is one request of its name: latency to its end (from the intended start, open model), time to
its first message as TTFB, a status other than OK as ``grpc_<status>``. Per stream, the number of messages
and the gaps between consecutive ones go to two trends (custom metrics, so thresholds, reports and the
worker merge carry them): ``grpc_stream_messages`` and ``grpc_stream_gap_ms``.
"""

from __future__ import annotations

from time import perf_counter_ns
from types import TracebackType
from typing import TYPE_CHECKING, Any

from loadpulse.metrics import protocol_metrics
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder

if TYPE_CHECKING:
    from loadpulse.protocols.grpc.plugin import GrpcClient, GrpcProtocol

MESSAGES = protocol_metrics.GRPC_STREAM_MESSAGES
GAP_MS = protocol_metrics.GRPC_STREAM_GAP_MS


class Stream:
    __slots__ = (
        "_call",
        "_client",
        "_intended",
        "_last",
        "_rec",
        "_sent",
        "_session",
        "code",
        "count",
        "details",
    )

    def __init__(
        self,
        call: Any,
        session: GrpcProtocol,
        client: GrpcClient,
        rec: NameRecorder,
        intended: int,
        sent: int,
    ) -> None:
        self._call = call
        self._session = session
        self._client = client
        self._rec = rec
        self._intended = intended
        self._sent = sent
        self._last = 0
        self.count = 0
        """Messages received so far."""
        self.code: str | None = None
        """The status name once the stream ended (``OK``, ``UNAVAILABLE`` …); None while it runs."""
        self.details = ""
        session.running += 1
        metrics = session.recorder.metrics
        metrics.declare(MESSAGES, "trend")
        metrics.declare(GAP_MS, "trend")

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> Any:
        if self.code is not None:
            raise StopAsyncIteration
        session = self._session
        try:
            msg = await self._call.read()
        except session.grpc.aio.AioRpcError as exc:
            self._failed(exc.code(), exc.details() or "")
            raise StopAsyncIteration from None
        except BaseException:
            self._end(None)
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
        if self.code is None:
            # Left early by the script: the stream did what it was asked for, and is cancelled.
            self._call.cancel()
            self._end(perf_counter_ns() if kind is None else None)

    def _failed(self, code: Any, details: str) -> None:
        now = perf_counter_ns()
        session = self._session
        self.code, self.details = code.name, details
        session.running -= 1
        if code is session.grpc.StatusCode.DEADLINE_EXCEEDED:
            self._rec.lat.append((now - (self._intended or self._sent)) // 1000)
        self._rec.error(session.kinds.get(code, "grpc_unknown"))
        session.recorder.metrics.add_trend(MESSAGES, self.count)
        if self._client.on_done is not None:
            self._client.on_done(False)

    def _end(self, now: int | None) -> None:
        """Ended well at ``now``, or (None) interrupted: cancelled as the run ended, or the script raised."""
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
        self._session.recorder.metrics.add_trend(MESSAGES, self.count)
        if self._client.on_done is not None:
            self._client.on_done(now is not None)

    def __repr__(self) -> str:
        return f"<Stream {self.code or 'open'} {self.count} messages>"
