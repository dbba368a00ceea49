"""Small misbehaving loopback servers for fault tests. Each stops when its context exits."""

from __future__ import annotations

import contextlib
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

Handler = Callable[[socket.socket], None]


@contextlib.contextmanager
def serve(handler: Handler) -> Iterator[str]:
    """Accept on 127.0.0.1 in a thread, one thread per connection; yields the base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.1)
    stop = threading.Event()

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            threading.Thread(target=_guard, args=(handler, conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        listener.close()


@contextlib.contextmanager
def serve_apart(name: str, *args: str) -> Iterator[str]:
    """Like :func:`serve` for the handler ``name`` of this module, but in a child process, so a server
    doing thousands of connections does not share the GIL with the load it answers; yields the base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.fault_servers", name, *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(5)


def _guard(handler: Handler, conn: socket.socket, stop: threading.Event) -> None:
    with contextlib.suppress(OSError), conn:
        handler(conn)


def read_request(conn: socket.socket) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return False
        data += chunk
    return True


def reset_mid_response(conn: socket.socket) -> None:
    if read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST


def stall(conn: socket.socket) -> None:
    if read_request(conn):
        with contextlib.suppress(OSError):
            conn.recv(1)  # returns when the client gives up and closes (bounded by the 5 s socket timeout)


def garbage(conn: socket.socket) -> None:
    if read_request(conn):
        conn.sendall(b"this is not http at all\r\n\r\n")
        with contextlib.suppress(OSError):
            conn.recv(1)


def close_without_answer(conn: socket.socket) -> None:
    read_request(conn)


def ok_then_close(conn: socket.socket) -> None:
    """Answers every request on the connection, closing it after the third (keep-alive churn)."""
    for i in range(3):
        if not read_request(conn):
            return
        last = i == 2
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
            + (b"Connection: close\r\n" if last else b"")
            + b"\r\nok"
        )


def eof_body(conn: socket.socket) -> None:
    """HTTP/1.0-style: no Content-Length, body ends when the connection closes."""
    if read_request(conn):
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close")


def closed_port() -> str:
    """A loopback URL nobody listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def one_per_connection(conn: socket.socket) -> None:
    """Answers one request, then closes without saying ``Connection: close`` (keep-alive churn)."""
    if read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def limit_per_connection(limit: int) -> Handler:
    """Answers ``limit`` requests on a connection, then closes it unannounced (nginx keepalive_requests)."""

    def handler(conn: socket.socket) -> None:
        for _ in range(limit):
            if not read_request(conn):
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    return handler


def eof_mid_body(conn: socket.socket) -> None:
    """Promises 100 body bytes, sends 7 and closes cleanly (FIN, not RST)."""
    if read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")


def status_999(conn: socket.socket) -> None:
    if read_request(conn):
        conn.sendall(b"HTTP/1.1 999 Whatever\r\nContent-Length: 2\r\n\r\nok")
        with contextlib.suppress(OSError):
            conn.recv(1)


def huge_header(conn: socket.socket) -> None:
    """A 20 MB header value: must be refused early, not buffered."""
    if read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Big: ")
        block = b"a" * 65536
        for _ in range(320):
            conn.sendall(block)
        conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")


def endless_chunked(conn: socket.socket) -> None:
    """A chunked body that never ends: 64 KiB chunks until the client hangs up."""
    if read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
        while True:
            conn.sendall(chunk)


def big_body(size: int) -> Handler:
    """Keep-alive responses with a ``size``-byte body (Content-Length), sent from one reused buffer."""
    block = b"y" * 65536

    def handler(conn: socket.socket) -> None:
        while read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            left = size
            while left > 0:
                n = min(left, len(block))
                conn.sendall(block[:n] if n < len(block) else block)
                left -= n

    return handler


def read_headers(conn: socket.socket) -> dict[bytes, bytes] | None:
    """The next request's headers (lower-case names), or None once the client closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    headers = {}
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return headers


def echo_auth(conn: socket.socket) -> None:
    """Answers with the request's Authorization and Host headers in the body (``auth|host``)."""
    while (headers := read_headers(conn)) is not None:
        body = headers.get(b"authorization", b"-") + b"|" + headers.get(b"host", b"-")
        status = b"200 OK" if b"authorization" in headers else b"401 Unauthorized"
        conn.sendall(b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body))


if __name__ == "__main__":
    # python -m tests.engine.fault_servers HANDLER [ARG]: serve until terminated (see serve_apart).
    import time

    make = globals()[sys.argv[1]]
    chosen: Handler = make(int(sys.argv[2])) if len(sys.argv) > 2 else make
    with serve(chosen) as base:
        print(base, flush=True)
        time.sleep(3600)  # until terminated
