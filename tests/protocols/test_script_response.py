"""A scripted Response reads its headers from the head's bytes only when asked: same headers as before."""

from __future__ import annotations

from loadpulse.protocols.http.response import ResponseReader, parse_head
from loadpulse.protocols.http.script_response import Response

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Token: abc\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n"


def response_from(reader: ResponseReader) -> Response:
    return Response(
        reader.status, None, reader.body, 1.0, "/", "get", None, None, reader.truncated, reader.head
    )


def test_headers_of_a_response_fed_in_pieces_are_all_there_in_order() -> None:
    reader = ResponseReader(capture_body=True)
    reader.expect()
    data = HEAD + b"hello"
    for i in range(0, len(data), 7):
        reader.feed(data[i : i + 7])
    r = response_from(reader)
    assert r.status == 200 and r.body == b"hello"
    assert r.headers == [
        (b"Content-Length", b"5"),
        (b"X-Token", b"abc"),
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
    ]
    assert r.header("x-token") == "abc" and r.header("set-cookie") == "a=1" and r.header("nope") is None


def test_interim_response_headers_are_not_the_responses() -> None:
    reader = ResponseReader(capture_body=True)
    reader.expect()
    reader.feed(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + HEAD + b"hello")
    assert reader.complete and reader.status == 200
    assert (b"Link", b"</a.css>") not in reader.headers
    assert (b"X-Token", b"abc") in response_from(reader).headers


def test_next_response_on_the_connection_does_not_change_a_kept_one() -> None:
    reader = ResponseReader(capture_body=True)
    reader.expect()
    reader.feed(HEAD + b"hello")
    first = response_from(reader)
    reader.expect()
    reader.feed(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nX-Other: 1\r\n\r\nno")
    second = response_from(reader)
    assert first.header("X-Token") == "abc" and first.body == b"hello" and first.header("X-Other") is None
    assert second.status == 404 and second.header("X-Other") == "1" and second.body == b"no"


def test_a_big_head_chunk_is_read_at_once_not_kept() -> None:
    body = b"x" * 100_000
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nX-A: 1\r\n\r\n" + body
    r = Response(200, None, body, 1.0, "/", "get", head=data)
    assert r._head == b"" and r.headers == [(b"Content-Length", b"100000"), (b"X-A", b"1")]


def test_parse_head_ignores_what_follows_the_final_head() -> None:
    data = HEAD + b"hello" + b"HTTP/1.1 500 X\r\nX-Late: 1\r\n\r\n"
    assert (b"X-Late", b"1") not in parse_head(data)
