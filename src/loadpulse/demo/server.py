"""Serving the demo target: in this process (uvicorn) or as a child process for `loadpulse demo` and tests.

A child process, not a thread: the load generator and the target must not share one interpreter lock, or
each would slow the other and the numbers would describe neither.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from loadpulse.demo.app import create_app
from loadpulse.demo.knobs import Knobs
from loadpulse.demo.store import prepare
from loadpulse.errors import BadInput

READY_PREFIX = "loadpulse demo target listening on "


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == 98:
            raise BadInput(
                f"port {port} on {host} is already in use; pick another with --port (0 = any free)"
            ) from None
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def serve(
    host: str, port: int, knobs: Knobs, db_path: Path | None, batch_size: int = 100, workers: int = 4
) -> None:
    """Serve until SIGINT/SIGTERM; prints one ready line with the URL once accepting."""
    sock = bind(host, port)
    real_port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="loadpulse-demo-") as tmp:
        path = db_path or Path(tmp) / "messages.db"
        try:
            prepare(path)
        except sqlite3.Error as exc:
            raise BadInput(f"--db {path}: cannot use it as the demo's SQLite database ({exc})") from None
        app = create_app(path, knobs, batch_size=batch_size, workers=workers)
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, loop="auto", http="auto", lifespan="on"
        )
        server = uvicorn.Server(config)
        shown = f"[{host}]" if ":" in host else host
        count = f"{workers} worker{'s' * (workers != 1)}"
        print(f"{READY_PREFIX}http://{shown}:{real_port}/ (database {path}, {count})", flush=True)
        server.run(sockets=[sock])


@contextlib.contextmanager
def demo_target(*extra_args: str, timeout_s: float = 20.0) -> Iterator[str]:
    """Start `loadpulse target demo` on a free loopback port in a child process; yields its base URL."""
    cmd = [sys.executable, "-m", "loadpulse", "target", "demo", "--port", "0", *extra_args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # A file, not a pipe, for the child's stderr: nobody reads it while the target runs.
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(READY_PREFIX):
            proc.kill()
            proc.wait()
            errors.seek(0)
            raise RuntimeError(f"demo target did not start: {line.strip()} {errors.read().strip()}")
        yield line[len(READY_PREFIX) :].split()[0].rstrip("/")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        errors.close()
