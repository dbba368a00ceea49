"""How a gRPC call that ended with a status other than OK is counted, and what the user is told of it.

- A client deadline (the call ran to its ``timeout``) stays in the latency record at the moment it was
  given up on, as an HTTP timeout does. A server's own ``DEADLINE_EXCEEDED`` before that is a failed reply
  like any other status.
- ``UNAVAILABLE`` on a channel that is not connected is a connection failure: grpc fails such calls at once
  (no suspension), so a VU would spin tens of thousands of them a second. The VU pauses after each, 10 ms
  doubling to 1 s, as HTTP and WebSocket connects do (:func:`connect_backoff_s`), reset by a success.
- gRPC's details (``Received message larger than max (5242885 vs 4194304)``) are said once at the end of the
  run, counted, for the first :data:`MAX_DISTINCT` distinct (kind, details).
"""

from __future__ import annotations

from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.http.connect import connect_backoff_s

if TYPE_CHECKING:
    from loadpulse.protocols.grpc.plugin import GrpcClient, GrpcProtocol

MAX_DISTINCT = 10


class StatusTally:
    """Failed calls by (kind, details), for the run's warnings."""

    __slots__ = ("counts", "more")

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.more = 0
        """Failures whose (kind, details) came after the first MAX_DISTINCT."""

    def add(self, kind: str, details: str) -> None:
        key = (kind, details)
        if key in self.counts:
            self.counts[key] += 1
        elif len(self.counts) < MAX_DISTINCT:
            self.counts[key] = 1
        else:
            self.more += 1

    def warnings(self) -> list[str]:
        said = [f"{kind} x{n:,}: {details or '(no details)'}" for (kind, details), n in self.counts.items()]
        if self.more:
            said.append(f"{self.more:,} more failed gRPC calls with other statuses or details")
        return said


def count_failure(
    session: GrpcProtocol,
    rec: NameRecorder,
    exc: Any,
    sent: int,
    intended: int,
    deadline_s: float,
) -> tuple[str, str]:
    """Count the failed call ``exc`` (an AioRpcError); its status name and details."""
    now = perf_counter_ns()
    code, details = exc.code(), exc.details() or ""
    kind = session.kinds.get(code, "grpc_unknown")
    # grpc starts the deadline's clock after ``sent``: a call that lasted its whole timeout is the client's.
    if code is session.grpc.StatusCode.DEADLINE_EXCEEDED and now - sent >= deadline_s * 0.99e9:
        rec.lat.append((now - (intended or sent)) // 1000)
    else:
        session.tally.add(kind, details)
    rec.error(kind)
    return code.name, details


async def pause_if_refused(session: GrpcProtocol, client: GrpcClient, channel: Any, code: str) -> None:
    """After a connection failure, this VU's next call waits (see the module's doc)."""
    grpc = session.grpc
    if code != "UNAVAILABLE" or channel.get_state() is grpc.ChannelConnectivity.READY:
        return
    client.failures += 1
    await session.clock.sleep(connect_backoff_s(client.failures))
