"""`loadpulse run` with ctx.ws against the demo target's /ws/echo and /ws/feed: what the summary says."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

CHAT = """
from loadpulse import Ctx, task

profile = {{"profile": "constant-vus", "vus": 4, "duration": "{duration}"}}
thresholds = ["http{{name=echo}}.p95 < 2s", "ws_msgs_received.count > 10", "ws_push_gap_ms.p50 > 5"]


@task(weight=3)
async def chat(ctx: Ctx) -> None:
    async with ctx.ws.connect("/ws/echo", name="echo") as ws:
        for i in range(3):
            reply = await ws.request({{"id": i, "text": "hi"}}, match="id", name="echo reply")
            ctx.check('"text":"hi"' in reply, "echoed")


@task(weight=1)
async def watch(ctx: Ctx) -> None:
    async with ctx.ws.connect("/ws/feed?every_ms=20&count=5", name="feed") as ws:
        while True:
            update = await ws.recv_json(timeout=5)  # Closed after the 5th: ends the block quietly
            ctx.check("queue_length" in update, "feed update")
"""


def _file(tmp_path: Path, text: str, name: str = "ws_scenario.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_echo_and_feed_are_measured_and_judged(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    res = cli(
        "run",
        _file(tmp_path, CHAT.format(duration="2s")),
        "-u",
        demo_url,
        "--json",
        "-",
        "-q",
        "--no-history",
    )
    assert res.code == 0, res.err
    s = res.summary()
    by_name = s["by_name"]
    assert by_name["echo"]["requests"]["ok"] > 0 and by_name["echo"]["errors"] == {}
    assert by_name["echo reply"]["requests"]["ok"] == 3 * by_name["echo"]["requests"]["ok"]
    assert (
        by_name["feed"]["requests"]["ok"] > 0 and by_name["feed"]["errors"] == {}
    )  # a 1000 close is no error
    metrics = s["metrics"]
    assert metrics["ws_msgs_sent"]["value"] == by_name["echo reply"]["requests"]["total"]
    assert metrics["ws_msgs_received"]["rate"] > 0 and metrics["ws_bytes_received"]["value"] > 0
    assert metrics["ws_push_gap_ms"]["count"] >= 4 * by_name["feed"]["requests"]["ok"] - 4  # 4 gaps per feed
    assert s["checks"]["echoed"]["failed"] == 0 and s["checks"]["feed update"]["passed"] > 0
    assert s["verdict"] == "PASS" and s["scenarios"]["default"]["script_errors"] == {}


PERSISTENT = """
from loadpulse import Ctx, task

profile = {{"profile": "constant-rate", "rate": {rate}, "duration": "{duration}", "max_vus": 50}}


@task
async def echo(ctx: Ctx) -> None:
    ws = ctx.vu.state.get("ws")
    if ws is None or not ws.ok:  # one connection per VU, kept between its iterations
        ws = ctx.vu.state["ws"] = await ctx.ws.connect("/ws/echo", name="connect")
    await ws.request("ping", name="echo")
"""


def test_the_open_model_holds_its_rate_over_websocket(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = _file(tmp_path, PERSISTENT.format(rate=500, duration="4s"))
    res = cli("run", path, "-u", demo_url, "--json", "-", "-q", "--no-history")
    assert res.code == 0, res.err
    s = res.summary()
    iterations = s["scenarios"]["default"]["iterations"]
    assert abs(iterations - 2000) <= 40, iterations  # within 2 % of rate x duration
    assert s["by_name"]["echo"]["requests"]["ok"] == iterations and s["dropped"] == 0
    assert s["by_name"]["connect"]["requests"]["ok"] <= 50  # kept, not reopened per iteration


def test_two_workers_each_run_their_share_and_merge(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = _file(tmp_path, PERSISTENT.format(rate=100, duration="2s"))
    res = cli("run", path, "-u", demo_url, "--workers", "2", "--json", "-", "-q", "--no-history")
    assert res.code == 0, res.err
    s = res.summary()
    assert s["workers"]["count"] == 2 and s["workers"]["lost"] == []
    assert all(w["requests"] > 0 for w in s["workers"]["per_worker"])
    echo = s["by_name"]["echo"]["requests"]["ok"]
    assert abs(echo - 200) <= 4
    assert s["metrics"]["ws_msgs_received"]["value"] == echo  # both workers' counters merged


def test_a_non_websocket_url_in_setup_is_bad_input_naming_the_line(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    text = """
    from loadpulse import task

    async def setup(ctx):
        await ctx.ws.connect("http://127.0.0.1:1/ws")

    @task
    async def t(ctx):
        pass
    """
    res = cli("run", _file(tmp_path, text), "-u", demo_url, "-d", "1s", "--no-history")
    assert res.code == 2 and "Traceback" not in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert "ws_scenario.py:5" in res.err
    assert "'http://127.0.0.1:1/ws'): http:// is not a WebSocket URL; use ws:// or wss://" in res.err


def test_a_non_websocket_url_in_a_task_is_bad_input_at_its_line(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    text = """
    from loadpulse import task

    profile = {"profile": "shared-iterations", "vus": 1, "iterations": 3}

    @task
    async def t(ctx):
        async with ctx.ws.connect("ftp://127.0.0.1/ws"):
            pass
    """
    path = _file(tmp_path, text)
    res = cli("run", path, "-u", demo_url, "--json", "-", "-q", "--no-history")
    assert res.code == 2 and res.out == "" and "Traceback" not in res.err  # the run stopped: no summary
    assert res.err.strip().splitlines() == [
        f"loadpulse: error: {path}:8: ctx.ws.connect('ftp://127.0.0.1/ws'): ftp:// is not a WebSocket URL; "
        "use ws:// or wss://"
    ]


def test_an_endpoint_that_is_not_websocket_is_a_counted_handshake_error_not_a_storm(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    text = """
    from loadpulse import task

    profile = {"profile": "constant-vus", "vus": 2, "duration": "1500ms"}

    @task
    async def t(ctx):
        async with ctx.ws.connect("/health", name="health") as ws:
            await ws.send("x")
    """
    res = cli("run", _file(tmp_path, text), "-u", demo_url, "--json", "-", "-q", "--no-history")
    s = res.summary()
    failed = s["by_name"]["health"]["errors"]["ws_handshake"]
    # Each VU pauses 10 ms, 20 ms, ... up to 1 s between failures: a handful in 1.5 s, not thousands.
    assert 2 <= failed <= 40 and s["requests"]["ok"] == 0
    assert s["scenarios"]["default"]["script_errors"] == {}  # counted once, as the handshake's kind
    assert any("instead of switching to WebSocket" in w for w in s["warnings"])
