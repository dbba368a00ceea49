"""Http2Connection fed bytes from an in-memory h2 server: GOAWAY, RST_STREAM, flow control, no sockets."""

from __future__ import annotations

import asyncio
from typing import Any

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import StreamReset
from h2.settings import SettingCodes
from hpack import Decoder, Encoder

from loadpulse.protocols.http.url import Origin
from loadpulse.protocols.http2.connection import Http2Connection
from loadpulse.protocols.http2.hpack_blocks import CachingDecoder, table_use
from loadpulse.protocols.http2.pool import NEVER_NS
from loadpulse.protocols.http2.request import h2_request
from loadpulse.protocols.http2.stream import H2Stream


class _Transport:
    def __init__(self) -> None:
        self.out = bytearray()
        self.aborted = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.out += data

    def abort(self) -> None:
        self.aborted = True

    def pause_reading(self) -> None:
        self.paused = True

    def take(self) -> bytes:
        data, self.out = bytes(self.out), bytearray()
        return data


class _Owner:
    stop_by_ns = NEVER_NS

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.capacities: list[int] = []
        self.room_at_done: list[int] = []
        self.done: list[int] = []
        self.failed: list[tuple[int, str]] = []
        self.unsent: list[tuple[int, str]] = []
        self.counted: list[bool] = []

    def on_stream_done(self, conn: Http2Connection, stream: H2Stream) -> None:
        self.done.append(stream.id)
        self.room_at_done.append(conn.room)

    def on_stream_failed(self, conn: Http2Connection, stream: H2Stream, kind: str) -> None:
        self.failed.append((stream.id, kind))

    def on_stream_unsent(
        self, conn: Http2Connection, stream: H2Stream, kind: str, counted: bool = True
    ) -> None:
        self.unsent.append((stream.id, kind))
        self.counted.append(counted)

    def on_closed(self, conn: Http2Connection) -> None:
        pass

    def on_capacity(self, conn: Http2Connection) -> None:
        self.capacities.append(conn.room)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def _pair(
    owner: _Owner, settings: dict[int, int] | None = None
) -> tuple[Http2Connection, _Transport, H2Connection]:
    conn = Http2Connection(owner, streams=10)
    transport = _Transport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    server = H2Connection(
        H2Configuration(client_side=False, header_encoding=None, validate_outbound_headers=False)
    )
    server.initiate_connection()
    if settings:
        server.update_settings(settings)
    ready = conn.preface()
    server.receive_data(transport.take())
    conn.data_received(server.data_to_send())
    assert ready.done() and ready.result() is None
    return conn, transport, server


def _pump(conn: Http2Connection, transport: _Transport, server: H2Connection) -> list[Any]:
    events: list[Any] = server.receive_data(transport.take())
    out = server.data_to_send()
    if out:
        conn.data_received(out)
    return events


def _in_loop(test: Any) -> None:
    async def main() -> None:
        test()

    asyncio.run(main())


REQUEST = h2_request("get", "GET", Origin("http", "example", 80), "/")


def test_goaway_resends_what_the_server_did_not_take_and_finishes_the_rest() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        for _ in range(3):
            conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        server.send_headers(1, [(b":status", b"200")])
        head = server.data_to_send()
        server.send_data(1, b"late but whole", end_stream=True)
        data = server.data_to_send()
        server.close_connection(ErrorCodes.NO_ERROR, last_stream_id=1)
        # On the wire: the response's HEADERS, the GOAWAY, then the rest of the response.
        conn.data_received(head + server.data_to_send() + data)
        assert owner.unsent == [(3, "h2_goaway"), (5, "h2_goaway")]
        assert owner.done == [1] and owner.failed == []
        assert conn.room == 0 and transport.aborted  # no new streams; closed once the last one ended

    _in_loop(test)


