"""Inside a Ray actor: one worker of a ``--cluster`` run, running the very loop a local worker process runs
(:func:`~loadpulse.engine.worker_process.worker_main`) over a TCP connection back to the coordinator.

The conversation is the local one, with a greeting first: the actor connects (the run's random authkey
proves it is one of ours), says ``("hello", index, node_ip, node_id)`` and gets ``("clock", now_ns)``, the
coordinator's clock. ``go``'s start time is on the coordinator's monotonic clock, which means nothing on
another machine: the actor moves it onto its own by the offset the greeting measured (within half the
round trip). Snapshots carry times from the start, on no machine's clock, and need nothing; the tracked
items' send times (``("track", delta)``, a pipeline check) are clock readings, which the coordinator sets
against its own (end-to-end latency from a sink's persist time, arrival order): they are moved back onto
the coordinator's clock by the same offset before they are sent.
"""

from __future__ import annotations

import os
import signal
from multiprocessing.connection import Client, Connection
from time import perf_counter_ns
from typing import Any, cast

from loadpulse.engine.worker_process import worker_main
from loadpulse.pipeline.shipping import TrackedDelta, shifted


class ShiftedClock:
    """The actor's end of the connection: ``go``'s start time moved onto this machine's clock, tracked
    items' send times moved onto the coordinator's."""

    def __init__(self, conn: Connection, offset_ns: int) -> None:
        self.conn = conn
        self.offset_ns = offset_ns

    def recv(self) -> Any:
        message = self.conn.recv()
        if isinstance(message, tuple) and message and message[0] == "go":
            return ("go", int(message[1]) + self.offset_ns)
        return message

    def send(self, message: Any) -> None:
        if isinstance(message, tuple) and message and message[0] == "track":
            assert isinstance(message[1], TrackedDelta)
            message = ("track", shifted(message[1], self.offset_ns))
        self.conn.send(message)

    def poll(self, timeout: float | None = 0.0) -> bool:
        return self.conn.poll(timeout)

    def close(self) -> None:
        self.conn.close()


def greet(conn: Connection, index: int, node_ip: str, node_id: str) -> int:
    """Say who this is; returns this machine's clock minus the coordinator's."""
    sent = perf_counter_ns()
    conn.send(("hello", index, node_ip, node_id))
    kind, theirs = conn.recv()
    if kind != "clock":
        raise ConnectionError(f"the coordinator answered {kind!r} to the greeting")
    return (sent + perf_counter_ns()) // 2 - int(theirs)


class RayWorker:
    """The actor class (made remote by the launcher, so that importing this needs no Ray)."""

    def run(
        self,
        part: dict[str, Any],
        file_name: str | None,
        address: tuple[str, int],
        authkey: bytes,
        index: int,
    ) -> None:
        """Run worker ``index``'s part to its end, talking to the coordinator at ``address``."""
        import ray

        if file_name is not None:
            # Ray unpacked the scenario's folder here (the run's working_dir): the driver's path means
            # nothing on another node. The digest in ``part`` still proves it is the same file.
            part = {**part, "path": os.path.join(os.getcwd(), file_name)}
        conn = Client(address, authkey=authkey)
        context = ray.get_runtime_context()
        node_ip = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]  # unannotated in Ray
        offset = greet(conn, index, node_ip, context.get_node_id())
        # worker_main ignores SIGINT/SIGTERM (a local worker leaves Ctrl-C to the coordinator); this
        # process is Ray's and outlives the run: its handlers are given back.
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            worker_main(part, cast(Connection, ShiftedClock(conn, offset)))
        finally:
            for s, handler in handlers.items():
                signal.signal(s, handler)
