"""HTTP/1.1 as a protocol session (``ctx.http``): the scripted client behind the session interface."""

from __future__ import annotations

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from loadpulse.protocols.session import SessionSettings


class HttpProtocol:
    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        self.http = HttpSession(
            settings.base_url,
            recorder,
            connect_timeout_s=settings.connect_timeout_s,
            read_timeout_s=settings.timeout_s,
            total_timeout_s=settings.timeout_s,
            insecure=settings.insecure,
            clock=settings.clock,
        )
        # The client says why TLS failed and the like once each, with the run's other warnings.
        self.http.warnings = settings.warnings
        self.http.http2 = settings.http2
        self.headers = dict(settings.headers)

    async def prepare(self) -> None:
        if self.http.base is not None:
            self.http.endpoint(self.http.base)  # DNS errors now, as bad input
            if self.http.http2:
                await self.http.h2().check(self.http.base)  # a server without HTTP/2: bad input, once

    def start(self) -> None:
        self.http.start()

    def client(self) -> HttpClient:
        return HttpClient(self.http, self.headers)

    def in_flight(self) -> int:
        return self.http.in_flight()

    def connection_count(self) -> int:
        return self.http.connection_count()

    def close(self) -> None:
        self.http.close()
