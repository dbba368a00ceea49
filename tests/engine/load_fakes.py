"""The one-liner's load drivers on a mock network in virtual time."""

from __future__ import annotations

from loadpulse.clock import VirtualClock
from loadpulse.engine.closed import ClosedLoad
from loadpulse.engine.driver import PreparedRequest, Timeouts
from loadpulse.engine.open import OpenLoad
from loadpulse.engine.run import Load
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.request import encode_request
from tests.protocols.mock_net import endpoint

NAME = "GET /"
CLOCK = VirtualClock()


def request() -> PreparedRequest:
    return PreparedRequest(NAME, encode_request("GET", "/", endpoint().origin.host_header, []))


def open_load(
    recorder: Recorder,
    rate: float,
    requests: int | None = None,
    max_in_flight: int = 100,
    warm: int = 1,
    timeouts: Timeouts | None = None,
) -> OpenLoad:
    return OpenLoad(
        endpoint(), [request()], recorder, timeouts or Timeouts(), rate, max_in_flight, requests, warm, CLOCK
    )


def closed_load(recorder: Recorder, connections: int, requests: int | None = None) -> ClosedLoad:
    return ClosedLoad(endpoint(), [request()], recorder, Timeouts(), connections, requests, CLOCK)


async def run_load(driver: Load, stop_after_s: float | None = None, grace_s: float = 0.0) -> int:
    """Prepare and start ``driver`` (a one-liner driver or a scenario load) at virtual 0; stop it after
    ``stop_after_s`` (or when it finishes by itself) and drain with ``grace_s``, as the Runner does.
    Returns the virtual time it ended at."""
    await driver.prepare()
    driver.start(CLOCK.now_ns())
    if stop_after_s is None:
        await driver.finished
    else:
        await CLOCK.sleep(stop_after_s)
        driver.stop()
    await driver.drain(grace_s)
    return CLOCK.now_ns()
