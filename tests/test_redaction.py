"""The one redaction policy: which values are secrets, and that every occurrence of one is replaced."""

from __future__ import annotations

import base64

import pytest

from loadpulse.redaction import (
    REDACTED,
    is_secret_name,
    redact_headers,
    redact_text,
    redact_values,
    run_secrets,
)


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "Proxy-Authorization",
        "Cookie",
        "Set-Cookie",
        "X-Auth-Token",
        "X-Session-Token",
        "X-Api-Key",
        "X-Client-Secret",
        "api_key",
        "password",
    ],
)
def test_credential_header_names_are_secret(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["Accept", "Content-Type", "User-Agent", "X-Request-Id", "Connection"])
def test_ordinary_header_names_are_not(name: str) -> None:
    assert not is_secret_name(name)


def test_secret_headers_show_as_redacted_not_empty() -> None:
    headers = [("Authorization", "Bearer x"), ("X-Session-Token", "s3"), ("Accept", "*/*")]
    assert redact_headers(headers) == [
        ("Authorization", REDACTED),
        ("X-Session-Token", REDACTED),
        ("Accept", "*/*"),
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://user:hunter2@127.0.0.1:8000/x", f"http://user:{REDACTED}@127.0.0.1:8000/x"),
        ("postgresql://app:pw@127.0.0.1/db", f"postgresql://app:{REDACTED}@127.0.0.1/db"),
        ("redis://:pw@127.0.0.1:6379/0", f"redis://:{REDACTED}@127.0.0.1:6379/0"),
        ("GET /items?api_key=abc123&page=2", f"GET /items?api_key={REDACTED}&page=2"),
        ("http://127.0.0.1:8000/path@x", "http://127.0.0.1:8000/path@x"),
        ("http://user@127.0.0.1/", "http://user@127.0.0.1/"),
        ("http{kind=write}.p95 < 200ms", "http{kind=write}.p95 < 200ms"),
    ],
)
def test_urls_lose_passwords_and_secret_query_values(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_every_secret_of_a_run_is_collected() -> None:
    basic = base64.b64encode(b"ann:opensesame").decode()
    found = run_secrets(
        urls=["http://bob:p%40ss@127.0.0.1/?token=tok123"],
        headers=[("Authorization", f"Basic {basic}"), ("X-Auth-Token", "xyz789"), ("Accept", "text/html")],
        env={"API_TOKEN": "from-env", "REGION": "eu"},
        given=["mysecret"],
    )
    for secret in (
        "p%40ss",
        "p@ss",
        "tok123",
        basic,
        "ann:opensesame",
        "opensesame",
        "xyz789",
        "from-env",
        "mysecret",
    ):
        assert secret in found
    assert "eu" not in found and "text/html" not in found


def test_values_are_replaced_everywhere_keys_included() -> None:
    data = {"url": "http://h/?t=abc", "by_name": {"GET /?t=abc": 1}, "list": ["abc", 3], "n": 1.5}
    assert redact_values(data, ["abc"]) == {
        "url": f"http://h/?t={REDACTED}",
        "by_name": {f"GET /?t={REDACTED}": 1},
        "list": [REDACTED, 3],
        "n": 1.5,
    }


def test_tiny_values_are_not_scrubbed_as_text() -> None:
    assert redact_values({"a": "a value"}, ["a"]) == {"a": "a value"}


def test_a_secret_cut_short_at_the_end_of_a_text_is_still_redacted() -> None:
    secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2FkIn0.abcdefghijklmnop"
    message = ("upstream said: " + "x" * 130 + " token=" + secret)[:199] + "…"
    out = redact_values({"m": message}, [secret])["m"]
    assert secret[:5] not in out and out.endswith("[redacted]…")
    assert redact_values({"m": "all fine…"}, [secret])["m"] == "all fine…"  # no prefix of it: untouched


def test_a_secret_one_lined_or_escaped_is_still_redacted() -> None:
    secret = "pass  word\twith\nspace"
    squeezed = "login failed for pass word with space"
    escaped = "login failed for pass  word\\twith\\nspace"
    out = redact_values([squeezed, escaped], [secret])
    assert out == ["login failed for [redacted]", "login failed for [redacted]"]
