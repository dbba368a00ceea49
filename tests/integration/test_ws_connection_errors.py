"""A WebSocket the server ends while no request waits on it is an error of the run, not a failed request:
requests and ok % stay the requests', the error kind shows everywhere errors do (thresholds, Summary JSON,
console, results file, history) and adds up across ``--workers``."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.protocols.ws.lean_server import lean_server

VUS, ITERATIONS = 2, 5
CONNECTIONS = VUS * ITERATIONS

DROPPED = """
from loadpulse import Ctx, task

profile = {{"profile": "per-vu-iterations", "vus": {vus}, "iterations": {iterations}}}
thresholds = ["errors.ws_abnormal.count < 1", "errors.rate < 1%", "errors.count == 0"]


@task
async def listen(ctx: Ctx) -> None:
    async with ctx.ws.connect("{url}/drop", name="drop") as ws:
        await ws.send("bye")  # the server drops the TCP connection (1006) after its first message
        await ws.recv(timeout=5)  # only listening, no request(): Closed ends the block quietly
"""


@pytest.fixture(scope="module")
def ws_url() -> Iterator[str]:
    with lean_server() as url:
        yield url


def _scenario(tmp_path: Path, ws_url: str) -> str:
    path = tmp_path / "dropped.py"
    path.write_text(textwrap.dedent(DROPPED.format(vus=VUS, iterations=ITERATIONS, url=ws_url)))
    return str(path)


def _assert_counted_as_ends(s: dict[str, Any]) -> None:
    drop = s["by_name"]["drop"]
    # Each handshake is a request and succeeded; the drops that followed are no requests.
    assert drop["requests"]["total"] == drop["requests"]["ok"] == CONNECTIONS
    assert drop["requests"]["failed"] == 0 and s["requests"]["failed"] == 0
    assert drop["errors"] == drop["connection_errors"] == {"ws_abnormal": CONNECTIONS}
    assert s["errors"]["ws_abnormal"] == s["connection_errors"]["ws_abnormal"] == CONNECTIONS
    verdicts = {t["expression"]: (t["verdict"], t["actual"]) for t in s["thresholds"]}
    assert verdicts == {
        "errors.ws_abnormal.count < 1": ("FAIL", CONNECTIONS),  # thresholds still see every end
        "errors.rate < 1%": ("PASS", 0.0),  # but no request failed
        "errors.count == 0": ("PASS", 0.0),
    }
    assert s["verdict"] == "FAIL"
    # Said once for the run however many processes saw the ends (their counts added).
    lost = [w for w in s["warnings"] if w.startswith("ws_abnormal:")]
    assert lost == [
        f"ws_abnormal: {CONNECTIONS:,} connections lost without a close frame (1006: the server died, a "
        "proxy cut it)"
    ]


def test_ends_with_nothing_waiting_are_errors_not_requests(
    cli: Callable[..., CliResult], tmp_path: Path, ws_url: str
) -> None:
    store = f"sqlite:///{tmp_path / 'h.sqlite'}"
    summary, results = tmp_path / "s.json", tmp_path / "r.json"
    res = cli(
        "run", _scenario(tmp_path, ws_url), "--json", str(summary), "--out", str(results), "--store", store,
        "--no-progress",
    )  # fmt: skip
    assert res.code == 1, res.err
    _assert_counted_as_ends(json.loads(summary.read_text()))
    assert f"ws_abnormal: {CONNECTIONS} (connection ends, not requests)" in res.out
    assert "(100.00%)" in res.out  # ok %: every request (handshake) succeeded
    # The results file validates and keeps them apart; the history keeps the run's summary as it was.
    assert json.loads(results.read_text())["histograms"]["by_name"]["drop"]["connection_errors"] == {
        "ws_abnormal": CONNECTIONS
    }
    shown = cli("show", "last", "--store", store, "--json")
    assert shown.code == 0, shown.err
    _assert_counted_as_ends(json.loads(shown.out))
    listed = json.loads(cli("history", "--store", store, "--json").out)
    assert listed[0]["requests"] == CONNECTIONS and listed[0]["error_rate"] == 0.0


def test_two_workers_add_up_their_ends(cli: Callable[..., CliResult], tmp_path: Path, ws_url: str) -> None:
    res = cli("run", _scenario(tmp_path, ws_url), "--workers", "2", "--json", "-", "-q", "--no-history")
    assert res.code == 1, res.err
    s = res.summary()
    assert s["workers"]["count"] == 2 and s["workers"]["lost"] == []
    _assert_counted_as_ends(s)
