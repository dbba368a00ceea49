"""A ``run:`` fault: any shell command (``docker restart db``), on the run's event loop.

The command runs in its own session so that the run's end can stop it and whatever it started; its last
line of output (stdout and stderr together, at most 64 KiB kept) says what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass

OUTPUT_CAP = 64 * 1024
STOP_WAIT_S = 3.0


@dataclass(frozen=True, slots=True)
class CommandResult:
    returncode: int | None
    """None: still running when the run ended (it was stopped)."""
    last_line: str
    pid: int


async def run_command(command: str) -> CommandResult:
    """Run ``command`` through the shell to its end; cancelled (the run ended), its group is stopped."""
    proc = await asyncio.create_subprocess_shell(
        command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    out = bytearray()
    try:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(4096):
            out += chunk
            del out[:-OUTPUT_CAP]
        code = await proc.wait()
    except asyncio.CancelledError:
        await _stop(proc)
        raise
    lines = out.decode("utf-8", errors="replace").strip().splitlines()
    return CommandResult(code, lines[-1][:200] if lines else "", proc.pid)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    _signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(proc.wait(), STOP_WAIT_S)
    _signal_group(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(proc.wait(), STOP_WAIT_S)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
