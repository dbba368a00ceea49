"""Where ctx.ws.connect goes: paths on the base URL, ws:// and wss:// URLs, and what is refused."""

from __future__ import annotations

import pytest

from loadpulse.errors import BadInput
from loadpulse.protocols.ws.address import connection_name, ws_address


@pytest.mark.parametrize(
    ("given", "base", "url"),
    [
        ("/ws", "http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws"),
        ("/ws?room=1", "https://example.test/", "wss://example.test/ws?room=1"),
        ("/feed", "http://127.0.0.1:8000/api/", "ws://127.0.0.1:8000/api/feed"),
        ("ws://127.0.0.1:9/x", None, "ws://127.0.0.1:9/x"),
        ("wss://h.test/x", "http://other.test", "wss://h.test/x"),
    ],
)
def test_paths_resolve_against_the_base_url_and_ws_urls_are_kept(
    given: str, base: str | None, url: str
) -> None:
    assert ws_address(given, base).url == url


def test_the_path_without_its_query_names_the_connection() -> None:
    address = ws_address("/ws/feed?every_ms=10", "http://127.0.0.1:1")
    assert connection_name(address, None) == "WS /ws/feed"
    assert connection_name(address, "feed") == "feed"
    assert ws_address("ws://h.test", None).path == "/"
    assert ws_address("wss://h.test/x", None).secure and not address.secure


@pytest.mark.parametrize(
    ("given", "base", "message"),
    [
        ("http://127.0.0.1:8000/ws", None, "http:// is not a WebSocket URL; use ws:// or wss:// (for this"),
        ("ftp://h/x", None, "ftp:// is not a WebSocket URL; use ws:// or wss://"),
        ("/ws", None, "a path needs a base URL"),
        ("ws", "http://127.0.0.1:1", "give a ws:// or wss:// URL, or a path starting with '/'"),
        ("/w s", "http://127.0.0.1:1", "contains whitespace"),
        ("ws://h:99999/x", None, "invalid URL"),
        ("ws:///x", None, "has no host"),
        ("", None, "needs a ws:// URL or a path"),
        ("/ws", "redis://127.0.0.1:1", "is not an http(s) URL"),
    ],
)
def test_what_is_not_a_websocket_address_is_one_line_of_bad_input(
    given: str, base: str | None, message: str
) -> None:
    with pytest.raises(BadInput) as exc:
        ws_address(given, base)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_an_empty_name_is_refused() -> None:
    with pytest.raises(ValueError, match="name= takes a non-empty string"):
        connection_name(ws_address("ws://h/x", None), "")
