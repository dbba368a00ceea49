"""HTTP/1.1 response framing over httptools (pure: fed byte chunks, no sockets).

httptools (llhttp) does the parsing; these classes add what a client needs on top: HEAD responses carry no
body whatever Content-Length says, 1xx interim responses are skipped, a body delimited by the connection
closing completes on EOF, and garbage becomes one ProtocolError.

Two readers share that behaviour. :class:`ResponseReader` keeps headers (and the body when asked) for
scripted requests. :class:`FastResponseReader` is for load one-liners, where every Python callback out of
the parser costs throughput: it registers only ``on_message_complete`` and keeps the first raw bytes of the
current response (the head), re-reading them with a full reader in the one rare case that needs headers
(EOF). Body bytes are counted, never kept, so memory does not depend on what the target sends.

Bounds (DESIGN.md "Memory is bounded"): a response head larger than :data:`MAX_HEAD_BYTES` is a
ProtocolError; a kept body stops growing at ``max_body`` bytes (see :class:`ResponseReader`); a status
outside 100-599 is a ProtocolError.
"""

from __future__ import annotations

import contextlib

import httptools

MAX_HEAD_BYTES = 64 * 1024
"""Status line plus headers of one response (nginx's and Node's defaults are 8-16 KiB; 64 KiB leaves room
for fat cookies). Beyond it the response is a protocol error instead of a growing buffer."""

DEFAULT_MAX_BODY = 10 * 1024 * 1024
"""Most body bytes a scripted response keeps for the script to read."""


class ProtocolError(Exception):
    """The peer sent something that is not a valid HTTP/1.1 response."""


def _parser_error(exc: httptools.HttpParserError) -> ProtocolError:
    # A ProtocolError raised inside a callback reaches us wrapped in HttpParserCallbackError.
    cause = exc.__context__
    if isinstance(cause, ProtocolError):
        return cause
    return ProtocolError(str(exc) or type(exc).__name__)


def _bad_status(status: int) -> ProtocolError:
    return ProtocolError(f"invalid status code {status}: HTTP statuses are 100-599")


def _check_head(raw: list[bytes]) -> None:
    """ProtocolError unless the response head ended within the first MAX_HEAD_BYTES."""
    end = b"".join(raw).find(b"\r\n\r\n")
    if end < 0 or end + 4 > MAX_HEAD_BYTES:
        raise ProtocolError(f"response headers exceed {MAX_HEAD_BYTES // 1024} KiB")


