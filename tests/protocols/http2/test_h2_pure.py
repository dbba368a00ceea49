"""The pure parts of HTTP/2: stateless HPACK blocks and request header lists."""

from __future__ import annotations

from hpack import Decoder

from loadpulse.protocols.http.url import Origin
from loadpulse.protocols.http2.hpack_blocks import StatelessEncoder
from loadpulse.protocols.http2.request import h2_headers

HEADERS = [(b":method", b"GET"), (b":scheme", b"http"), (b":authority", b"ex:8080"), (b":path", b"/a?b=1"),
           (b"user-agent", b"loadpulse"), (b"x-custom", b"value")]  # fmt: skip


def test_a_block_decodes_to_its_headers_and_leaves_the_table_empty() -> None:
    decoder = Decoder()
    encoder = StatelessEncoder()
    for _ in range(3):  # the same cached block, every time, in any order
        assert decoder.decode(encoder.encode(HEADERS), raw=True) == HEADERS
        assert len(decoder.header_table.dynamic_entries) == 0


def test_a_smaller_table_size_is_said_at_the_start_of_the_next_block() -> None:
    encoder = StatelessEncoder()
    encoder.header_table_size = 0
    block = encoder.encode(HEADERS)
    assert block[0] == 0x20  # dynamic table size update to 0
    decoder = Decoder()
    assert decoder.decode(block, raw=True) == HEADERS
    assert encoder.encode(HEADERS)[0] != 0x20  # said once


def test_request_headers_drop_connection_headers_and_add_defaults() -> None:
    origin = Origin("https", "example", 443)
    given = [("Host", "other"), ("Connection", "keep-alive"), ("X-Trace", "1")]
    assert h2_headers("POST", origin, "/p", given, b"abc") == [
        (b":method", b"POST"), (b":scheme", b"https"), (b":authority", b"example"), (b":path", b"/p"),
        (b"x-trace", b"1"), (b"user-agent", b"loadpulse"), (b"content-length", b"3"),
    ]  # fmt: skip
