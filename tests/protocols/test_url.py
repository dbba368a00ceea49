from __future__ import annotations

import pytest

from loadpulse.errors import BadInput
from loadpulse.protocols.http.url import parse_url, resolve


def test_parse_url_defaults() -> None:
    t = parse_url("http://127.0.0.1:8080")
    assert (t.origin.host, t.origin.port, t.path) == ("127.0.0.1", 8080, "/")
    t = parse_url("https://localhost/a/b?c=d")
    assert t.origin.tls and t.origin.port == 443 and t.path == "/a/b?c=d"
    assert t.origin.host_header == "localhost"
    assert parse_url("http://[::1]:9000/").origin.host_header == "[::1]:9000"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/relative/path", "absolute URL"),
        ("127.0.0.1:8000/health", "absolute URL"),
        ("ftp://127.0.0.1/", "unsupported scheme"),
        ("http://", "no host"),
        ("http://127.0.0.1:99999/", "invalid URL"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_url(url)


def test_unresolvable_host() -> None:
    with pytest.raises(BadInput, match="does not resolve"):
        resolve(parse_url("http://no-such-host.invalid/").origin)
