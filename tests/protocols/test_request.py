from __future__ import annotations

import httptools
import pytest

from loadpulse.errors import BadInput
from loadpulse.protocols.http.request import encode_request, parse_header


class _Sink:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.body = b""
        self.url = b""
        self.done = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


def parse(data: bytes) -> tuple[httptools.HttpRequestParser, _Sink]:
    sink = _Sink()
    parser = httptools.HttpRequestParser(sink)
    parser.feed_data(data)
    return parser, sink


def test_get_has_host_and_user_agent_and_no_body() -> None:
    parser, sink = parse(encode_request("GET", "/health?x=1", "127.0.0.1:8000"))
    assert sink.done and parser.get_method() == b"GET" and sink.url == b"/health?x=1"
    assert sink.headers[b"host"] == b"127.0.0.1:8000"
    assert sink.headers[b"user-agent"].startswith(b"loadpulse")
    assert b"content-length" not in sink.headers


def test_body_gets_content_length_and_given_headers_win() -> None:
    data = encode_request("POST", "/api", "h", [("Host", "other"), ("X-A", "1")], b'{"a": 1}')
    _, sink = parse(data)
    assert sink.body == b'{"a": 1}' and sink.headers[b"content-length"] == b"8"
    assert sink.headers[b"host"] == b"other" and sink.headers[b"x-a"] == b"1"


def test_empty_post_sends_zero_length() -> None:
    _, sink = parse(encode_request("POST", "/", "h"))
    assert sink.done and sink.headers[b"content-length"] == b"0"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Accept: text/plain", ("Accept", "text/plain")),
        ("X-Empty:", ("X-Empty", "")),
        ("a:b:c", ("a", "b:c")),
    ],
)
def test_parse_header(raw: str, expected: tuple[str, str]) -> None:
    assert parse_header(raw) == expected


@pytest.mark.parametrize("raw", ["NoColon", ": value", "Bad Name: x"])
def test_parse_header_rejects(raw: str) -> None:
    with pytest.raises(BadInput):
        parse_header(raw)


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://127.0.0.1:8000", "/?id=r1a-0"),
        ("http://u:p@127.0.0.1:8000", "/item/7?x=1"),
        ("http://127.0.0.1:8000", "http://localhost:9/other?q=1"),
        ("http://127.0.0.1:8000", "http://a:b@localhost:9/x"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_session_encodes_each_url_like_encode_request(base: str, url: str, method: str) -> None:
    """Paths made per request are filled into bytes made once per method and origin: the result must be
    byte for byte what encoding the whole request gives, first time and from the cache."""
    from loadpulse.metrics.recorder import Recorder
    from loadpulse.protocols.http.client import HttpSession

    session = HttpSession(base, Recorder())
    origin, path, auth = session.target(url)
    extra = [("Authorization", auth)] if auth else []
    want = encode_request(method, path, origin.host_header, extra)
    assert session.encoded(method, origin, path, [], None, auth) == want
    assert session.encoded(method, origin, path, [], None, auth) == want
    other = path + "&n=2" if "?" in path else path + "?n=2"
    assert session.encoded(method, origin, other, [], None, auth) == encode_request(
        method, other, origin.host_header, extra
    )
