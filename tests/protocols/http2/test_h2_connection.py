"""Http2Connection fed bytes from an in-memory h2 server: GOAWAY, RST_STREAM, flow control, no sockets."""

from __future__ import annotations

import asyncio
from typing import Any

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from hpack import Decoder, Encoder

from loadpulse.protocols.http.url import Origin
from loadpulse.protocols.http2.connection import Http2Connection
from loadpulse.protocols.http2.hpack_blocks import CachingDecoder, table_use
from loadpulse.protocols.http2.request import h2_request
from loadpulse.protocols.http2.stream import H2Stream


class _Transport:
    def __init__(self) -> None:
        self.out = bytearray()
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.out += data

    def abort(self) -> None:
        self.aborted = True

    def take(self) -> bytes:
        data, self.out = bytes(self.out), bytearray()
        return data


class _Owner:
    def __init__(self) -> None:
        self.done: list[int] = []
        self.failed: list[tuple[int, str]] = []
        self.unsent: list[tuple[int, str]] = []
        self.counted: list[bool] = []

    def on_stream_done(self, conn: Http2Connection, stream: H2Stream) -> None:
        self.done.append(stream.id)

    def on_stream_failed(self, conn: Http2Connection, stream: H2Stream, kind: str) -> None:
        self.failed.append((stream.id, kind))

    def on_stream_unsent(
        self, conn: Http2Connection, stream: H2Stream, kind: str, counted: bool = True
    ) -> None:
        self.unsent.append((stream.id, kind))
        self.counted.append(counted)

    def on_closed(self, conn: Http2Connection) -> None:
        pass


def _pair(owner: _Owner) -> tuple[Http2Connection, _Transport, H2Connection]:
    conn = Http2Connection(owner, streams=10)
    transport = _Transport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    server = H2Connection(H2Configuration(client_side=False, header_encoding=None))
    server.initiate_connection()
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
