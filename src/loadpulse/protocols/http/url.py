"""Target URL validation and the origin a connection pool is keyed by."""

from __future__ import annotations

import base64
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

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
    authorization: str | None = None
    """``Basic …`` from the URL's userinfo (``http://user:pass@host/``), else None. The userinfo is
    never part of the origin, so it reaches neither the Host header nor request names."""


def basic_auth(url: str) -> str | None:
    """The Authorization value for a URL's userinfo, as curl and k6 send it: ``Basic base64(user:pass)``,
    percent-decoded, UTF-8; a user without a password gets an empty one. None when there is no userinfo."""
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return None
    if user is None:
        return None
    raw = f"{unquote(user)}:{unquote(password or '')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


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
        if scheme in ("ws", "wss"):
            raise BadInput(
                f"{url!r}: WebSocket URLs are for scenarios: ctx.ws.connect(...) (docs/websocket.md); "
                "here give http:// or https://"
            )
        raise BadInput(f"unsupported scheme {parts.scheme!r} in {url!r}: use http:// or https://")
    if not parts.hostname:
        raise BadInput(f"invalid URL {url!r}: it has no host")
    if any(c.isspace() for c in url):
        raise BadInput(f"invalid URL {url!r}: it contains whitespace; percent-encode it")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    origin = Origin(scheme, parts.hostname, port or DEFAULT_PORTS[scheme])
    return Target(origin, path, basic_auth(url) if "@" in parts.netloc else None)


def resolve_all(origin: Origin) -> tuple[tuple[int, str], ...]:
    """Every (address family, address) the origin resolves to, in the resolver's preference order and
    without repeats. BadInput when it does not resolve.

    Resolving up front keeps DNS off the hot path and turns a typo into bad input instead of a run of
    connection errors. All addresses are kept because the first may not answer (``localhost`` giving
    ``::1`` first while the server listens on 127.0.0.1 only): connects fall back to the next one.
    """
    try:
        infos = socket.getaddrinfo(origin.host, origin.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadInput(f"host {origin.host!r} does not resolve ({exc}); check the URL") from None
    found: dict[tuple[int, str], None] = {}
    for family, _, _, _, sockaddr in infos:
        found[(int(family), str(sockaddr[0]))] = None
    return tuple(found)


def resolve(origin: Origin) -> tuple[int, str]:
    """The preferred (address family, address) of :func:`resolve_all`."""
    return resolve_all(origin)[0]
