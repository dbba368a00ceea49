"""examples/grpc/echo_server.py on a free loopback port, for the gRPC tests (one server per test module)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "grpc"
PROTO = EXAMPLE / "echo.proto"
SERVER = EXAMPLE / "echo_server.py"


@pytest.fixture(scope="module")
def grpc_target() -> Iterator[str]:
    """``127.0.0.1:PORT`` of a running echo server."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        said = []
        for line in proc.stdout:  # the server says where it listens once it is serving
            if line.startswith("listening on "):
                break
            said.append(line)
        else:
            raise RuntimeError(f"echo server did not start: {''.join(said)}")
        yield line.split()[-1]
    finally:
        proc.kill()
        proc.wait()