class ResponseReader:
    """Reads one response at a time; call :meth:`expect` before each request is sent.

    With ``capture_body`` the body is kept for the script, up to ``max_body`` bytes: past that the rest is
    counted (``body_bytes``, ``rx``) but not kept, and ``truncated`` is set. Truncating rather than failing
    keeps the measurement true (the target did answer, in full) while memory stays bounded; a script that
    reads a truncated body is told so (see ``Response.json``).

    Headers are not handed over one parser callback each (five Python calls for a typical response, most
    of them never read): the chunks that carry the head are kept (``head``, its first MAX_HEAD_BYTES at
    most) and read into ``headers`` on first use (:func:`parse_head`).
    """

    __slots__ = (
        "_head",
        "_headers",
        "_parser",
        "_raw",
        "body_bytes",
        "capture",
        "chunks",
        "complete",
        "headers_done",
        "keep_alive",
        "max_body",
        "rx",
        "status",
        "truncated",
    )

    def __init__(self, capture_body: bool = False, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.capture = capture_body
        self.max_body = max_body
        self.truncated = False
        self._parser = httptools.HttpResponseParser(self)
        self._head = False
        self.status = 0
        self._raw: list[bytes] = []
        self._headers: list[tuple[bytes, bytes]] | None = None
        self.chunks: list[bytes] = []
        self.body_bytes = 0
        self.headers_done = False
        self.complete = False
        self.keep_alive = True
        self.rx = 0
        """Bytes received for the current response, headers included."""

    @property
    def started(self) -> bool:
        """A byte of the current response has arrived."""
        return self.rx > 0

    def expect(self, head: bool = False) -> None:
        self._head = head
        self.status = 0
        # Emptied in place: what a Response keeps is the bytes joined from these, never the lists.
        if self._raw:
            self._raw.clear()
        self._headers = None
        if self.chunks:
            self.chunks.clear()
        self.body_bytes = 0
        self.rx = 0
        self.headers_done = self.complete = self.truncated = False

    def feed(self, data: bytes) -> None:
        """Parse a chunk; sets ``complete`` when the response is whole. Raises ProtocolError on garbage."""
        self.rx += len(data)
        if not self.headers_done:
            if self.rx > MAX_HEAD_BYTES:
                # The part of the head that fits is all that is kept; the parser sees the chunk first so
                # that a head ending within the cap is still read.
                room = MAX_HEAD_BYTES - (self.rx - len(data))
                if room > 0:
                    self._raw.append(data[:room])
            else:
                self._raw.append(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise _parser_error(exc) from None
        if not self.headers_done and self.rx > MAX_HEAD_BYTES:
            raise ProtocolError(f"response headers exceed {MAX_HEAD_BYTES // 1024} KiB")
        if self.complete and self._head:
            # llhttp cannot be told a response answers HEAD and would wait for Content-Length body bytes
            # that never come; a fresh parser for the next response is the clean way out.
            self._parser = httptools.HttpResponseParser(self)

    @property
    def head(self) -> bytes:
        """The bytes that carried the current response's head (body bytes may follow it)."""
        return b"".join(self._raw)

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """The current response's headers, as sent (names not case-folded)."""
        if self._headers is None:
            self._headers = parse_head(self.head)
        return self._headers

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
    def on_headers_complete(self) -> None:
        self.status = status = self._parser.get_status_code()
        if not 100 <= status <= 599:
            raise _bad_status(status)
        if status < 200 and status != 101:
            return  # an interim response's head: the real one follows, keep collecting
        if self.rx > MAX_HEAD_BYTES:
            # feed() checks the head's size only while it is incomplete: a chunk that brings its end past
            # the cap is caught here (only when that much has arrived at all).
            _check_head(self._raw)
        self.headers_done = True
        if self._head:
            self.keep_alive = self._parser.should_keep_alive()
            self.complete = True

    def on_body(self, body: bytes) -> None:
        kept = self.body_bytes
        self.body_bytes = kept + len(body)
        if self.capture and not self.truncated:
            room = self.max_body - kept
            if len(body) <= room:
                self.chunks.append(body)
            else:
                if room > 0:
                    self.chunks.append(body[:room])
                self.truncated = True

    def on_message_complete(self) -> None:
        status = self.status  # set by on_headers_complete, which llhttp always calls first
        if 100 <= status < 200 and status != 101:
            return  # interim response (100 Continue, 103 Early Hints): the real one follows
        if self._head:
            return
        self.keep_alive = self._parser.should_keep_alive()
        self.complete = True


class _HeadReader:
    """Collects the headers of the first final (not 1xx) response in some bytes, then ignores the rest."""

    __slots__ = ("done", "headers", "parser")

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.done = False
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.done:
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self.done:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.headers = []
        else:
            self.done = True


def parse_head(data: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of the final response whose head ``data`` starts with (bytes a reader has already
    accepted; whatever cannot be parsed past that point is ignored)."""
    reader = _HeadReader()
    with contextlib.suppress(httptools.HttpParserError):
        reader.parser.feed_data(data)
    return reader.headers


class FastResponseReader:
    """The lean reader of the load hot path; same contract as ResponseReader for status and completion.

    It keeps the raw chunks of the current response only while they may hold its head (the first
    MAX_HEAD_BYTES): enough for :meth:`feed_eof` to re-read the headers, never the body.
    """

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
        before = self.rx
        self.rx = after = before + len(data)
        if before < MAX_HEAD_BYTES:
            self._raw.append(data)
            if after > MAX_HEAD_BYTES:
                # Checked once per response, when it first outgrows the head bound (big bodies only).
                _check_head(self._raw)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise _parser_error(exc) from None

    def on_message_complete(self) -> None:
        parser = self._parser
        status = parser.get_status_code()
        if status < 200:
            if status >= 100 and status != 101:
                return  # interim response: the real one follows
            if status < 100:
                raise _bad_status(status)
        elif status > 599:
            raise _bad_status(status)
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
