"""HTTP/1.1 response framing over httptools (pure: fed byte chunks, no sockets).

httptools (llhttp) does the parsing; this class adds what a client needs on top: HEAD responses carry no
body whatever Content-Length says, 1xx interim responses are skipped, a body delimited by the connection
closing completes on EOF, and garbage becomes one ProtocolError.
"""

from __future__ import annotations

import httptools


class ProtocolError(Exception):
    """The peer sent something that is not a valid HTTP/1.1 response."""


class ResponseReader:
    """Reads one response at a time; call :meth:`expect` before each request is sent."""

    __slots__ = (
        "_head",
        "_parser",
        "body_bytes",
        "capture",
        "chunks",
        "complete",
        "headers",
        "headers_done",
        "keep_alive",
        "started",
        "status",
    )

    def __init__(self, capture_body: bool = False) -> None:
        self.capture = capture_body
        self._parser = httptools.HttpResponseParser(self)
        self._head = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.body_bytes = 0
        self.started = False
        self.headers_done = False
        self.complete = False
        self.keep_alive = True

    def expect(self, head: bool = False) -> None:
        self._head = head
        self.status = 0
        self.headers = []
        self.chunks = []
        self.body_bytes = 0
        self.started = self.headers_done = self.complete = False

    def feed(self, data: bytes) -> None:
        """Parse a chunk; sets ``complete`` when the response is whole. Raises ProtocolError on garbage."""
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise ProtocolError(str(exc) or type(exc).__name__) from None
        if self.complete and self._head:
            # llhttp cannot be told a response answers HEAD and would wait for Content-Length body bytes
            # that never come; a fresh parser for the next response is the clean way out.
            self._parser = httptools.HttpResponseParser(self)

    def feed_eof(self) -> bool:
        """The peer closed. True when that completes the response (a body delimited by close)."""
        if self.complete or not self.headers_done:
            return self.complete
        if self.needs_eof():
            self.complete = True
            self.keep_alive = False
        return self.complete

    def needs_eof(self) -> bool:
        names = {name.lower() for name, _ in self.headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    # httptools callbacks -------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.started = True

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.status = self._parser.get_status_code()
        if self._head and self.status >= 200:
            self.keep_alive = self._parser.should_keep_alive()
            self.complete = True

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        if self.capture:
            self.chunks.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            # Interim response (100 Continue, 103 Early Hints): the real one follows.
            self.headers = []
            self.headers_done = False
            return
        if self._head:
            return
        self.status = status
        self.keep_alive = self._parser.should_keep_alive()
        self.complete = True
