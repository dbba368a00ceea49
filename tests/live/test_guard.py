"""The live endpoints' guard: token, Host (DNS rebinding) and Origin (cross-site requests)."""

from __future__ import annotations

import pytest

from loadpulse.live.guard import refusal

PORT = 8089


def _check(method: str, token: str | None = None, bind: str = "127.0.0.1", **headers: str) -> int | None:
    query = headers.pop("query", "").encode()
    raw = {k.replace("_", "-").lower().encode(): v.encode() for k, v in headers.items()}
    refused = refusal(method, raw, query, token=token, bind_host=bind, port=PORT)
    return refused[0] if refused else None


@pytest.mark.parametrize("host", ["127.0.0.1:8089", "localhost:8089", "[::1]:8089", "LOCALHOST:8089"])
def test_loopback_hosts_are_served(host: str) -> None:
    assert _check("GET", host=host) is None


@pytest.mark.parametrize("host", ["evil.example:8089", "evil.example", "127.0.0.1:9999", ""])
def test_foreign_hosts_are_refused_dns_rebinding(host: str) -> None:
    assert _check("GET", host=host) == 403


def test_same_origin_stop_is_allowed() -> None:
    assert (
        _check("POST", host="127.0.0.1:8089", origin="http://127.0.0.1:8089", sec_fetch_site="same-origin")
        is None
    )


def test_curl_stop_without_origin_is_allowed() -> None:
    assert _check("POST", host="127.0.0.1:8089") is None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"sec_fetch_site": "cross-site"},
        {"sec_fetch_site": "same-site"},
        {"referer": "http://evil.example/page"},
    ],
)
def test_cross_site_stop_is_refused(headers: dict[str, str]) -> None:
    assert _check("POST", host="127.0.0.1:8089", **headers) == 403


def test_token_is_checked_first() -> None:
    assert _check("GET", token="s3cret", host="127.0.0.1:8089") == 401
    assert _check("GET", token="s3cret", host="127.0.0.1:8089", query="token=s3cret") is None
    assert _check("GET", token="s3cret", host="127.0.0.1:8089", authorization="Bearer s3cret") is None


def test_open_bind_with_token_serves_any_host() -> None:
    assert _check("GET", token="t", bind="0.0.0.0", host="myhost:8089", authorization="Bearer t") is None
