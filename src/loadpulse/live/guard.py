"""Who may talk to a live endpoint (dashboard, Prometheus): one ASGI guard in front of both.

- **Token**: when one is set, every request carries it (``?token=`` or ``Authorization: Bearer``).
- **Host** (DNS rebinding): on a loopback bind, the ``Host`` header must name the loopback address the
  browser connected to. A page on ``evil.example`` whose name was re-pointed at 127.0.0.1 sends
  ``Host: evil.example``, and is refused, so it can neither read ``/summary`` nor stop the run.
- **Origin** (cross-site requests): a state-changing request (anything but GET/HEAD) coming from a browser
  must be same-origin: its ``Origin`` must match the ``Host``, and ``Sec-Fetch-Site`` (when sent) must be
  ``same-origin`` or ``none``. A simple cross-site form POST to ``/stop`` is refused. Tools like curl send
  neither header and are allowed, as they cannot be made to act by a web page.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any
from urllib.parse import parse_qs, urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(
    method: str,
    headers: dict[bytes, bytes],
    query: bytes,
    *,
    token: str | None,
    bind_host: str,
    port: int,
) -> tuple[int, str] | None:
    """(status, reason) when the request must be refused, else None. Pure, for tests."""
    if token:
        given = headers.get(b"authorization", b"").removeprefix(b"Bearer ")
        given = given or parse_qs(query.decode("latin-1")).get("token", [""])[0].encode()
        if not hmac.compare_digest(given, token.encode()):
            return 401, "token required"
    host = headers.get(b"host", b"").decode("latin-1").lower()
    if is_loopback(bind_host):
        bracketed = f"[{bind_host}]" if ":" in bind_host else bind_host
        allowed = {f"{name}:{port}" for name in (*LOOPBACK_NAMES, bracketed)}
        if host not in allowed:
            return 403, f"unexpected Host header {host!r}"
    if method.upper() not in SAFE_METHODS:
        origin = headers.get(b"origin")
        if origin is not None and origin.decode("latin-1").lower() != f"http://{host}":
            return 403, "cross-origin request refused"
        referer = headers.get(b"referer")
        if origin is None and referer is not None:
            parts = urlsplit(referer.decode("latin-1"))
            if f"{parts.scheme}://{parts.netloc}".lower() != f"http://{host}":
                return 403, "cross-origin request refused"
        site = headers.get(b"sec-fetch-site")
        if site is not None and site not in (b"same-origin", b"none"):
            return 403, "cross-site request refused"
    return None


def guarded(app: Any, *, token: str | None, bind_host: str, port: int) -> Any:
    """``app`` behind :func:`refusal`."""

    async def guard(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw = list(scope.get("headers") or [])
            if sum(1 for name, _ in raw if name == b"host") > 1:
                refused: tuple[int, str] | None = (400, "more than one Host header")
            else:
                refused = refusal(
                    scope.get("method", "GET"),
                    dict(raw),
                    scope.get("query_string", b""),
                    token=token,
                    bind_host=bind_host,
                    port=port,
                )
            if refused is not None:
                status, reason = refused
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": f"{reason}\n".encode()})
                return
        await app(scope, receive, send)

    return guard
