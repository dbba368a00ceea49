"""Target URL validation and the origin a connection pool is keyed by."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from loadpulse.errors import BadInput

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Target:
    origin: Origin
    path: str
    """Request target as sent on the request line: path plus query, never empty."""


def parse_url(url: str) -> Target:
    """Validate an absolute http(s) URL; raises BadInput naming what is wrong."""
    if not url or "://" not in url:
        raise BadInput(f"invalid URL {url!r}: give an absolute URL such as http://127.0.0.1:8000/health")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadInput(f"invalid URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadInput(f"unsupported scheme {parts.scheme!r} in {url!r}: use http:// or https://")
    if not parts.hostname:
        raise BadInput(f"invalid URL {url!r}: it has no host")
    if any(c.isspace() for c in url):
        raise BadInput(f"invalid URL {url!r}: it contains whitespace; percent-encode it")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(Origin(scheme, parts.hostname, port or DEFAULT_PORTS[scheme]), path)


def resolve(origin: Origin) -> tuple[int, str]:
    """Resolve the origin once before a run: (address family, address). BadInput when it does not resolve.

    Resolving up front keeps DNS off the hot path and turns a typo into bad input instead of a run of
    connection errors.
    """
    try:
        infos = socket.getaddrinfo(origin.host, origin.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadInput(f"host {origin.host!r} does not resolve ({exc}); check the URL") from None
    family, _, _, _, sockaddr = infos[0]
    return int(family), str(sockaddr[0])
