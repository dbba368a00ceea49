"""Faults live: the dashboard shades them on its charts and lists them (the active one highlighted) in real
Chromium; the Prometheus endpoint's annotation metrics (1 while a fault is on, 0 after; the recovery time).

The dashboard is served by a small driver in a subprocess (the browser keeps an event loop of its own,
tests/browser.py) that feeds it intervals and fault events the way a run's outputs are fed, and holds the
fault on until the test has looked at it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from loadpulse.live.prometheus import AggregateCollector
from loadpulse.live.state import MAX_FAULTS_KEPT, LiveFaults
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.outputs.contract import Interval
from loadpulse.outputs.prometheus import PrometheusOutput
from tests.live.test_dashboard_pipeline import wait_http
from tests.outputs.test_html_faults import AMBER_OUTLINE
from tests.ports import free_port

DRIVER = """
import asyncio, pathlib, sys
from loadpulse.live.dashboard import Dashboard, DashboardState
from loadpulse.metrics.aggregate import Aggregate, SeriesRow

port, go, go2 = int(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
NOTE = "not measurable: healthy from 0.3 s after it until the run's end, but the settling window did not fit"

class Runner:
    def request_stop(self, why): pass

def row(t):
    return SeriesRow(t_s=t, interval_s=1.0, requests=100, ok=100, failed=0, rate=100.0, p50_ms=5.0,
                     p90_ms=6.0, p95_ms=7.0, p99_ms=9.0, max_ms=12.0, errors={}, dropped=0, in_flight=3,
                     connections=4, vus=4)

async def main():
    state = DashboardState("chaos", 12.0)
    dash = Dashboard(state, "127.0.0.1", port, None, 60.0)
    await dash.start(Runner())
    agg = Aggregate()
    for t in range(1, 5):
        state.update(row(float(t)), agg, [])
    state.on_fault("kill-worker", "kill", "start", 2.5, "SIGKILL pid 42 (worker.py)")
    state.on_fault("kill-worker", "kill", "end", 2.5)
    state.on_fault("kill-worker", "kill", "recovered", 3.1)
    state.on_fault("db-latency", "proxy", "start", 4.0, "latency 200ms on db")
    for t in range(5, 8):
        state.update(row(float(t)), agg, [])
    while not go.exists():  # the test looks at the active fault first
        await asyncio.sleep(0.05)
    state.on_fault("db-latency", "proxy", "end", 7.5)
    for t in range(8, 11):
        state.update(row(float(t)), agg, [])
    state.on_fault("db-latency", "proxy", "recovered", 9.0)
    state.on_fault("blip", "proxy", "start", 10.2, "latency 1s on db")
    state.on_fault("blip", "proxy", "end", 10.4)
    state.on_fault("blip", "proxy", "warning", 11.0, "recovery " + NOTE)
    # the run's aggregate says its recovery is not measurable (no event of its own)
    agg.faults = [{"name": "blip", "kind": "proxy", "start_s": 10.2, "end_s": 10.4, "recovery_s": 0.3,
                   "recovered": None, "recovery_note": NOTE}]
    state.update(row(11.0), agg, [])
    while not go2.exists():
        await asyncio.sleep(0.05)
    summary = {"ended_by": "duration", "verdict": "PASS", "faults": [
        {"name": "kill-worker", "kind": "kill", "target": "worker.py", "detail": "SIGKILL pid 42 (worker.py)",
         "start_s": 2.5, "end_s": 2.5, "recovery_s": 0.6, "recovered": True, "warnings": []},
        {"name": "db-latency", "kind": "proxy", "target": "db", "detail": "latency 200ms on db",
         "start_s": 4.0, "end_s": 7.5, "recovery_s": 1.5, "recovered": True, "warnings": []},
        {"name": "blip", "kind": "proxy", "target": "db", "detail": "latency 1s on db", "start_s": 10.2,
         "end_s": 10.4, "recovery_s": 0.3, "recovered": None, "recovery_note": NOTE,
         "warnings": ["recovery " + NOTE]}]}
    dash.finish(summary)
    await dash.stop()

asyncio.run(main())
"""


@pytest.fixture
def fault_dashboard(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    go = tmp_path / "go"
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(DRIVER), str(port), str(go), str(tmp_path / "go2")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url)
        yield url, go
    finally:
        proc.kill()
        proc.wait()


RED_SHARE = """([chart, t]) => {
    const u = LoadpulseCharts.charts[chart], x = Math.round(u.valToPos(t, 'x', true));
    const px = u.ctx.getImageData(x, Math.round(u.bbox.top), 1, Math.round(u.bbox.height)).data;
    let red = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && px[i] > px[i + 1] + 100) red++;
    return red / (px.length / 4);
}"""

TITLE = "() => document.querySelector('#faults tr.unmeasured').cells[4].title"
NOTE = "not measurable: healthy from 0.3 s after it until the run's end, but the settling window did not fit"
ROWS = """() => [...document.querySelectorAll('#faults tbody tr')].map(
    r => [r.className, ...[...r.cells].map(c => c.textContent)])"""


def test_the_dashboard_shades_and_lists_faults(browser: Any, fault_dashboard: tuple[str, Path]) -> None:
    url, go = fault_dashboard
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("#faults tr.active")
    rows = page.evaluate(ROWS)
    assert rows[0][:2] == ["recovered", "kill-worker"] and rows[0][4:] == ["at 2.5 s", "recovered in 0.6 s"]
    assert rows[1] == ["active", "db-latency", "proxy", "latency 200ms on db", "since 4 s", "active"]
    # every chart shades the active fault up to the latest second, and nothing before the first fault
    for chart in range(4):
        assert page.evaluate(RED_SHARE, [chart, 5.5]) > 0.5, chart
        assert page.evaluate(RED_SHARE, [chart, 1.5]) < 0.1, chart
    go.touch()
    # a recovery not measurable, known mid-run (the next fault began, or the run's end): not "never"
    page.wait_for_selector("#faults tr.unmeasured")
    blip = [
        "unmeasured",
        "blip",
        "proxy",
        "latency 1s on db",
        "10.2 \u2013 10.4 s",
        "not measurable (~0.3 s?)",
    ]
    rows = page.evaluate(ROWS)
    assert rows[2] == blip and rows[3] == ["", "warning: recovery " + NOTE]
    assert page.evaluate(TITLE) == NOTE
    assert page.evaluate(AMBER_OUTLINE, [0, 10.4, 10.7]) > 10  # its band: an amber outline
    (go.parent / "go2").touch()
    page.wait_for_selector("body[data-final='1']")
    rows = page.evaluate(ROWS)
    assert rows[2] == blip and page.evaluate(TITLE) == NOTE  # the run's own account agrees
    assert rows[1] == [
        "recovered",
        "db-latency",
        "proxy",
        "latency 200ms on db",
        "4 \u2013 7.5 s",
        "recovered in 1.5 s",
    ]
    assert page.evaluate(RED_SHARE, [0, 6.0]) > 0.5 and page.evaluate(RED_SHARE, [0, 9.5]) < 0.1
    assert not errors
    page.close()


# Prometheus -------------------------------------------------------------------------------------------


def _scrape(out: PrometheusOutput) -> dict[str, float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AggregateCollector(out.state, ("s3cret",)))
    text = generate_latest(registry).decode()
    found = re.findall(r"^(loadpulse_fault_[a-z_]+\{[^}]*\}) (\S+)$", text, re.M)
    return {name: float(value) for name, value in found}


def test_prometheus_fault_annotations() -> None:
    out = PrometheusOutput(0, "127.0.0.1", None, ("s3cret",), None)
    assert _scrape(out) == {}  # no fault, no family
    out.on_fault("db-latency", "proxy", "start", 10.0, "latency 200ms")
    out.on_fault("kill s3cret", "kill", "start", 11.0)
    out.on_fault("kill s3cret", "kill", "end", 11.0)
    assert _scrape(out) == {
        'loadpulse_fault_active{kind="proxy",name="db-latency"}': 1.0,
        'loadpulse_fault_active{kind="kill",name="kill [redacted]"}': 0.0,
    }
    out.on_fault("db-latency", "proxy", "end", 14.0)
    out.on_fault("db-latency", "proxy", "recovered", 15.5)
    out.on_fault("kill s3cret", "kill", "recovered", 11.25)
    assert _scrape(out) == {
        'loadpulse_fault_active{kind="proxy",name="db-latency"}': 0.0,
        'loadpulse_fault_active{kind="kill",name="kill [redacted]"}': 0.0,
        'loadpulse_fault_recovery_seconds{name="db-latency"}': 1.5,
        'loadpulse_fault_recovery_seconds{name="kill [redacted]"}': 0.25,
    }
    # a repeating fault: its latest occurrence counts, on again while it is on
    out.on_fault("db-latency", "proxy", "start", 30.0)
    scraped = _scrape(out)
    assert scraped['loadpulse_fault_active{kind="proxy",name="db-latency"}'] == 1.0
    assert 'loadpulse_fault_recovery_seconds{name="db-latency"}' not in scraped


def test_live_faults_stay_bounded() -> None:
    faults = LiveFaults()
    faults.on_fault("stuck", "pause", "start", 0.0)
    for i in range(MAX_FAULTS_KEPT + 50):
        faults.on_fault("kill", "kill", "start", float(i + 1))
        faults.on_fault("kill", "kill", "end", float(i + 1))
    kept = faults.to_list()
    assert len(kept) == MAX_FAULTS_KEPT and kept[0]["name"] == "stuck"  # the active one is never dropped
    assert kept[-1]["start_s"] == MAX_FAULTS_KEPT + 50


def test_prometheus_has_no_recovery_sample_for_a_recovery_not_measurable() -> None:
    out = PrometheusOutput(0, "127.0.0.1", None, (), None)
    out.on_fault("db-latency", "proxy", "start", 10.0)
    out.on_fault("db-latency", "proxy", "end", 14.0)
    out.on_fault("db-latency", "proxy", "recovered", 15.5)
    out.on_fault("db-latency", "proxy", "start", 27.0)  # again, too near the run's end to measure
    out.on_fault("db-latency", "proxy", "end", 28.0)
    agg = Aggregate()
    agg.faults = [
        {"name": "db-latency", "kind": "proxy", "start_s": 10.0, "end_s": 14.0, "recovery_s": 1.5,
         "recovered": True},
        {"name": "db-latency", "kind": "proxy", "start_s": 27.0, "end_s": 28.0, "recovery_s": 1.0,
         "recovered": None, "recovery_note": NOTE},
    ]  # fmt: skip
    row: Any = SimpleNamespace(in_flight=0)
    out.add(Interval(cast(Any, None), row, agg))
    # the latest occurrence's recovery is not known: no sample (not the earlier one's, not its tentative)
    assert _scrape(out) == {'loadpulse_fault_active{kind="proxy",name="db-latency"}': 0.0}
    first, latest = out.state.faults.to_list()
    assert first["recovered"] is True and first["recovery_s"] == 1.5
    assert latest["recovered"] is None and latest["recovery_s"] == 1.0 and latest["recovery_note"] == NOTE


def test_live_faults_take_only_a_not_measurable_verdict_from_the_aggregate() -> None:
    faults = LiveFaults()
    faults.on_fault("kill", "kill", "start", 5.0)
    faults.on_fault("kill", "kill", "end", 5.0)
    faults.judged([{"name": "kill", "start_s": 5.0, "end_s": 5.0, "recovery_s": None, "recovered": False}])
    faults.judged([{"name": "kill", "start_s": 9.0, "end_s": 9.0, "recovered": None}])  # no such occurrence
    faults.judged(None)
    assert faults.to_list()[0]["recovered"] is False and faults.to_list()[0]["recovery_note"] == ""
    faults.judged([{"name": "kill", "start_s": 5.0004, "end_s": 5.0, "recovery_s": None, "recovered": None}])
    got = faults.to_list()[0]
    assert got["recovered"] is None and got["recovery_s"] is None and got["recovery_note"] == "not measurable"