def test_reset_streams_fail_and_refused_ones_come_back() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        conn.start(H2Stream(REQUEST, 0))
        conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        server.reset_stream(1, ErrorCodes.INTERNAL_ERROR)
        server.reset_stream(3, ErrorCodes.REFUSED_STREAM)
        conn.data_received(server.data_to_send())
        assert owner.failed == [(1, "h2_rst_stream")] and owner.unsent == [(3, "h2_rst_stream")]
        assert conn.room == 10 and not transport.aborted

    _in_loop(test)


def test_a_body_larger_than_the_window_is_read_whole() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        stream = H2Stream(REQUEST, 0)
        conn.start(stream)
        _pump(conn, transport, server)
        server.send_headers(1, [(b":status", b"200")])
        sent = 0
        body = b"x" * (1 << 20)
        while sent < len(body):  # as much as our windows allow, then what their updates open
            n = min(server.local_flow_control_window(1), server.max_outbound_frame_size, len(body) - sent)
            assert n > 0, "the client's window did not reopen"
            server.send_data(1, body[sent : sent + n], end_stream=sent + n == len(body))
            sent += n
            conn.data_received(server.data_to_send())
            server.receive_data(transport.take())
        assert owner.done == [1] and stream.rx == len(body) and stream.status == 200

    _in_loop(test)


def test_a_response_without_a_valid_status_is_a_protocol_error_of_its_stream_said_once() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        for _ in range(4):
            conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        server.send_headers(1, [(b":status", b"abc")])  # bodies would follow: the client resets them
        server.send_headers(3, [(b"server", b"odd")])
        server.send_headers(5, [(b":status", b"2000")])
        server.send_headers(7, [(b":status", b"204")], end_stream=True)
        conn.data_received(server.data_to_send())
        assert owner.failed == [(1, "protocol"), (3, "protocol"), (5, "protocol")]
        assert owner.done == [7] and not transport.aborted  # a stream error: the connection goes on
        assert [w.split(" (")[0] for w in owner.warnings] == [
            "the server answered with the invalid :status 'abc'",
            "the server answered with no :status",
            "the server answered with the invalid :status '2000'",
        ]
        # Each malformed stream is reset with PROTOCOL_ERROR (RFC 9113 8.1.1).
        resets = [e for e in server.receive_data(transport.take()) if isinstance(e, StreamReset)]
        assert [(e.stream_id, e.error_code) for e in resets] == [
            (i, ErrorCodes.PROTOCOL_ERROR) for i in (1, 3, 5)
        ]

    _in_loop(test)


def test_a_frame_announced_above_the_limit_drops_the_connection_at_once() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        conn.data_received(b"\xde\xad\xbe\xef" * 50)  # a 14 MiB frame's header, then 191 bytes of it
        assert owner.failed == [(1, "protocol")] and transport.aborted
        assert owner.warnings == [
            "the server broke the HTTP/2 protocol (a frame of 14,593,470 bytes announced, above the "
            "16,384 it may send (SETTINGS_MAX_FRAME_SIZE)): its connection was dropped and the streams on "
            "it counted as protocol errors"
        ]

    _in_loop(test)


def test_a_push_the_client_refused_is_a_protocol_error_said_once() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        # A server pushing although our SETTINGS said ENABLE_PUSH 0: PUSH_PROMISE frame by hand, as the
        # library would refuse to send it.
        block = Encoder().encode([(b":method", b"GET"), (b":path", b"/x"), (b":scheme", b"http")])
        length = 4 + len(block)
        conn.data_received(
            length.to_bytes(3, "big") + b"\x05\x04" + (1).to_bytes(4, "big") + (2).to_bytes(4, "big") + block
        )
        assert owner.failed == [(1, "protocol")] and transport.aborted
        assert len(owner.warnings) == 1 and "pushed" in owner.warnings[0]

    _in_loop(test)


