"""What a :class:`~loadpulse.protocols.http2.connection.Http2Connection` tells the one who owns its streams
(the pool): each stream's end, and changes in what the connection takes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from loadpulse.protocols.http2.stream import H2Stream

if TYPE_CHECKING:
    from loadpulse.protocols.http2.connection import Http2Connection


class StreamOwner(Protocol):
    stop_by_ns: int
    """Past this the run's drain is over: a connection stops reading (what it still has is unfinished)."""

    def warn(self, message: str) -> None:
        """Said once at the end of the run, however often it happens (a misbehaving server)."""

    def on_stream_done(self, conn: Http2Connection, stream: H2Stream) -> None: ...
    def on_stream_failed(self, conn: Http2Connection, stream: H2Stream, kind: str) -> None: ...
    def on_stream_unsent(
        self, conn: Http2Connection, stream: H2Stream, kind: str, counted: bool = True
    ) -> None:
        """The server did not process ``stream`` (GOAWAY above its id, REFUSED_STREAM, the connection
        closed before it was sent): it may be sent again elsewhere, or failed as ``kind``. ``counted``:
        False when the server went away gracefully after processing streams on the connection (nginx's
        keepalive_requests), which bounds itself and must not use up the stream's resends."""

    def on_closed(self, conn: Http2Connection) -> None: ...
    def on_capacity(self, conn: Http2Connection) -> None:
        """How many streams ``conn`` takes changed: the server's SETTINGS, or it is draining (GOAWAY)."""
