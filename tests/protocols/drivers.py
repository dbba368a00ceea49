"""Both drivers of the HTTP core, behind one call, so a wire test runs over each (uvicorn's
``http_protocol_cls`` fixture): the one-liner's ``LoadDriver`` (closed model, one connection) and the
scenarios' ``HttpSession``/``HttpClient``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from loadpulse.clock import VirtualClock
from loadpulse.engine.closed import ClosedLoad
from loadpulse.engine.driver import PreparedRequest, Timeouts
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from loadpulse.protocols.http.request import encode_request
from tests.protocols.mock_net import URL, MockNet, endpoint, run_on

NAME = "GET /"
DEFAULT_TIMEOUTS = Timeouts()


@dataclass
class Outcome:
    statuses: list[int]
    errors: dict[str, int]
    lat_us: list[int]
    bytes_in: int


Driver = Callable[[MockNet, int, Timeouts], Outcome]


def _outcome(recorder: Recorder) -> Outcome:
    rec = recorder.for_name(NAME)
    return Outcome(list(rec.status), dict(rec.errors), list(rec.lat), rec.bytes_in)


def one_liner(net: MockNet, n: int, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> Outcome:
    """``n`` GET / requests from the load one-liner's closed model."""
    recorder = Recorder()

    async def main() -> None:
        ep = endpoint()
        request = PreparedRequest(NAME, encode_request("GET", "/", ep.origin.host_header, []))
        clock = VirtualClock()
        driver = ClosedLoad(ep, [request], recorder, timeouts, connections=1, requests=n, clock=clock)
        driver.start(clock.now_ns())
        await driver.finished
        await driver.drain(0)

    run_on(net, main)
    return _outcome(recorder)


def scripted(net: MockNet, n: int, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> Outcome:
    """``n`` ``await ctx.http.get("/")`` from one scripted VU."""
    recorder = Recorder()

    async def main() -> None:
        session = HttpSession(
            URL,
            recorder,
            read_timeout_s=timeouts.read_s,
            total_timeout_s=timeouts.total_s,
            clock=VirtualClock(),
        )
        session.start()
        client = HttpClient(session)
        for _ in range(n):
            await client.get("/")
        session.close()

    run_on(net, main)
    return _outcome(recorder)


DRIVERS: dict[str, Driver] = {"one_liner": one_liner, "scripted": scripted}