def test_a_server_stream_limit_below_the_asked_one_is_said_and_zero_is_said_apart() -> None:
    def test() -> None:
        owner = _Owner()
        conn, _, _ = _pair(owner, {SettingCodes.MAX_CONCURRENT_STREAMS: 4})
        assert conn.capacity == 4 and conn.room == 4
        assert owner.warnings == [
            "the server allows at most 4 concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS)"
            ": 4 in flight on each, not the 10 asked for"
        ]
        owner = _Owner()
        conn, _, _ = _pair(owner, {SettingCodes.MAX_CONCURRENT_STREAMS: 0})
        assert conn.room == 0
        assert owner.warnings[0].startswith("the server allows no concurrent streams")

    _in_loop(test)


def test_past_the_drain_deadline_a_connection_stops_reading() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        server.send_headers(1, [(b":status", b"200")], end_stream=True)
        owner.stop_by_ns = 0
        conn.data_received(server.data_to_send())
        # Left in flight for the drain to count as unfinished; the socket is no longer read.
        assert owner.done == [] and owner.failed == [] and list(conn.streams) == [1]
        assert transport.paused

    _in_loop(test)


def test_a_limit_lowered_with_responses_applies_before_their_successors_are_started() -> None:
    """The library queues the SETTINGS ACK while it parses: a successor started for a response read in the
    same bytes would go out after the ACK, above the new limit (the server's protocol error)."""

    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        for _ in range(10):
            conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        for sid in (1, 3):
            server.send_headers(sid, [(b":status", b"200")], end_stream=True)
        server.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: 2})
        conn.data_received(server.data_to_send())
        assert owner.done == [1, 3] and conn.capacity == 2
        assert all(room <= 0 for room in owner.room_at_done)  # no room for a successor: 8 still open
        assert owner.capacities == [-8]  # told before the responses: 2 - 10 open

    _in_loop(test)


def test_a_resent_stream_keeps_its_start_and_counts_each_send() -> None:
    def test() -> None:
        owner = _Owner()
        first, transport, server = _pair(owner)
        stream = H2Stream(REQUEST, 0)
        first.start(stream)
        began, headers = stream.began_ns, stream.tx
        assert began and headers == 9 + len(REQUEST.block) and not stream.intended_ns
        _pump(first, transport, server)
        server.close_connection(ErrorCodes.NO_ERROR, last_stream_id=0)  # not taken: resent elsewhere
        first.data_received(server.data_to_send())
        assert owner.unsent == [(1, "h2_goaway")]
        second, _, _ = _pair(owner)
        second.start(stream)
        assert stream.began_ns == began and stream.tx == 2 * headers and stream.sent_ns > began

    _in_loop(test)


def test_a_server_ending_connections_after_a_stream_or_two_is_said() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        conn.start(H2Stream(REQUEST, 0))
        conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        server.send_headers(1, [(b":status", b"200")], end_stream=True)
        server.close_connection(ErrorCodes.NO_ERROR, last_stream_id=1)
        conn.data_received(server.data_to_send())
        assert owner.done == [1] and owner.unsent == [(3, "h2_goaway")]
        assert owner.warnings == [
            "the server ends connections with GOAWAY after fewer than 10 streams each: a new connection "
            "(and handshake) every few requests, its wait in their latency"
        ]

    _in_loop(test)


def test_a_window_update_flood_drops_the_connection() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        update = (4).to_bytes(3, "big") + b"\x08\x00" + (0).to_bytes(4, "big") + (1).to_bytes(4, "big")
        conn.data_received(update * 900)  # below the floor: a server may be generous
        assert owner.failed == [] and not transport.aborted
        conn.data_received(update * 200)
        assert owner.failed == [(1, "protocol")] and transport.aborted
        assert owner.warnings == [
            "the server broke the HTTP/2 protocol (1,005 WINDOW_UPDATE and PING frames, for 1 stream(s) and "
            "0 DATA frame(s) sent: a flood): its connection was dropped and the streams on it counted as "
            "protocol errors"
        ]

    _in_loop(test)


