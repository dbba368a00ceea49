"""Where ``ctx.ws.connect(...)`` goes, and the names its measurements go under (pure).

A path (``/ws``) resolves against the run's base URL, ``http`` becoming ``ws`` and ``https`` ``wss``; a full
``ws://`` or ``wss://`` URL is taken as it is. Anything else is bad input naming the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from loadpulse.errors import BadInput

_WS_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


@dataclass(frozen=True, slots=True)
class WsAddress:
    url: str
    """The absolute ``ws://`` or ``wss://`` URL to connect to."""
    path: str
    """The path without the query: what a default name shows."""

    @property
    def secure(self) -> bool:
        return self.url.startswith("wss:")


def ws_address(given: str, base_url: str | None) -> WsAddress:
    """``given`` (a ``ws(s)://`` URL or a path) as an absolute WebSocket URL; BadInput when it is not one."""
    if not isinstance(given, str) or not given:
        raise BadInput(f"ctx.ws.connect needs a ws:// URL or a path like '/ws', not {given!r}")
    if any(c.isspace() for c in given):
        raise BadInput(f"ctx.ws.connect({given!r}): the URL contains whitespace; percent-encode it")
    if given.startswith("/"):
        if not base_url:
            raise BadInput(
                f"ctx.ws.connect({given!r}): a path needs a base URL (base_url in the scenario file or "
                "--base-url); or give a full ws:// URL"
            )
        base = urlsplit(base_url)
        scheme = _WS_SCHEMES.get(base.scheme.lower())
        if scheme is None or not base.netloc:
            raise BadInput(f"ctx.ws.connect({given!r}): the base URL {base_url!r} is not an http(s) URL")
        prefix = base.path.rstrip("/")
        url = f"{scheme}://{base.netloc}{prefix}{given}"
    else:
        scheme, sep, _ = given.partition("://")
        if not sep:
            raise BadInput(
                f"ctx.ws.connect({given!r}): give a ws:// or wss:// URL, or a path starting with '/'"
            )
        if scheme.lower() not in ("ws", "wss"):
            like = _WS_SCHEMES.get(scheme.lower())
            hint = f" (for this server: {like}://…)" if like else ""
            raise BadInput(
                f"ctx.ws.connect({given!r}): {scheme}:// is not a WebSocket URL; use ws:// or wss://{hint}"
            )
        url = given
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError as exc:
        raise BadInput(f"ctx.ws.connect({given!r}): invalid URL: {exc}") from None
    if not parts.hostname:
        raise BadInput(f"ctx.ws.connect({given!r}): the URL has no host")
    if port == 0:  # the connect would go to the scheme's default port instead
        raise BadInput(f"ctx.ws.connect({given!r}): port 0 is not a port to connect to")
    if "#" in url:  # never sent to a server, and the handshake refuses it (RFC 6455 3)
        raise BadInput(f"ctx.ws.connect({given!r}): a WebSocket URL has no #fragment; leave it out")
    return WsAddress(url, parts.path or "/")


def connection_name(address: WsAddress, given: str | None) -> str:
    """What a connection's handshake is recorded under: ``name=`` or ``WS /path``."""
    if given is None:
        return f"WS {address.path}"
    if not isinstance(given, str) or not given:
        raise ValueError(f"name= takes a non-empty string, not {given!r}")
    return given
