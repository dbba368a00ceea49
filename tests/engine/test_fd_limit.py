"""Running out of file descriptors mid-run: its own error kind, a backoff, and an event loop that stays live.

The limit is lowered in a child process (never in the test process) below what the load needs; the target
(in another process, so its descriptors do not count) holds every connection open. The fd check before the
load lives in engine/run.py; these tests drive the load models directly to reach the limit during the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from loadpulse.protocols.http.connect import BACKOFF_MAX_S, BACKOFF_MIN_S, connect_backoff_s
from tests.engine import fault_servers as fs

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, resource, sys
    from time import perf_counter_ns

    import uvloop

    from loadpulse.engine.closed import ClosedLoad
    from loadpulse.engine.driver import PreparedRequest, Timeouts
    from loadpulse.engine.open import OpenLoad
    from loadpulse.metrics.recorder import Recorder
    from loadpulse.protocols.http.connect import Endpoint
    from loadpulse.protocols.http.request import encode_request
    from loadpulse.protocols.http.url import parse_url

    url, model = sys.argv[1], sys.argv[2]

    async def main() -> None:
        target = parse_url(url)
        endpoint = Endpoint.resolved(target.origin, None, 2.0)
        request = PreparedRequest("GET /", encode_request("GET", "/", target.origin.host_header))
        recorder = Recorder()
        if model == "closed":
            driver = ClosedLoad(endpoint, [request], recorder, Timeouts(), connections=60, requests=None)
        else:
            driver = OpenLoad(
                endpoint, [request], recorder, Timeouts(), rate=3000, max_in_flight=100_000,
                requests=None, warm_connections=2,
            )
        await driver.prepare()
        # 20 descriptors to spare: far fewer than the load wants.
        used = len(os.listdir("/proc/self/fd"))
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (used + 20, hard))
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        t0 = perf_counter_ns()
        driver.start(t0)
        await asyncio.sleep(1.0)
        await driver.drain(0.1)
        ticker.cancel()
        print(json.dumps({
            "errors": recorder.for_name("GET /").errors,
            "ticks": ticks,
            "warnings": driver.warnings,
            "elapsed_s": (perf_counter_ns() - t0) / 1e9,
        }))

    uvloop.run(main())
    """
)


def run_model(model: str) -> dict:  # type: ignore[type-arg]
    with fs.serve_apart("stall") as url:
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, url, model], capture_output=True, text=True, timeout=30
        )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    result["errors"].pop("unfinished", None)  # the stalled connections still open at the end
    return result  # type: ignore[no-any-return]


def test_closed_model_at_the_fd_limit_counts_fd_limit_and_keeps_the_loop_live() -> None:
    r = run_model("closed")
    # ~40 slots cannot get a descriptor; each retries after 10 ms, 20 ms, … (about 7 tries in 1 s).
    assert set(r["errors"]) == {"fd_limit"}, r
    assert 40 <= r["errors"]["fd_limit"] <= 40 * 12, r
    assert r["ticks"] >= 50 and r["elapsed_s"] < 2, r  # the event loop kept its 10 ms timers
    assert any("fd_limit" in w and "ulimit -n" in w for w in r["warnings"]), r


def test_open_model_at_the_fd_limit_counts_every_arrival_and_keeps_the_loop_live() -> None:
    r = run_model("open")
    assert set(r["errors"]) == {"fd_limit"}, r
    # ~3000 arrivals, ~20 of them got a connection (stalled, abandoned at the end): the rest are fd_limit.
    assert 2700 <= r["errors"]["fd_limit"] <= 3100, r
    assert r["ticks"] >= 50 and r["elapsed_s"] < 2, r


@pytest.mark.parametrize(
    ("failures", "pause"),
    [(0, 0.0), (1, BACKOFF_MIN_S), (2, 2 * BACKOFF_MIN_S), (7, 0.64), (8, BACKOFF_MAX_S), (10**6, 1.0)],
)
def test_connect_backoff_doubles_from_10ms_to_1s(failures: int, pause: float) -> None:
    assert connect_backoff_s(failures) == pytest.approx(pause)
