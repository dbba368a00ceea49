"""The HTTP/2 tests' servers: nginx with http2 (session) and the h2 test server that misbehaves on cue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.protocols.http2.h2_server import H2TestServer, h2_test_server
from tests.services import nginx_h2

__all__ = ["nginx_h2"]


@pytest.fixture(scope="module")
def h2_server() -> Iterator[H2TestServer]:
    with h2_test_server() as server:
        yield server


@pytest.fixture(scope="module")
def h2_server_8_streams() -> Iterator[H2TestServer]:
    """The test server allowing 8 concurrent streams per connection."""
    with h2_test_server(max_streams=8) as server:
        yield server


@pytest.fixture(scope="module")
def h2_server_0_then_100_streams() -> Iterator[H2TestServer]:
    """The test server allowing no stream at first, then 100 from 0.3 s into each connection."""
    with h2_test_server(max_streams=0, raise_after_s=0.3) as server:
        yield server
