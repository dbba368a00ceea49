"""HTTP/1.1 request encoding (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from loadpulse.errors import BadInput

USER_AGENT = "loadpulse"
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def parse_header(raw: str) -> tuple[str, str]:
    """'Name: value' as given on a command line; BadInput when malformed."""
    name, sep, value = raw.partition(":")
    name = name.strip()
    if not sep or not name:
        raise BadInput(f"header {raw!r} has no 'Name: value' form; write it like -H 'Accept: text/plain'")
    if not set(name) <= _TOKEN_CHARS:
        raise BadInput(f"header name {name!r} contains characters not allowed in a header name")
    value = value.strip()
    if "\r" in value or "\n" in value:
        raise BadInput(f"header {name!r} value contains a line break")
    return name, value


def check_given_headers(headers: Mapping[str, object], call: str) -> None:
    """Refuse headers a script gives a call (``ctx.http.get(url, headers=...)``, ``ctx.ws.connect(...)``)
    that would break the request's head: a name that is not an HTTP token, a line break in a value (the
    rest would go out as headers of their own). BadInput naming ``call``; run only when headers are given."""
    for name, value in headers.items():
        if not isinstance(name, str) or not name or not set(name) <= _TOKEN_CHARS:
            raise BadInput(f"{call}: {name!r} is not a header name (letters, digits and -_.!#$%&'*+^`|~)")
        if isinstance(value, str) and ("\r" in value or "\n" in value):
            raise BadInput(f"{call}: header {name!r} value contains a line break")


def check_framing_headers(
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    error: type[Exception] = BadInput,
) -> None:
    """Refuse user headers that would lie about the body's framing, raising ``error`` with one line.

    The body is framed by the Content-Length loadpulse computes. A given ``Content-Length`` that differs
    from the body's length makes the server wait for bytes that never come (every request hangs to the
    timeout) or read the next request as body; a given ``Transfer-Encoding`` promises chunks that are
    never sent. A Content-Length equal to the body's length is harmless and allowed.
    """
    for name, value in headers:
        lower = name.lower()
        if lower == "transfer-encoding":
            raise error(
                f"header {name!r} cannot be set: loadpulse sends the body with a Content-Length; "
                "drop the header"
            )
        if lower == "content-length":
            size = len(body) if body is not None else 0
            if value.strip() != str(size):
                raise error(
                    f"header 'Content-Length: {value}' does not match the body ({size} bytes); "
                    "drop the header, loadpulse sets it"
                )


def encode_request(
    method: str,
    path: str,
    host: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
) -> bytes:
    """Bytes of one request. Host, User-Agent and Content-Length are added unless given."""
    given = {name.lower() for name, _ in headers}
    lines = [f"{method} {path} HTTP/1.1"]
    if "host" not in given:
        lines.append(f"Host: {host}")
    if "user-agent" not in given:
        lines.append(f"User-Agent: {USER_AGENT}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    if body is not None and "content-length" not in given and "transfer-encoding" not in given:
        lines.append(f"Content-Length: {len(body)}")
    elif body is None and method in ("POST", "PUT", "PATCH") and "content-length" not in given:
        lines.append("Content-Length: 0")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body if body else head
