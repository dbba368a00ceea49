"""HTTP/2 request header lists (pure): pseudo-headers first, names lower-case, no connection headers."""

from __future__ import annotations

from collections.abc import Sequence

from loadpulse.protocols.http.request import USER_AGENT
from loadpulse.protocols.http.url import Origin
from loadpulse.protocols.http2.stream import H2Request

CONNECTION_HEADERS = frozenset({"host", "connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                "upgrade", "te"})  # fmt: skip
"""Forbidden in HTTP/2 (RFC 9113 8.2.2), or carried by ``:authority`` (Host): left out when given."""


def h2_headers(
    method: str, origin: Origin, path: str, headers: Sequence[tuple[str, str]] = (), body: bytes | None = None
) -> list[tuple[bytes, bytes]]:
    """The header list of one request; User-Agent and Content-Length added unless given."""
    out = [
        (b":method", method.encode("latin-1")),
        (b":scheme", origin.scheme.encode("latin-1")),
        (b":authority", origin.host_header.encode("latin-1")),
        (b":path", path.encode("latin-1")),
    ]
    given = set()
    for name, value in headers:
        lower = name.lower()
        given.add(lower)
        if lower not in CONNECTION_HEADERS:
            out.append((lower.encode("latin-1"), value.encode("latin-1")))
    if "user-agent" not in given:
        out.append((b"user-agent", USER_AGENT.encode()))
    if body is not None and "content-length" not in given:
        out.append((b"content-length", str(len(body)).encode()))
    return out


def h2_request(
    name: str,
    method: str,
    origin: Origin,
    path: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
) -> H2Request:
    return H2Request(name, h2_headers(method, origin, path, headers, body), body)
