"""Memory is bounded by settings, never by what the target sends: readers fed bytes, no sockets."""

from __future__ import annotations

import tracemalloc

import pytest

from loadpulse.protocols.http.response import (
    MAX_HEAD_BYTES,
    FastResponseReader,
    ProtocolError,
    ResponseReader,
)

READERS = [ResponseReader, FastResponseReader]
CHUNK = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"


def peak_bytes_while(feed: object) -> int:
    tracemalloc.start()
    try:
        feed()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("make", READERS)
def test_endless_chunked_body_is_counted_not_kept(make: type) -> None:
    reader = make()
    reader.expect()
    reader.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")

    def feed() -> None:
        for _ in range(800):  # 52 MB, in fresh objects as a socket hands them over
            reader.feed(memoryview(CHUNK).tobytes())

    assert peak_bytes_while(feed) < 2_000_000
    assert not reader.complete and reader.rx > 50_000_000


def test_fast_reader_keeps_only_the_head_of_a_big_body() -> None:
    reader = FastResponseReader()
    reader.expect()
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 52428800\r\n\r\n"
    reader.feed(head)
    block = b"y" * 65536

    def feed() -> None:
        for _ in range(800):
            reader.feed(memoryview(block).tobytes())

    assert peak_bytes_while(feed) < 2_000_000
    assert reader.complete and reader.status == 200 and reader.rx == len(head) + 800 * 65536


def test_fast_reader_still_completes_a_close_delimited_body_after_a_big_prefix() -> None:
    reader = FastResponseReader()
    reader.expect()
    reader.feed(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
    for _ in range(10):
        reader.feed(b"z" * 65536)
    assert not reader.complete
    assert reader.feed_eof() and reader.status == 200 and not reader.keep_alive


@pytest.mark.parametrize("make", READERS)
def test_response_head_over_the_cap_is_a_protocol_error(make: type) -> None:
    reader = make()
    reader.expect()
    reader.feed(b"HTTP/1.1 200 OK\r\nX-Big: ")
    with pytest.raises(ProtocolError, match="headers exceed 64 KiB"):
        for _ in range(20 * 16):  # up to 20 MB; must stop at the first chunk past the cap
            reader.feed(b"a" * 65536)
    assert reader.rx <= MAX_HEAD_BYTES + 2 * 65536


@pytest.mark.parametrize("make", READERS)
def test_headers_just_under_the_cap_are_fine(make: type) -> None:
    reader = make()
    reader.expect()
    value = b"v" * (MAX_HEAD_BYTES - 200)
    reader.feed(b"HTTP/1.1 200 OK\r\nX-Fat: " + value + b"\r\nContent-Length: 70000\r\n\r\n")
    reader.feed(b"b" * 70000)
    assert reader.complete and reader.status == 200


@pytest.mark.parametrize("make", READERS)
@pytest.mark.parametrize("status", [b"999", b"600", b"099"])
def test_status_outside_100_to_599_is_a_protocol_error(make: type, status: bytes) -> None:
    reader = make()
    reader.expect()
    with pytest.raises(ProtocolError, match="invalid status code"):
        reader.feed(b"HTTP/1.1 " + status + b" X\r\nContent-Length: 2\r\n\r\nok")


@pytest.mark.parametrize("make", READERS)
def test_unparsable_status_line_is_a_protocol_error(make: type) -> None:
    reader = make()
    reader.expect()
    with pytest.raises(ProtocolError):
        reader.feed(b"HTTP/1.1 OK 200\r\n\r\n")


def test_captured_body_is_truncated_at_max_body_with_a_flag() -> None:
    reader = ResponseReader(capture_body=True, max_body=100)
    reader.expect()
    reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 250\r\n\r\n" + b"a" * 60)
    reader.feed(b"b" * 190)
    assert reader.complete and reader.truncated
    assert reader.body == b"a" * 60 + b"b" * 40 and reader.body_bytes == 250
    reader.expect()  # the next response on the connection starts untruncated
    reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
    assert reader.body == b"hello" and not reader.truncated


def test_captured_body_at_exactly_max_body_is_not_truncated() -> None:
    reader = ResponseReader(capture_body=True, max_body=5)
    reader.expect()
    reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
    assert reader.body == b"hello" and not reader.truncated
