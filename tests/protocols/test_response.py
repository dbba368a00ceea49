"""Response framing fed byte by byte and in odd chunks: no sockets."""

from __future__ import annotations

import pytest

from loadpulse.protocols.http.response import FastResponseReader, ProtocolError, ResponseReader

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
READERS = [ResponseReader, FastResponseReader]


def feed_in_pieces(reader: ResponseReader | FastResponseReader, data: bytes, size: int) -> None:
    for i in range(0, len(data), size):
        assert not reader.complete
        reader.feed(data[i : i + size])


@pytest.mark.parametrize("make", READERS)
@pytest.mark.parametrize("size", [1, 3, 7, 1000])
def test_content_length_and_chunked_in_any_chunking(make: type, size: int) -> None:
    reader = make()
    for payload in (OK, CHUNKED, OK):
        reader.expect()
        feed_in_pieces(reader, payload, size)
        assert reader.complete and reader.status == 200 and reader.keep_alive
        assert reader.rx == len(payload)


def test_full_reader_keeps_headers_and_body_when_asked() -> None:
    reader = ResponseReader(capture_body=True)
    reader.expect()
    reader.feed(CHUNKED)
    assert reader.body == b"hello world"
    assert (b"Transfer-Encoding", b"chunked") in reader.headers


def test_head_response_has_no_body_even_with_content_length() -> None:
    reader = ResponseReader()
    reader.expect(head=True)
    reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
    assert reader.complete and reader.status == 200
    reader.expect()  # the connection stays usable for the next request
    reader.feed(OK)
    assert reader.complete and reader.body_bytes == 5


def test_fast_reader_refuses_head() -> None:
    with pytest.raises(ValueError):
        FastResponseReader().expect(head=True)


@pytest.mark.parametrize("make", READERS)
@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses(make: type, status: int) -> None:
    reader = make()
    reader.expect()
    reader.feed(f"HTTP/1.1 {status} X\r\n\r\n".encode())
    assert reader.complete and reader.status == status


@pytest.mark.parametrize("make", READERS)
def test_interim_100_continue_is_skipped(make: type) -> None:
    reader = make()
    reader.expect()
    reader.feed(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert not reader.complete
    reader.feed(OK)
    assert reader.complete and reader.status == 200


@pytest.mark.parametrize("make", READERS)
def test_connection_close_is_reported(make: type) -> None:
    reader = make()
    reader.expect()
    reader.feed(b"HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert reader.complete and reader.status == 503 and not reader.keep_alive


@pytest.mark.parametrize("make", READERS)
def test_body_delimited_by_close_completes_on_eof(make: type) -> None:
    reader = make()
    reader.expect()
    reader.feed(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ")
    reader.feed(b"body")
    assert not reader.complete
    assert reader.feed_eof()
    assert reader.status == 200 and not reader.keep_alive


@pytest.mark.parametrize("make", READERS)
def test_truncated_body_is_not_complete_on_eof(make: type) -> None:
    reader = make()
    reader.expect()
    reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a little")
    assert not reader.feed_eof()


@pytest.mark.parametrize("make", READERS)
def test_eof_before_headers_is_not_complete(make: type) -> None:
    reader = make()
    reader.expect()
    reader.feed(b"HTTP/1.1 200 O")
    assert not reader.feed_eof()


@pytest.mark.parametrize("make", READERS)
@pytest.mark.parametrize(
    "garbage", [b"SSH-2.0-OpenSSH_9.2\r\n", b"HTTP/1.1 abc\r\n\r\n", b"\x00\x01\x02garbage"]
)
def test_garbage_is_a_protocol_error(make: type, garbage: bytes) -> None:
    reader = make()
    reader.expect()
    with pytest.raises(ProtocolError):
        reader.feed(garbage)
