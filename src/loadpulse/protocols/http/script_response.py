"""What a scripted request gets back: :class:`Response` (``r = await ctx.http.get(...)``).

Made once per scripted request, so it is lean: the headers stay as the bytes they came in until a script
reads them (most never do), and nothing is copied that the reader had already joined.
"""

from __future__ import annotations

import json as jsonlib
from typing import Any

from loadpulse.protocols.http.response import parse_head

_EAGER_HEAD_BYTES = 4096
"""Past this, the bytes that carried the head (body bytes may follow it in the same chunk) are read into
headers at once rather than kept: a Response holds its head's size, not a whole read buffer's."""


class Response:
    """What a scripted request got back."""

    __slots__ = (
        "_body",
        "_head",
        "_headers",
        "detail",
        "elapsed_ms",
        "error",
        "name",
        "status",
        "truncated",
        "url",
    )

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]] | None,
        body: bytes,
        elapsed_ms: float,
        url: str,
        name: str,
        error: str | None = None,
        detail: str | None = None,
        truncated: bool = False,
        head: bytes = b"",
    ) -> None:
        """``headers`` None: read them from ``head``, the bytes the response's head came in, when asked."""
        self.status = status
        if headers is None and len(head) > _EAGER_HEAD_BYTES:
            headers, head = parse_head(head), b""
        self._headers = headers
        self._head = head
        self._body = body
        self.elapsed_ms = elapsed_ms
        self.url = url
        self.name = name
        self.error = error
        """Error kind (timeout, reset, connect_refused, ...) when no response came; None otherwise."""
        self.detail = detail or error
        """The failure in words when there is more to say than the kind (e.g. why TLS failed)."""
        self.truncated = truncated
        """The body was longer than the session's ``max_body_bytes``: ``body`` holds only its start."""

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """The response's headers as sent, in order (names not case-folded)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = parse_head(self._head)
            self._head = b""
        return headers

    @property
    def ok(self) -> bool:
        """A response arrived and its status is below 400."""
        return self.error is None and 0 < self.status < 400

    @property
    def body(self) -> bytes:
        return self._body

    @property
    def text(self) -> str:
        return self._body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError (a script error) when it is not JSON or was cut at
        the session's body limit."""
        if self.truncated:
            raise ValueError(
                f"{self.name}: body truncated at {len(self._body)} bytes (max_body_bytes); "
                "raise the limit to parse it"
            )
        return jsonlib.loads(self._body)

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), or None."""
        want = name.lower().encode("latin-1")
        for k, v in self.headers:
            if k.lower() == want:
                return v.decode("latin-1")
        return None

    def __repr__(self) -> str:
        return f"<Response {self.name} {self.status}{' ' + self.error if self.error else ''}>"
