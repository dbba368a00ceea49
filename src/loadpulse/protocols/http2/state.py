"""The h2 library's client connection tuned for load: what loadpulse keeps of its state machine, and what
it takes off the library's per-request path (each measured: docs/http2.md, "Cost").

- After a GOAWAY the streams at or below its last id are still answered (RFC 9113 6.8), where the library's
  machine would close and refuse their frames (:class:`_GoawayTolerantMachine`).
- :class:`LeanH2Connection` opens a stream from an HPACK block made once (``send_block``), is told which
  streams ended (``forget``) instead of walking all of them per request, and skips formatting every
  received frame for a trace log. It relies on h2 4.x internals (``_begin_new_stream``,
  ``_frame_dispatch_table``, ``_closed_streams``, ``_data_to_send``); the fed-bytes tests
  (tests/protocols/http2/test_h2_connection.py) hold it to the library's behaviour.
"""

from __future__ import annotations

from typing import cast

from h2.config import H2Configuration
from h2.connection import (
    AllowedStreamIDs,
    ConnectionInputs,
    ConnectionState,
    H2Connection,
    H2ConnectionStateMachine,
)
from h2.errors import ErrorCodes
from h2.events import Event
from h2.exceptions import StreamClosedError, StreamIDTooLowError
from h2.settings import SettingCodes, Settings
from h2.stream import StreamInputs
from hyperframe.frame import Frame, RstStreamFrame

from loadpulse.protocols.http2.hpack_blocks import CachingDecoder, StatelessEncoder
from loadpulse.protocols.http2.stream import H2Request

WINDOW = 1 << 24
"""Receive window advertised per stream and added to the connection's: 16 MiB, so large bodies flow with
few WINDOW_UPDATEs (the memory it allows is bounded by the body limit, not by the window)."""
_END_HEADERS = b"\x01\x04"
_END_STREAM_HEADERS = b"\x01\x05"

_TOLERANT = {
    **H2ConnectionStateMachine._transitions,
    (ConnectionState.CLIENT_OPEN, ConnectionInputs.RECV_GOAWAY): (None, ConnectionState.CLIENT_OPEN),
    (ConnectionState.IDLE, ConnectionInputs.RECV_GOAWAY): (None, ConnectionState.IDLE),
}


class _GoawayTolerantMachine(H2ConnectionStateMachine):
    """After a GOAWAY the streams at or below its last id are still answered (RFC 9113 6.8); the library's
    machine closes the connection and would refuse their frames. New streams are refused by
    :attr:`Http2Connection.draining` instead."""

    def __init__(self) -> None:
        super().__init__()
        self._transitions = _TOLERANT


class LeanH2Connection(H2Connection):
    """The library's connection, told which streams are over instead of finding out: it counted open
    streams by walking all of them on every request sent (a tenth of a small request's cost with 100 in
    flight). :class:`Http2Connection` keeps below the server's limit itself and :meth:`forget`s each
    stream that ended."""

    @property
    def open_outbound_streams(self) -> int:
        return len(self.streams)

    def send_block(self, stream_id: int, request: H2Request, end_stream: bool) -> None:
        """Open a stream with ``request``'s HPACK block made once (hpack_blocks.py): what ``send_headers``
        does, less re-encoding the headers, checking them and building frame objects per request."""
        block = request.block
        encoder: StatelessEncoder = self.encoder  # type: ignore[assignment]
        if len(block) > self.max_outbound_frame_size or encoder.pending:
            self.send_headers(stream_id, request.headers, end_stream=end_stream)
            return
        self.state_machine.process_input(ConnectionInputs.SEND_HEADERS)
        stream = self._begin_new_stream(stream_id, AllowedStreamIDs.ODD)
        machine = stream.state_machine
        machine.process_input(StreamInputs.SEND_HEADERS)
        if end_stream:
            machine.process_input(StreamInputs.SEND_END_STREAM)
        stream.request_method = request.method
        # HEADERS frame: length, type 1, flags END_HEADERS (4) | END_STREAM (1), stream id, block.
        self._data_to_send += (
            len(block).to_bytes(3, "big")
            + (_END_STREAM_HEADERS if end_stream else _END_HEADERS)
            + stream_id.to_bytes(4, "big")
            + block
        )

    def _receive_frame(self, frame: Frame) -> list[Event]:
        """The library's own (h2 4.1-4.4), less the ``repr()`` of every frame it formats for a trace log
        before it knows whether anyone reads it: 12 % of the CPU a small request costs."""
        try:
            frames, events = self._frame_dispatch_table[frame.__class__](frame)
        except StreamClosedError as e:
            # Closed by RST_STREAM: a stream error, answered with RST_STREAM; else a connection error.
            if not self._stream_is_closed_by_reset(e.stream_id):
                raise
            f = RstStreamFrame(e.stream_id)
            f.error_code = e.error_code
            self._prepare_for_sending([f])
            closed_events: list[Event] = e._events
            return closed_events
        except StreamIDTooLowError as e:
            if self._stream_is_closed_by_reset(e.stream_id):
                f = RstStreamFrame(e.stream_id)
                f.error_code = ErrorCodes.STREAM_CLOSED
                self._prepare_for_sending([f])
                return []
            if self._stream_is_closed_by_end(e.stream_id):
                raise StreamClosedError(e.stream_id) from e
            raise
        self._prepare_for_sending(frames)
        return cast(list[Event], events)

    def oversized_frame(self) -> int:
        """The length a partly received frame claims when it is above what we allow (else 0): the library
        checks a frame's length only once the whole frame has arrived, so a server claiming 14 MiB would
        have us buffer until it sent them."""
        pending: bytearray = self.incoming_buffer._data
        if len(pending) < 9:
            return 0
        length = int.from_bytes(pending[:3], "big")
        return length if length > self.incoming_buffer.max_frame_size else 0

    def forget(self, stream_id: int) -> None:
        stream = self.streams.pop(stream_id, None)
        if stream is not None:
            self._closed_streams[stream_id] = stream.closed_by


def new_h2() -> LeanH2Connection:
    """A client-side h2 state machine set up for load: header checks off (we send what the user gave;
    responses are not ours to police), a stateless HPACK encoder, push off, large receive windows."""
    config = H2Configuration(
        client_side=True,
        header_encoding=None,
        validate_outbound_headers=False,
        normalize_outbound_headers=False,
        validate_inbound_headers=False,
        normalize_inbound_headers=False,
    )
    h2 = LeanH2Connection(config)
    h2.state_machine = _GoawayTolerantMachine()
    h2.encoder = StatelessEncoder()  # type: ignore[assignment]  # encode() and header_table_size alike
    decoder = CachingDecoder()
    decoder.max_header_list_size = h2.decoder.max_header_list_size
    h2.decoder = decoder
    h2.local_settings = Settings(
        client=True,
        initial_values={
            SettingCodes.ENABLE_PUSH: 0,
            SettingCodes.INITIAL_WINDOW_SIZE: WINDOW,
        },
    )
    return h2
