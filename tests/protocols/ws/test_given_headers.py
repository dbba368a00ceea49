"""Headers a script gives ctx.ws.connect / ctx.http: a line break or a bad name is bad input, not an
injected header."""

from __future__ import annotations

import asyncio

import pytest

from loadpulse.errors import BadInput
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from loadpulse.protocols.http.request import check_given_headers
from loadpulse.protocols.session import SessionSettings
from loadpulse.protocols.ws.plugin import WsProtocol


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({"X-Bad\r\nInjected": "v"}, "'X-Bad\\r\\nInjected' is not a header name"),
        ({"X-Ok": "v\r\nEvil: 1"}, "header 'X-Ok' value contains a line break"),
        ({"": "v"}, "'' is not a header name"),
    ],
)
def test_a_header_that_would_break_the_head_is_bad_input(headers: dict[str, str], says: str) -> None:
    with pytest.raises(BadInput, match=r"^ctx.http.get\('/x'\): ") as caught:
        check_given_headers(headers, "ctx.http.get('/x')")
    assert says in str(caught.value)


def test_ws_connect_checks_its_headers_before_connecting() -> None:
    client = WsProtocol(SessionSettings(base_url="http://127.0.0.1:1"), Recorder()).client()
    client.connect("/ws", headers={"X-Team": "ws", "Authorization": "Bearer a.b-c"})  # fine
    with pytest.raises(BadInput, match=r"^ctx.ws.connect\('/ws'\): header 'X-Ok' value contains a line"):
        client.connect("/ws", headers={"X-Ok": "v\nEvil: 1"})


def test_ctx_http_refuses_an_injected_header_before_sending_anything() -> None:
    async def main() -> None:
        session = HttpSession("http://127.0.0.1:1", Recorder())  # nothing listens: nothing may be sent
        session.start()
        client = HttpClient(session)
        try:
            await client.get("/x", headers={"X-Bad\r\nInjected": "v"})
        finally:
            client.close()
            session.close()

    with pytest.raises(BadInput, match=r"^ctx.http.get\('/x'\): 'X-Bad\\r\\nInjected' is not a header"):
        asyncio.run(main())
