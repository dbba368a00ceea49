"""A webhook sink: loadpulse listens on 127.0.0.1 and the system under test POSTs each finished item as
``{"id": …, "worker": …, "at": …, "status": …}`` (or a JSON list of them, or of bare ids); every POST is
answered 204 and its rows wait for the next poll. Without an ``at`` an item's persist time is when the POST
arrived. Loopback only: requests naming another Host or a foreign Origin (DNS rebinding, a web page posting
cross-site) are refused."""

from __future__ import annotations

import errno
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from loadpulse.errors import BadInput
from loadpulse.probes.sink_base import Sink, SinkError
from loadpulse.probes.sink_rows import BadRow, SinkRow, row_from
from loadpulse.probes.sink_spec import SinkSpec
from loadpulse.probes.sources import short

HOST = "127.0.0.1"
LOOPBACK_NAMES = frozenset(("127.0.0.1", "localhost", "::1"))
MAX_BODY = 16 * 2**20
MAX_PENDING = 1_000_000
"""Rows waiting for a poll at most; beyond, POSTs get 503 (and a Retry-After) instead of growing memory."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sink: WebhookSink


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a system posting every item reuses its connection
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the run's console belongs to loadpulse's own output."""

    def _answer(self, status: int, message: str = "", headers: dict[str, str] | None = None) -> None:
        body = (message + "\n").encode() if message else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _local(self) -> bool:
        host = urlsplit("//" + (self.headers.get("Host") or "")).hostname
        origin = self.headers.get("Origin")
        return host in LOOPBACK_NAMES and (origin is None or urlsplit(origin).hostname in LOOPBACK_NAMES)

    def do_GET(self) -> None:
        self._answer(405, "POST finished items here as JSON", {"Allow": "POST"})

    def do_POST(self) -> None:
        if not self._local():
            self.close_connection = True  # the body is not read
            self._answer(403, "only loopback hosts and origins may post here")
            return
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self.close_connection = True
            self._answer(411, "a Content-Length is required")
            return
        if length > MAX_BODY:
            self.close_connection = True
            self._answer(413, f"a body over {MAX_BODY // 2**20} MiB")
            return
        body = self.rfile.read(length)
        arrived = time.time()
        try:
            doc = json.loads(body)
            items = doc if isinstance(doc, list) else [doc]
            rows = [row_from(item, arrived) for item in items]
        except (ValueError, BadRow) as exc:  # BadRow first: it is a ValueError too
            self._answer(400, f"not an item or a list of items: {short(exc)}")
            return
        if not self.server.sink.accept(rows):
            self._answer(503, "loadpulse is behind reading posted items; retry", {"Retry-After": "1"})
            return
        self._answer(204)


class WebhookSink(Sink):
    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending: list[SinkRow] = []

    @property
    def port(self) -> int:
        """The port listened on (the one chosen when the spec said 0); the spec's until :meth:`check`."""
        return int(self._server.server_address[1]) if self._server is not None else self.spec.port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def check(self) -> None:
        """Start listening: BadInput when the port is taken."""
        if self._server is not None:
            return
        try:
            server = _Server((HOST, self.spec.port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise BadInput(
                    f"{self.label}: port {self.spec.port} on {HOST} is in use; choose another port the "
                    "system under test can post to"
                ) from None
            raise BadInput(
                f"{self.label}: cannot listen on {HOST}:{self.spec.port}: {exc.strerror}"
            ) from None
        server.sink = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},  # how long close() waits for the server loop to notice
            name="loadpulse-webhook-sink",
            daemon=True,
        )
        self._thread.start()

    def accept(self, rows: list[SinkRow]) -> bool:
        with self._lock:
            if len(self._pending) + len(rows) > MAX_PENDING:
                return False
            self._pending += rows
            return True

    def poll(self) -> list[SinkRow]:
        if self._server is None:
            raise SinkError("the webhook is not listening (check() starts it)")
        with self._lock:
            rows, self._pending = self._pending, []
        return rows

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
