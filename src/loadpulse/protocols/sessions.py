"""The protocol sessions of one run, opened on first use; what the scenario engine holds instead of a client.

User code reaches a protocol as ``ctx.<name>``: the first VU that does opens the run's session for it
(see :mod:`loadpulse.protocols.registry`), every VU gets its own client from that session. The engine asks
this object, never a protocol, how many requests are in flight and how many connections are open.
"""

from __future__ import annotations

from typing import Any

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols import registry
from loadpulse.protocols.session import ProtocolSession, SessionSettings


class Sessions:
    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        self.settings = settings
        self.recorder = recorder
        self.open: dict[str, ProtocolSession] = {}
        self._started = False
        self._closed = False

    def session(self, name: str) -> ProtocolSession:
        """The run's session for protocol ``name``, opened (and started, once the load runs) on first use."""
        session = self.open.get(name)
        if session is None:
            if self._closed:
                raise RuntimeError(f"ctx.{name} used after the run ended")
            session = self.open[name] = registry.factory(name)(self.settings, self.recorder)
            if self._started:
                session.start()
        return session

    def client(self, name: str) -> Any:
        return self.session(name).client()

    async def prepare(self) -> None:
        """Open the default protocol ahead when there is a base URL: a bad one is bad input before the load,
        not a failure of every request."""
        if self.settings.base_url:
            await self.session(registry.DEFAULT).prepare()

    def start(self) -> None:
        self._started = True
        for session in self.open.values():
            session.start()

    def in_flight(self) -> int:
        return sum(s.in_flight() for s in self.open.values())

    def connection_count(self) -> int:
        return sum(s.connection_count() for s in self.open.values())

    def close(self) -> None:
        self._closed = True
        for session in self.open.values():
            session.close()
