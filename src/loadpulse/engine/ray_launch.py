"""Starting the workers of a ``--cluster`` run as Ray actors: one per segment, each on a bundle of 1 CPU
of a placement group spread over the nodes (SPREAD), each connected back to a listener this process opens
(see :mod:`~loadpulse.engine.ray_worker`). The coordinator then runs them as it runs local processes."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from time import monotonic, perf_counter_ns
from typing import Any

from loadpulse.engine.ray_cluster import RayCluster
from loadpulse.engine.ray_worker import RayWorker
from loadpulse.engine.worker_launch import Launched
from loadpulse.errors import BadInput

START_TIMEOUT_S = 120.0
"""For the placement group and every actor to start and connect (a node may first fetch the folder)."""


class RayActor:
    """A worker that is a Ray actor: ended when its ``run`` call returns or fails (the actor, or its node,
    died)."""

    def __init__(self, ray: Any, actor: Any, run: Any, node: str, node_id: str) -> None:
        self.ray = ray
        self.actor = actor
        self.run = run
        self.node: str | None = node
        self.node_id: str | None = node_id
        self._ended = threading.Event()
        self._why = "still running"

    def watch(self, loop: asyncio.AbstractEventLoop, on_exit: Callable[[], None]) -> None:
        def wait() -> None:
            try:
                self.ray.get(self.run)
                self._why = "its Ray actor ended"
            except self.ray.exceptions.RayActorError as exc:
                self._why = f"its Ray actor died ({_actor_death(exc)})"
            except Exception as exc:
                self._why = f"its Ray actor failed ({type(exc).__name__}: {_first_line(str(exc))})"
            self._ended.set()
            with contextlib.suppress(RuntimeError):  # the loop is closed: the run is over
                loop.call_soon_threadsafe(on_exit)

        threading.Thread(target=wait, name=f"ray-actor-{self.node_id}", daemon=True).start()

    def exit_text(self) -> str:
        return self._why

    def is_alive(self) -> bool:
        return not self._ended.is_set()

    def kill(self) -> None:
        with contextlib.suppress(Exception):  # already dead, or the cluster is gone: nothing to kill
            self.ray.kill(self.actor, no_restart=True)

    def join(self, timeout: float) -> None:
        self._ended.wait(timeout)


class RayLauncher:
    """One actor per worker on ``cluster``, placed by a SPREAD placement group of 1-CPU bundles."""

    backend = "ray"

    def __init__(self, cluster: RayCluster, scenario: str | None) -> None:
        self.cluster = cluster
        self.file_name = Path(scenario).name if scenario is not None else None
        self.actors: list[Any] = []
        self.group: Any = None
        self.start_s: float | None = None
        """How long the actors took to start and connect (placement group included)."""

    async def launch(self, parts: Sequence[dict[str, Any]]) -> list[Launched]:
        # Ray's calls block: off the event loop, which keeps answering Ctrl-C meanwhile.
        return await asyncio.to_thread(self._launch, parts)

    def _launch(self, parts: Sequence[dict[str, Any]]) -> list[Launched]:
        from ray.util.placement_group import placement_group
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        ray = self.cluster.ray
        began = monotonic()
        deadline = began + START_TIMEOUT_S
        self.group = placement_group([{"CPU": 1}] * len(parts), strategy="SPREAD", name="")
        if not self.group.wait(timeout_seconds=START_TIMEOUT_S):
            free, total = self.cluster.cpus()
            raise BadInput(
                f"the Ray cluster did not find {len(parts)} CPUs for the workers within "
                f"{START_TIMEOUT_S:.0f} s ({free} free of {total}); ask for fewer --workers"
            )
        authkey = secrets.token_bytes(32)
        with Listener((self.cluster.bind_host(), 0), authkey=authkey) as listener:
            address = listener.address
            remote = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(RayWorker)
            runs = []
            for i, part in enumerate(parts):
                strategy = PlacementGroupSchedulingStrategy(self.group, placement_group_bundle_index=i)
                actor = remote.options(scheduling_strategy=strategy, name=None).remote()
                self.actors.append(actor)
                runs.append(actor.run.remote(dict(part), self.file_name, address, authkey, i))
            greeted = _Greeter(listener, len(parts))
            greeted.start()
            try:
                while not greeted.done.wait(0.2):
                    ready, _ = ray.wait(runs, timeout=0)
                    if ready:  # a run that ended before its actor connected: it could not start
                        i = runs.index(ready[0])
                        raise BadInput(
                            f"worker {i + 1} of {len(parts)} could not start on the Ray cluster: "
                            f"{_failure(ray, ready[0])}"
                        )
                    if monotonic() > deadline:
                        raise BadInput(
                            f"the Ray cluster's workers did not connect back to {address[0]}:{address[1]} "
                            f"within {START_TIMEOUT_S:.0f} s ({len(greeted.conns)} of {len(parts)} did)"
                        )
            finally:
                greeted.stop(address)
        self.start_s = monotonic() - began
        out: list[Launched] = []
        for i, (actor, run) in enumerate(zip(self.actors, runs, strict=True)):
            conn, node, node_id = greeted.conns[i]
            out.append((RayActor(ray, actor, run, node, node_id), conn))
        return out

    def close(self) -> None:
        """Kill every actor still there and free the placement group's CPUs."""
        ray = self.cluster.ray
        for actor in self.actors:
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
        if self.group is not None:
            from ray.util.placement_group import remove_placement_group

            with contextlib.suppress(Exception):
                remove_placement_group(self.group)
        self.actors.clear()
        self.group = None


class _Greeter(threading.Thread):
    """Accepts the actors' connections (in whatever order they come) and answers their greeting."""

    def __init__(self, listener: Listener, count: int) -> None:
        super().__init__(name="ray-greeter", daemon=True)
        self.listener = listener
        self.count = count
        self.conns: dict[int, tuple[Connection, str, str]] = {}
        self.done = threading.Event()
        self._stopping = False

    def run(self) -> None:
        while len(self.conns) < self.count and not self._stopping:
            try:
                conn = self.listener.accept()
            except (OSError, EOFError, multiprocessing.AuthenticationError):  # a stranger, or our wake-up
                continue
            if self._stopping:
                conn.close()
                break
            try:
                kind, index, node, node_id = conn.recv()
                conn.send(("clock", perf_counter_ns()))
            except (OSError, EOFError, ValueError, TypeError):
                conn.close()
                continue
            if kind == "hello" and isinstance(index, int) and 0 <= index < self.count:
                self.conns[index] = (conn, str(node), str(node_id))
            else:
                conn.close()
        self.done.set()

    def stop(self, address: tuple[str, int]) -> None:
        """Wake the accept (a connection of our own) and wait for the thread, when it still waits."""
        if not self.done.is_set():
            self._stopping = True
            with contextlib.suppress(OSError), socket.create_connection(address, timeout=1):
                pass
            self.join(timeout=2)
            for conn, _, _ in self.conns.values():
                conn.close()


def _failure(ray: Any, run: Any) -> str:
    try:
        ray.get(run, timeout=5)
    except Exception as exc:
        return _first_line(str(exc)) or type(exc).__name__
    return "it ended at once"


def _actor_death(exc: BaseException) -> str:
    text = str(exc)
    if "ray.kill" in text:
        return "killed by ray.kill"
    if "SIGKILL" in text or "killed" in text.lower():
        return "its process was killed"
    if "node" in text.lower() and "died" in text.lower():
        return "its node died"
    return _first_line(text)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
