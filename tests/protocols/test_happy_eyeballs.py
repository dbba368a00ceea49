"""A name whose first address does not answer still works: every resolved address is tried in turn."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from loadpulse.protocols.http.connect import Endpoint, open_connection
from loadpulse.protocols.http.connection import HttpConnection
from loadpulse.protocols.http.url import parse_url
from tests.conftest import CliResult
from tests.engine import fault_servers as fs

V6_FIRST = ((socket.AF_INET6, "::1"), (socket.AF_INET, "127.0.0.1"))


@pytest.fixture
def localhost_v6_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """``localhost`` resolves to ::1 first, then 127.0.0.1 (as on many systems)."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kw: Any) -> list[Any]:
        if host != "localhost":
            return real(host, port, *args, **kw)
        return [
            (
                family,
                socket.SOCK_STREAM,
                6,
                "",
                (address, int(port), 0, 0)[: 4 if family == socket.AF_INET6 else 2],
            )
            for family, address in V6_FIRST
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


class _Owner:
    def on_response(self, conn: HttpConnection) -> None: ...
    def on_failure(self, conn: HttpConnection, kind: str) -> None: ...
    def on_idle_closed(self, conn: HttpConnection) -> None: ...


def test_connect_falls_back_to_the_next_address_and_remembers_it() -> None:
    async def go(port: int) -> Endpoint:
        origin = parse_url(f"http://localhost:{port}/").origin
        ep = Endpoint(origin, socket.AF_INET6, "::1", None, 2.0, V6_FIRST)
        for _ in range(3):
            conn = await open_connection(ep, lambda: HttpConnection(_Owner()))
            conn.close()
        return ep

    with fs.serve(fs.stall) as url:
        ep = asyncio.run(go(parse_url(url).origin.port))
    assert (ep.family, ep.address) == (socket.AF_INET, "127.0.0.1")
    assert ep.addresses[0] == (socket.AF_INET, "127.0.0.1")  # later connects try it first


def test_all_addresses_refused_is_connect_refused() -> None:
    async def go(port: int) -> str:
        origin = parse_url(f"http://localhost:{port}/").origin
        ep = Endpoint(origin, socket.AF_INET6, "::1", None, 2.0, V6_FIRST)
        try:
            await open_connection(ep, lambda: HttpConnection(_Owner()))
        except Exception as exc:
            return str(getattr(exc, "kind", exc))
        return "connected"

    assert asyncio.run(go(parse_url(fs.closed_port()).origin.port)) == "connect_refused"


@pytest.mark.usefixtures("localhost_v6_first")
def test_localhost_resolving_to_v6_first_reaches_a_v4_only_server(cli: Callable[..., CliResult]) -> None:
    with fs.serve(fs.ok_then_close) as url:
        port = parse_url(url).origin.port
        result = cli(
            "http",
            f"http://localhost:{port}/",
            "-n",
            "300",
            "-c",
            "4",
            "--json",
            "-",
            "--quiet",
            "--no-history",
        )
    assert result.code == 0, result.err
    s = result.summary()
    assert s["requests"]["ok"] == 300 and s["errors"] == {}


@pytest.mark.usefixtures("localhost_v6_first")
def test_scripted_client_reaches_a_v4_only_server_through_localhost() -> None:
    async def go(base: str) -> list[int]:
        session = HttpSession(base, Recorder())
        session.start()
        statuses = [(await HttpClient(session).get("/")).status for _ in range(5)]
        session.close()
        return statuses

    with fs.serve(fs.ok_then_close) as url:
        statuses = asyncio.run(go(f"http://localhost:{parse_url(url).origin.port}"))
    assert statuses == [200] * 5
