"""TLS failures say why (once), and how to get past a self-signed certificate; the kind stays ``tls``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable, Iterator

import pytest

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from loadpulse.protocols.http.url import parse_url
from tests.conftest import CliResult
from tests.engine import fault_servers as fs
from tests.services import self_signed_cert

REASON = "certificate verify failed: self-signed certificate (use -k to skip verification)"


@pytest.fixture(scope="module")
def self_signed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """https://localhost:PORT served with a self-signed certificate for CN=localhost."""
    work = tmp_path_factory.mktemp("tls")
    cert, key = self_signed_cert(work)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def handler(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), ctx.wrap_socket(conn, server_side=True) as tls:
            while fs.read_request(tls):
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    with fs.serve(handler) as url:
        yield f"https://localhost:{parse_url(url).origin.port}"


def run_json(cli: Callable[..., CliResult], url: str, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli("http", url + "/", *args, "--json", "-", "--quiet", "--no-history")
    assert result.code == 0, result.err
    return result.summary()


def test_self_signed_certificate_is_tls_with_the_reason_said_once(
    cli: Callable[..., CliResult], self_signed_url: str
) -> None:
    s = run_json(cli, self_signed_url, "-n", "5", "-c", "2")
    assert s["errors"] == {"tls": 5}
    said = [w for w in s["warnings"] if "certificate verify failed" in w]
    assert len(said) == 1 and said[0].endswith(REASON)


def test_insecure_flag_skips_verification(cli: Callable[..., CliResult], self_signed_url: str) -> None:
    s = run_json(cli, self_signed_url, "-n", "5", "-c", "2", "-k")
    assert s["requests"]["ok"] == 5 and s["errors"] == {}


def plain_http_400(conn: socket.socket) -> None:
    """What a plain HTTP server (nginx) says to a TLS ClientHello."""
    if conn.recv(4096):
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_plain_http_on_a_tls_url_says_so(cli: Callable[..., CliResult]) -> None:
    with fs.serve(plain_http_400) as url:
        s = run_json(cli, url.replace("http://", "https://"), "-n", "2", "-c", "1")
    assert s["errors"] == {"tls": 2}
    assert any("TLS handshake failed" in w for w in s["warnings"])


def test_scripted_response_carries_the_tls_reason(self_signed_url: str) -> None:
    async def go() -> tuple[str | None, str | None, list[str]]:
        session = HttpSession(self_signed_url, Recorder())
        session.start()
        r = await HttpClient(session).get("/")
        session.close()
        return r.error, r.detail, session.warnings

    error, detail, warnings = asyncio.run(go())
    assert error == "tls" and detail == REASON
    assert len(warnings) == 1 and warnings[0].endswith(REASON)
