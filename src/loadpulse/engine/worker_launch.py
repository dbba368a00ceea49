"""How the workers of a ``--workers`` run are started, and what the coordinator may do with a started one.

The coordinator talks to every worker over a :class:`~multiprocessing.connection.Connection` and runs the
same conversation whatever the worker is (see :mod:`~loadpulse.engine.worker_process`). What differs is
the thing at the other end: a local process here, a Ray actor in :mod:`~loadpulse.engine.ray_launch`. A
:class:`Launcher` starts them and a :class:`WorkerBody` is what is left to do with one: watch for its end,
kill it, say how it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, Protocol

from loadpulse.engine.worker_handle import exit_text


class WorkerBody(Protocol):
    """A started worker, apart from its connection."""

    node: str | None
    """Where it runs, for the summary: None on this machine; a Ray node's IP."""
    node_id: str | None

    def watch(self, loop: asyncio.AbstractEventLoop, on_exit: Callable[[], None]) -> None:
        """Call ``on_exit`` in ``loop`` once it has ended (whatever ended it)."""

    def exit_text(self) -> str:
        """How it ended (after ``on_exit``), as the loss warning says it: "its process ended (...)"."""

    def is_alive(self) -> bool: ...

    def kill(self) -> None: ...

    def join(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) until it has ended."""


Launched = tuple[WorkerBody, Connection]


class Launcher(Protocol):
    """Starts the workers of one run and frees what they used at the end."""

    backend: str
    """The summary's ``workers.backend``."""

    async def launch(self, parts: Sequence[dict[str, Any]]) -> list[Launched]:
        """One started worker per part (plain data for :func:`worker_main`), in order; BadInput when
        one cannot be started (those already started are stopped)."""

    def close(self) -> None:
        """After the run (or a failed start): whatever the launcher holds is given back."""


WORKER_BOOT = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "from loadpulse.engine.worker_process import main; main()"
)
"""A local worker's whole program: the terminal's Ctrl-C is ignored before anything is imported (it is the
coordinator's to act on), then only the engine is imported. Not multiprocessing's spawn, which re-runs the
parent's ``__main__`` (the ``loadpulse`` script: the whole CLI, ~770 modules, 12 MB and 0.3 s a worker)."""


_FLAGS: Callable[[], list[str]] = subprocess._args_from_interpreter_flags  # type: ignore[attr-defined]
"""This interpreter's flags (-X, -W, -O...), as multiprocessing passes them to a process it spawns."""


class LocalProcess:
    """A worker process on this machine."""

    node: str | None = None
    node_id: str | None = None

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self._pidfd: int | None = None

    def watch(self, loop: asyncio.AbstractEventLoop, on_exit: Callable[[], None]) -> None:
        try:  # a pidfd turns readable when the process ends: no thread per worker (Linux 5.3+)
            pidfd = os.pidfd_open(self.process.pid)
        except (AttributeError, OSError):
            pidfd = None
        if pidfd is not None:
            self._pidfd = pidfd

            def ended() -> None:
                loop.remove_reader(pidfd)
                self._close_pidfd()
                on_exit()

            loop.add_reader(pidfd, ended)
            return

        def wait() -> None:
            self.process.wait()
            try:
                loop.call_soon_threadsafe(on_exit)
            except RuntimeError:  # the loop is closed: the run is over
                return

        threading.Thread(target=wait, name=f"worker-{self.process.pid}-exit", daemon=True).start()

    def exit_text(self) -> str:
        return f"its process ended ({exit_text(self.process.poll())})"

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()

    def join(self, timeout: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        self._close_pidfd()  # a worker that ended after the run's loop closed was never watched to its end

    def _close_pidfd(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


class LocalLauncher:
    """Processes on this machine, each with a socket pair to the coordinator."""

    backend = "local"

    async def launch(self, parts: Sequence[dict[str, Any]]) -> list[Launched]:
        started: list[Launched] = []
        try:
            for part in parts:
                ours, theirs = socket.socketpair()
                try:
                    # A session of its own: the terminal's Ctrl-C (and a job's kill of the process group)
                    # reaches the coordinator only, which stops the workers; a worker that is still
                    # importing would otherwise die of it with a traceback.
                    process = subprocess.Popen(
                        [sys.executable, *_FLAGS(), "-c", WORKER_BOOT, str(theirs.fileno())],
                        pass_fds=(theirs.fileno(),),
                        start_new_session=True,
                    )
                finally:
                    theirs.close()
                conn = Connection(ours.detach())
                started.append((LocalProcess(process), conn))
                conn.send(("part", part, list(sys.path)))
        except BaseException:
            for body, conn in started:
                body.kill()
                conn.close()
            raise
        return started

    def close(self) -> None:
        """Nothing is held past the processes, which the fleet has ended."""
