"""How the workers of a ``--workers`` run are started, and what the coordinator may do with a started one.

The coordinator talks to every worker over a :class:`~multiprocessing.connection.Connection` and runs the
same conversation whatever the worker is (see :mod:`~loadpulse.engine.worker_process`). What differs is
the thing at the other end: a local process here, a Ray actor in :mod:`~loadpulse.engine.ray_launch`. A
:class:`Launcher` starts them and a :class:`WorkerBody` is what is left to do with one: watch for its end,
kill it, say how it ended.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from loadpulse.engine.worker_handle import exit_text
from loadpulse.engine.worker_process import worker_main


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


class LocalProcess:
    """A worker process on this machine."""

    node: str | None = None
    node_id: str | None = None

    def __init__(self, process: BaseProcess) -> None:
        self.process = process

    def watch(self, loop: asyncio.AbstractEventLoop, on_exit: Callable[[], None]) -> None:
        sentinel = self.process.sentinel

        def ended() -> None:
            loop.remove_reader(sentinel)
            on_exit()

        loop.add_reader(sentinel, ended)

    def exit_text(self) -> str:
        self.process.join(timeout=1)  # it has ended (its sentinel said so): reap it for its exit code
        return f"its process ended ({exit_text(self.process.exitcode)})"

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        self.process.kill()

    def join(self, timeout: float) -> None:
        self.process.join(timeout=timeout)


class LocalLauncher:
    """Spawned processes on this machine, each with a pipe to the coordinator."""

    backend = "local"

    async def launch(self, parts: Sequence[dict[str, Any]]) -> list[Launched]:
        context = multiprocessing.get_context("spawn")  # not fork: this process has threads
        started: list[Launched] = []
        try:
            for i, part in enumerate(parts):
                ours, theirs = context.Pipe()
                process = context.Process(
                    target=worker_main, args=(part, theirs), name=f"loadpulse-worker-{i + 1}", daemon=True
                )
                process.start()
                theirs.close()
                started.append((LocalProcess(process), ours))
        except BaseException:
            for body, conn in started:
                body.kill()
                conn.close()
            raise
        return started

    def close(self) -> None:
        """Nothing is held past the processes, which the fleet has ended."""
