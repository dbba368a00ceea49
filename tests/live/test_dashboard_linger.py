"""``--dashboard-linger``: bounded like every duration, and ended at once by Ctrl-C or SIGTERM; the run's
exit code stays the one the run earned (the linger only keeps the final summary on screen)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from loadpulse.live.dashboard import Dashboard, DashboardState
from tests.conftest import CliResult
from tests.ports import free_port


def test_a_signal_ends_the_linger_at_once() -> None:
    watchdog = SimpleNamespace(signals=1)  # a Ctrl-C that stopped the run itself does not end the linger
    dash = Dashboard(DashboardState("t", 1.0), "127.0.0.1", 0, None, linger_s=3600.0)

    async def scenario() -> None:
        await dash.start(SimpleNamespace(request_stop=lambda reason: None, watchdog=watchdog))
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, lambda: setattr(watchdog, "signals", 2))
        await asyncio.wait_for(dash.stop(), 60)  # an hour's linger, ended by the signal


def test_a_signal_between_the_final_summary_and_the_linger_still_ends_it() -> None:
    watchdog = SimpleNamespace(signals=0)
    dash = Dashboard(DashboardState("t", 1.0), "127.0.0.1", 0, None, linger_s=3600.0)

    async def scenario() -> None:
        await dash.start(SimpleNamespace(request_stop=lambda reason: None, watchdog=watchdog))
        dash.finish({"requests": {"total": 0}})
        watchdog.signals += 1
        await asyncio.wait_for(dash.stop(), 60)

    asyncio.run(scenario())

    asyncio.run(scenario())


def test_a_linger_without_a_signal_runs_its_course() -> None:
    dash = Dashboard(DashboardState("t", 1.0), "127.0.0.1", 0, None, linger_s=0.2)
    asyncio.run(dash.stop())


@pytest.mark.parametrize("value", ["99999999999999s", "800h", "2592001"])
def test_a_linger_past_the_longest_duration_is_one_line_exit_2(
    cli: Callable[..., CliResult], value: str
) -> None:
    r = cli("http", "http://127.0.0.1:9/", "-d", "30s", "--no-history", "--dashboard-linger", value)
    assert r.code == 2 and r.out == ""
    assert r.err.startswith("loadpulse: error: --dashboard-linger ") and r.err.count("\n") == 1
    assert "longer than loadpulse runs (at most 30 days)" in r.err


def _final_summary(url: str, deadline_s: float = 60.0) -> dict[str, object]:
    """The dashboard's /summary once the run has finished (the linger has begun)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                body = json.loads(r.read())
            if "status" not in body:  # the final summary replaced the live message
                return dict(body)
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    raise AssertionError("the run never reached its linger")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_linger_ends_it_and_keeps_the_runs_exit_code(
    demo_url: str, sig: signal.Signals
) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadpulse", "http", f"{demo_url}/health", "-n", "20", "-c", "2",
         "--no-history", "--no-progress", f"--dashboard={port}", "--dashboard-linger", "1h"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        summary = _final_summary(f"http://127.0.0.1:{port}/summary")
        assert summary["requests"]["total"] == 20  # type: ignore[index]
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)  # an hour's linger: only the signal can end it here
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_the_dashboard_writes_bidi_overrides_out() -> None:
    """A name holding U+202E would show turned around on the page: the summary it serves escapes it."""
    import urllib.request

    dash = Dashboard(DashboardState("t", 1.0), "127.0.0.1", 0, None, linger_s=0.0)
    got: list[bytes] = []

    async def scenario() -> None:
        await dash.start(SimpleNamespace(request_stop=lambda reason: None, watchdog=None))
        dash.finish({"by_name": {"GET /\u202eevil": {"requests": {"total": 1}}}})
        url = f"http://127.0.0.1:{dash.service.port}/summary"
        got.append(await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read()))
        await dash.stop()

    asyncio.run(scenario())
    assert b"\\\\u202eevil" in got[0] and "\u202e".encode() not in got[0]
