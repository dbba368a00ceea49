"""A WebSocket URL given where an HTTP one is expected (`loadpulse http ws://...`) says where it belongs."""

from __future__ import annotations

import pytest

from loadpulse.errors import BadInput
from loadpulse.protocols.http.url import parse_url


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8000/ws/echo", "WSS://example.test/feed"])
def test_a_websocket_url_for_http_points_to_ctx_ws(url: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_url(url)
    assert str(caught.value) == (
        f"{url!r}: WebSocket URLs are for scenarios: ctx.ws.connect(...) (docs/websocket.md); "
        "here give http:// or https://"
    )
