"""A header set for the VU and again on one request is sent once, with the request's value."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession


@pytest.fixture
def header_echo() -> Iterator[tuple[str, list[list[str]]]]:
    seen: list[list[str]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(self.headers.get_all("X-Token") or [])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_request_header_overrides_the_vu_default_once(header_echo: tuple[str, list[list[str]]]) -> None:
    base, seen = header_echo

    async def main() -> None:
        session = HttpSession(base, Recorder())
        session.start()
        client = HttpClient(session, {"x-token": "default"})
        try:
            await client.get("/", headers={"X-Token": "mine"})
            await client.get("/")
        finally:
            client.close()
            session.close()

    asyncio.run(main())
    assert seen == [["mine"], ["default"]]
