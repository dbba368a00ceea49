"""URL userinfo is sent as Basic auth (percent-decoded, as curl does) and never as part of Host or names."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Callable, Iterator

import pytest

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from loadpulse.protocols.http.url import basic_auth, parse_url
from tests.conftest import CliResult
from tests.engine import fault_servers as fs

USERINFO = "us%40er:p%3Ass%20word"
EXPECTED = "Basic " + base64.b64encode(b"us@er:p:ss word").decode()


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Base URL (no userinfo) and the (Authorization, Host) of every request it answered."""
    seen: list[tuple[str, str]] = []

    def handler(conn: socket.socket) -> None:
        while (headers := fs.read_headers(conn)) is not None:
            seen.append((headers.get(b"authorization", b"").decode(), headers.get(b"host", b"").decode()))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    with fs.serve(handler) as url:
        yield url, seen


def with_userinfo(url: str, userinfo: str = USERINFO) -> str:
    return url.replace("http://", f"http://{userinfo}@")


def test_basic_auth_is_percent_decoded_like_curl() -> None:
    assert basic_auth("http://us%40er:p%3Ass%20word@h/") == EXPECTED
    assert basic_auth("http://user@h/") == "Basic " + base64.b64encode(b"user:").decode()
    assert basic_auth("http://h/") is None
    t = parse_url("http://u:secret@127.0.0.1:81/x")
    assert t.origin.host_header == "127.0.0.1:81" and "secret" not in repr(t.origin)


def test_one_liner_sends_userinfo_as_basic_auth(
    cli: Callable[..., CliResult], recording_server: tuple[str, list[tuple[str, str]]]
) -> None:
    url, seen = recording_server
    result = cli(
        "http", with_userinfo(url) + "/", "-n", "10", "-c", "2", "--json", "-", "--quiet", "--no-history"
    )
    assert result.code == 0, result.err
    host = url.removeprefix("http://")
    assert seen == [(EXPECTED, host)] * 10
    assert list(result.summary()["by_name"]) == ["GET /"]


def test_explicit_authorization_header_wins_over_userinfo(
    cli: Callable[..., CliResult], recording_server: tuple[str, list[tuple[str, str]]]
) -> None:
    url, seen = recording_server
    result = cli(
        "http",
        with_userinfo(url) + "/",
        "-n",
        "2",
        "-H",
        "Authorization: Bearer t",
        "--quiet",
        "--no-history",
    )
    assert result.code == 0, result.err
    assert {auth for auth, _ in seen} == {"Bearer t"}


def test_scripted_client_sends_userinfo_of_base_and_absolute_urls(
    recording_server: tuple[str, list[tuple[str, str]]],
) -> None:
    url, seen = recording_server

    async def go() -> list[str]:
        session = HttpSession(with_userinfo(url), Recorder())
        session.start()
        client = HttpClient(session)
        names = [
            (await client.get("/a")).name,
            (await client.get(with_userinfo(url, "other:pw") + "/b")).name,
            (await client.get("/c", headers={"Authorization": "Bearer t"})).name,
            (await client.get(url + "/d")).name,
        ]
        session.close()
        return names

    names = asyncio.run(go())
    other = "Basic " + base64.b64encode(b"other:pw").decode()
    assert [auth for auth, _ in seen] == [EXPECTED, other, "Bearer t", ""]
    assert {host for _, host in seen} == {url.removeprefix("http://")}
    assert names == ["GET /a", "GET /b", "GET /c", "GET /d"]
