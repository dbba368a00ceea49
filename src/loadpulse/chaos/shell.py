"""A ``run:`` fault: any shell command (``docker restart db``), on the run's event loop.

The fault lasts as long as the shell runs: it ends when the shell process exits (its status is the
fault's), not when its output pipe closes — ``python worker.py & echo started`` is over as soon as it
said so, though its background child holds the pipe. Such children are left alone while the run goes
(they are often the point: a worker started for later faults) and stopped with the command's process
group at the run's end (:func:`stop_group`). Its last line of output (stdout and stderr together, at
most 64 KiB kept) says what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass

OUTPUT_CAP = 64 * 1024
STOP_WAIT_S = 3.0
EXIT_POLL_S = 0.05
OUTPUT_GRACE_S = 0.2
"""After the shell exits, how long its last output may take to be read (a background child may keep
the pipe open for ever)."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    returncode: int | None
    """None: still running when the run ended (it was stopped)."""
    last_line: str
    pid: int
    """Also its process group's id: the run's end stops what it left running (:func:`stop_group`)."""
    draining: asyncio.Task[None] | None = None
    """Still reading the output of children it left running (cancel at the run's end)."""


async def run_command(command: str) -> CommandResult:
    """Run ``command`` through the shell until the shell exits; cancelled (the run ended), its group is
    stopped."""
    proc = await asyncio.create_subprocess_shell(
        command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    out = bytearray()

    async def read() -> None:
        # Read on while children hold the pipe, so they never block on a full one; keep the tail only.
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(4096):
            out.extend(chunk)
            del out[:-OUTPUT_CAP]

    reader = asyncio.ensure_future(read())
    try:
        # Not proc.wait(): asyncio's waits for the pipes to close as well. The exit status is set as
        # the shell is reaped; until then, or the output's end, look twice per tenth of a second.
        while proc.returncode is None and not reader.done():
            await asyncio.wait({reader}, timeout=EXIT_POLL_S)
        code = proc.returncode if proc.returncode is not None else await proc.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reader), OUTPUT_GRACE_S)
    except asyncio.CancelledError:
        reader.cancel()
        await stop_group(proc.pid)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), STOP_WAIT_S)
        raise
    lines = out.decode("utf-8", errors="replace").strip().splitlines()
    return CommandResult(code, lines[-1][:200] if lines else "", proc.pid, None if reader.done() else reader)


async def stop_group(pgid: int, wait_s: float = STOP_WAIT_S) -> None:
    """SIGTERM to process group ``pgid``, SIGKILL to what is left of it after ``wait_s``."""
    if not _signal_group(pgid, signal.SIGTERM):
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while loop.time() < deadline:
        await asyncio.sleep(0.05)
        if not _signal_group(pgid, 0):
            return
    _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> bool:
    """False when the group has no process left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
