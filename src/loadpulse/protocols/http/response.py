"""HTTP/1.1 response framing over httptools (pure: fed byte chunks, no sockets).

httptools (llhttp) does the parsing; these classes add what a client needs on top: HEAD responses carry no
body whatever Content-Length says, 1xx interim responses are skipped, a body delimited by the connection
closing completes on EOF, and garbage becomes one ProtocolError.

Two readers share that behaviour. :class:`ResponseReader` keeps headers (and the body when asked) for
scripted requests. :class:`FastResponseReader` is for load one-liners, where every Python callback out of
the parser costs throughput: it registers only ``on_message_complete`` and keeps the raw chunks of the
current response, re-reading them with a full reader in the one rare case that needs headers (EOF).
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
        "rx",
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
        self.rx = 0
        """Bytes received for the current response, headers included."""

    def expect(self, head: bool = False) -> None:
        self._head = head
        self.status = 0
        self.headers = []
        self.chunks = []
        self.body_bytes = 0
        self.rx = 0
        self.started = self.headers_done = self.complete = False

    def feed(self, data: bytes) -> None:
        """Parse a chunk; sets ``complete`` when the response is whole. Raises ProtocolError on garbage."""
        self.rx += len(data)
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


class FastResponseReader:
    """The lean reader of the load hot path; same contract as ResponseReader for status and completion."""

    __slots__ = ("_parser", "_raw", "complete", "keep_alive", "rx", "status")

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._raw: list[bytes] = []
        self.status = 0
        self.complete = False
        self.keep_alive = True
        self.rx = 0

    @property
    def started(self) -> bool:
        return self.rx > 0

    def expect(self, head: bool = False) -> None:
        if head:
            raise ValueError("FastResponseReader cannot read HEAD responses; use ResponseReader")
        self.complete = False
        self.rx = 0
        self._raw.clear()

    def feed(self, data: bytes) -> None:
        self.rx += len(data)
        self._raw.append(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise ProtocolError(str(exc) or type(exc).__name__) from None

    def on_message_complete(self) -> None:
        parser = self._parser
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            return
        self.status = status
        self.keep_alive = parser.should_keep_alive()
        self.complete = True

    def feed_eof(self) -> bool:
        if self.complete:
            return True
        full = ResponseReader()
        try:
            for chunk in self._raw:
                full.feed(chunk)
        except ProtocolError:
            return False
        if full.feed_eof():
            self.status = full.status
            self.keep_alive = False
            self.complete = True
        return self.complete
