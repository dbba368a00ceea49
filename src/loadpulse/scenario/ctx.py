"""The API user code gets: ``ctx.http`` (and every other protocol by name), ``ctx.check``, ``ctx.sleep``,
``ctx.vu``, custom metrics."""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from loadpulse.metrics.scenario_stats import MetricsRecorder
from loadpulse.protocols import registry
from loadpulse.protocols.sessions import Sessions

if TYPE_CHECKING:
    from loadpulse.pipeline.tracking import Tracker
    from loadpulse.protocols.call import Caller
    from loadpulse.protocols.grpc.plugin import GrpcClient
    from loadpulse.protocols.http.client import HttpClient, Response
    from loadpulse.protocols.timed import Timer
    from loadpulse.protocols.ws.client import WsClient


@dataclass(slots=True)
class Vu:
    """A virtual user: its number, how many iterations it has started, and state kept between them."""

    id: int
    iteration: int = 0
    state: dict[str, Any] = field(default_factory=dict)


class ProtocolAccess:
    """``ctx.<protocol>``: this VU's client for a protocol, made on first use and then kept as a plain
    attribute (so the hot path is one dict lookup, not a call)."""

    if TYPE_CHECKING:  # what editors and type checkers see; at run time every protocol is looked up by name
        http: HttpClient
        timed: Timer
        call: Caller
        ws: WsClient
        grpc: GrpcClient

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._clients: list[Any] = []
        self._intended_ns = 0
        self._iteration_ns = 0
        """The current iteration's intended start (open model), kept for ``ctx.track``."""
        self._pending: list[int] = []
        """Items ``ctx.track`` made for the next request: it says whether they were sent or rejected."""
        self._tracker: Tracker | None = None
        self._timed = False
        """An iteration had an intended start (open model): clients may hold one that must be reset."""

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes yet; private and dunder names (copy, pickle,
        # IPython probing) must stay plain AttributeErrors.
        if name.startswith("_") or not registry.known(name):
            public = [n for n in (*registry.names(), *dir(self)) if not n.startswith("_")]
            close = [] if name.startswith("_") else difflib.get_close_matches(name, public, n=1)
            hint = f"; did you mean ctx.{close[0]}?" if close else ""
            raise AttributeError(f"ctx has no attribute {name!r}{hint}")
        client = self._sessions.client(name)
        if self._tracker is not None and hasattr(client, "on_done"):
            # Only a run that tracks items pays for being told how each request ended.
            client.on_done = self._settle
        if self._intended_ns and hasattr(client, "intended_ns"):
            client.intended_ns, self._intended_ns = self._intended_ns, 0
        self._clients.append(client)
        setattr(self, name, client)
        return client

    def begin_iteration(self, intended_ns: int) -> None:
        """Open model: the iteration's intended start, which the next request's latency counts from (the
        coordinated-omission correction). A client made later in the iteration gets it if none took it."""
        self._intended_ns = self._iteration_ns = intended_ns
        if not (intended_ns or self._timed):
            return  # closed model: no client was ever given an intended start, so none has one to clear
        self._timed = True
        for client in self._clients:
            if hasattr(client, "intended_ns"):
                client.intended_ns = intended_ns
                self._intended_ns = 0

    def _settle(self, accepted: bool) -> None:
        if self._pending and self._tracker is not None:
            settle = self._tracker.settle
            for slot in self._pending:
                settle(slot, accepted)
            self._pending.clear()

    def track(self, key: str | int | None = None, *, since: Response | None = None) -> str:
        """A fresh id to put into what the next request sends (or ``key``, an id the system gave), checked
        against the run's pipeline sinks: lost, duplicated, end-to-end latency. It counts as sent when that
        request is accepted (2xx/3xx), as rejected when it fails. ``since=response``: the item was sent
        by that request (an id the system assigned, read from its answer)."""
        tracker = self._tracker
        if tracker is None:
            raise RuntimeError(
                "ctx.track() needs somewhere to look for the items: pipeline = {'sink': ...} in the "
                "scenario file, or --sink"
            )
        if since is not None:
            if key is None:
                raise ValueError("ctx.track(key, since=response) needs the key the system gave the item")
            elapsed_ms = getattr(since, "elapsed_ms", None)
            if not isinstance(elapsed_ms, int | float) or not hasattr(since, "ok"):
                raise TypeError(f"since= takes the Response of the request that sent the item, not {since!r}")
            item, slot = tracker.track_slot(key, perf_counter_ns() - int(elapsed_ms * 1e6))
            tracker.settle(slot, since.ok)
            return item
        sent = self._iteration_ns or perf_counter_ns()  # open model: from the intended start, like latency
        self._iteration_ns = 0
        if key is None:
            slot = tracker.new_slot(sent)
            self._pending.append(slot)
            return tracker.generated_id(slot)
        item, slot = tracker.track_slot(key, sent)
        self._pending.append(slot)
        return item

    async def warm(self) -> None:
        """Connect the clients of the protocols already open (the base URL's) before the clock starts."""
        for name in list(self._sessions.open):
            warm = getattr(getattr(self, name), "warm", None)
            if warm is not None:
                await warm()


class Ctx(ProtocolAccess):
    """Given to every task call. One per VU, reused across its iterations."""

    def __init__(
        self,
        sessions: Sessions,
        vu: Vu,
        scenario: str,
        metrics: MetricsRecorder,
        data: Any = None,
        env: dict[str, str] | None = None,
        tracker: Tracker | None = None,
    ) -> None:
        super().__init__(sessions)
        self._tracker = tracker
        self.vu = vu
        self.scenario = scenario
        self.data = data
        """What the file's ``setup()`` returned (None without one)."""
        self.env = env or {}
        """--env KEY=VAL values."""
        self._metrics = metrics
        self._checks = metrics.checks
        """The recorder's own dict (emptied in place at each cut, never replaced): a check already seen is
        counted here without a call into the recorder."""

    def check(self, condition: object, name: str) -> bool:
        """Record a named pass/fail check; returns the condition so scripts can branch on it."""
        ok = bool(condition)
        slot = self._checks.get(name)
        if slot is None:
            self._metrics.check(name, ok)  # first seen, or grouped past the cap
        else:
            slot[not ok] += 1  # [passed, failed]
        return ok

    async def sleep(self, seconds: float) -> None:
        """Think time: the VU pauses without holding a request open."""
        await asyncio.sleep(seconds)

    def counter(self, name: str, value: float = 1.0) -> None:
        """Add to a custom counter (reported as its total and rate)."""
        self._metrics.declare(name, "counter")
        self._metrics.add_counter(name, value)

    def trend(self, name: str, value: float) -> None:
        """Record a value (e.g. milliseconds) in a custom trend (reported as percentiles)."""
        self._metrics.declare(name, "trend")
        self._metrics.add_trend(name, value)

    def rate(self, name: str, value: bool) -> None:
        """Record a true/false outcome in a custom rate (reported as the share of true)."""
        self._metrics.declare(name, "rate")
        self._metrics.add_rate(name, value)


class SetupCtx(ProtocolAccess):
    """Given to ``setup()`` and ``teardown()``: protocol clients whose requests are not in the results."""

    def __init__(self, sessions: Sessions, env: dict[str, str]) -> None:
        super().__init__(sessions)
        self.env = env