def test_a_stream_reset_while_its_body_waits_for_the_window_fails_quietly() -> None:
    """The WINDOW_UPDATE that would let the body go on and the RST_STREAM that ends it, read together: the
    body stops (the library refuses DATA on a closed stream), the stream fails as reset, the connection
    stays, and only the bytes that went out are counted."""

    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner, {SettingCodes.INITIAL_WINDOW_SIZE: 100})
        post = h2_request("post", "POST", Origin("http", "example", 80), "/", (), b"x" * 1000)
        stream = H2Stream(post, 0)
        conn.start(stream)
        _pump(conn, transport, server)
        assert stream.tx == 9 + len(post.block) + 9 + 100  # its HEADERS and the window's 100 bytes
        server.increment_flow_control_window(500, stream_id=1)
        server.increment_flow_control_window(500)
        server.reset_stream(1, ErrorCodes.INTERNAL_ERROR)
        conn.data_received(server.data_to_send())
        assert owner.failed == [(1, "h2_rst_stream")] and not transport.aborted
        assert stream.tx == 9 + len(post.block) + 9 + 100 and not conn.sending

    _in_loop(test)


def test_an_error_goaway_is_said_with_its_code_and_the_servers_words() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        server.close_connection(ErrorCodes.ENHANCE_YOUR_CALM, additional_data=b"too many requests")
        conn.data_received(server.data_to_send())
        assert owner.failed == [(1, "h2_goaway")] and conn.rough_end and transport.aborted
        assert owner.warnings == [
            "the server ended connections with GOAWAY ENHANCE_YOUR_CALM (too many requests): the streams it "
            "had not answered failed as h2_goaway; the next connection waits (10 ms doubling to 1 s)"
        ]

    _in_loop(test)


def test_a_goaway_before_the_few_streams_it_took_are_answered_is_said_too() -> None:
    def test() -> None:
        owner = _Owner()
        conn, transport, server = _pair(owner)
        for _ in range(3):
            conn.start(H2Stream(REQUEST, 0))
        _pump(conn, transport, server)
        server.close_connection(ErrorCodes.NO_ERROR, last_stream_id=3)  # 1 and 3 still to be answered
        conn.data_received(server.data_to_send())
        assert owner.unsent == [(5, "h2_goaway")]
        assert [w.split(":")[0] for w in owner.warnings] == [
            "the server ends connections with GOAWAY after fewer than 10 streams each"
        ]

    _in_loop(test)


def test_a_limit_changed_during_the_run_is_said_once_whatever_its_values() -> None:
    def test() -> None:
        owner = _Owner()
        conn, _, server = _pair(owner)
        for limit in (5, 0, 3, 0, 7):
            server.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: limit})
            conn.data_received(server.data_to_send())
            assert conn.capacity == limit
        assert owner.warnings == [
            "the server changed its limit of concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS) during the "
            "run: the streams in flight followed it",
            "the server lowered its limit of concurrent streams to 0 during the run: requests waited for it "
            "to raise it again, or timed out",
        ]

    _in_loop(test)


def test_decoded_blocks_are_cached_only_where_the_table_cannot_matter() -> None:
    encoder = Encoder()
    first = encoder.encode([(b":status", b"200"), (b"server", b"x")])  # indexes "server: x"
    second = encoder.encode([(b":status", b"200"), (b"server", b"x")])  # refers to it: dynamic entry
    assert (table_use(first), table_use(second)) == (1, 2)
    cached, plain = CachingDecoder(), Decoder()
    for block in (first, second, second):
        assert cached.decode(block, raw=True) == plain.decode(block, raw=True)
    assert first not in CachingDecoder._decoded  # the table was not of size 0: indexing mattered
    zero = Encoder()
    zero.header_table_size = 0
    blocks = [zero.encode([(b":status", b"200"), (b"server", b"x")]) for _ in range(2)]
    decoder = CachingDecoder()
    assert [decoder.decode(b, raw=True) for b in blocks] == [[(b":status", b"200"), (b"server", b"x")]] * 2
    assert blocks[1] in CachingDecoder._decoded  # nginx's way: table size 0, then indexing literals
