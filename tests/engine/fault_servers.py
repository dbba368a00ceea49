"""Small misbehaving loopback servers for fault tests. Each stops when its context exits."""

from __future__ import annotations

import contextlib
import socket
import struct
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
