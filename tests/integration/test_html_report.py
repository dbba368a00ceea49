"""The HTML report in real headless Chromium: charts draw, nothing is fetched, hostile text stays text."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror='window.__pwned=2'>"
CHARTS = ("throughput", "latency", "errors", "vus", "dropped", "spectrum", "histogram")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, demo_url: str) -> tuple[Path, dict[str, Any]]:
    """A real scenario run (in a subprocess: the browser's loop must not meet the run's) with hostile
    names in a request, a check, a custom metric and an error."""
    work = tmp_path_factory.mktemp("report")
    scenario = work / "hostile.py"
    scenario.write_text(
        textwrap.dedent(
            f"""
            from loadpulse import task

            profile = {{"profile": "constant-rate", "rate": 100, "duration": "3s", "max_vus": 20}}
            NAME = {HOSTILE!r}

            @task(weight=3)
            async def ok(ctx):
                r = await ctx.http.get("/health", name=NAME)
                ctx.check(r.status == 200, NAME)
                ctx.counter(NAME)

            @task(weight=1)
            async def missing(ctx):
                await ctx.http.get("/api/messages/999999999", name="missing")

            @task(weight=1)
            async def broken(ctx):
                raise ValueError(NAME)
            """
        )
    )
    html = work / "report.html"
    subprocess.run(
        [sys.executable, "-m", "loadpulse", "run", str(scenario), "-u", demo_url, "--html", str(html),
         "--json", str(work / "s.json"), "--quiet", "-t", "p95 < 1s", "--no-history"],
        check=True,
    )  # fmt: skip
    return html, json.loads((work / "s.json").read_text())


def test_report_draws_every_chart_offline_without_errors(
    browser: Any, report: tuple[Path, dict[str, Any]]
) -> None:
    html, _ = report
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    url = html.as_uri()
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    assert [r for r in requests if r != url] == []  # the page itself, nothing else
    assert problems == []
    for chart in CHARTS:
        drawn = page.evaluate(
            """id => {
                const c = document.querySelector('#chart-' + id + ' canvas');
                if (!c || !c.width || !c.height) return 0;
                const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let ink = 0;
                for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) ink++;
                return ink;
            }""",
            chart,
        )
        assert drawn > 500, f"chart {chart} has not drawn ({drawn} painted pixels)"
    page.close()


def test_hostile_text_stays_inert_text(browser: Any, report: tuple[Path, dict[str, Any]]) -> None:
    html, summary = report
    assert HOSTILE in summary["by_name"]  # the run really used it
    assert HOSTILE not in html.read_text()  # never written raw into the page
    page = browser.new_page()
    page.goto(html.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('main script, main img').length") == 0
    cells = page.evaluate("[...document.querySelectorAll('td')].map(td => td.textContent)")
    assert cells.count(HOSTILE) >= 3  # per-name, checks and custom metric tables, as plain text
    body = page.evaluate("document.body.innerText")
    assert "p95 < 1s" in body and "PASS" in body and "http_4xx" in body
    assert "Script errors" in body and "ValueError at hostile.py:" in body  # with its message, as text
    assert cells.count(HOSTILE) >= 4
    page.close()


def test_the_runs_warnings_head_the_report(browser: Any, tmp_path: Path, demo_url: str) -> None:
    out = tmp_path / "r.json.gz"
    subprocess.run(
        [sys.executable, "-m", "loadpulse", "http", f"{demo_url}/health", "-n", "20", "-c", "1", "--quiet",
         "--no-history", "--out", str(out)],
        check=True,
    )  # fmt: skip
    doc = json.loads(gzip.decompress(out.read_bytes()))
    doc["summary"]["warnings"] = [f"1,234 distinct request names; {HOSTILE}"]
    out.write_bytes(gzip.compress(json.dumps(doc).encode()))
    html = tmp_path / "r.html"
    subprocess.run([sys.executable, "-m", "loadpulse", "report", str(out), "--html", str(html)], check=True)
    page = browser.new_page()
    page.goto(html.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    shown = page.evaluate("[...document.querySelectorAll('.warning')].map(d => d.textContent)")
    assert shown == [f"warning: 1,234 distinct request names; {HOSTILE}"]
    assert page.evaluate("window.__pwned") is None
    page.close()


def test_connection_ends_are_marked_and_an_empty_trend_says_no_data(
    browser: Any, tmp_path: Path, demo_url: str
) -> None:
    out = tmp_path / "r.json.gz"
    subprocess.run(
        [sys.executable, "-m", "loadpulse", "http", f"{demo_url}/health", "-n", "20", "-c", "1", "--quiet",
         "--no-history", "--out", str(out)],
        check=True,
    )  # fmt: skip
    doc = json.loads(gzip.decompress(out.read_bytes()))
    # As a WebSocket run writes them: 7 dropped connections nobody waited on, 2 requests cut short.
    doc["summary"]["errors"] = {"ws_abnormal": 9, "timeout": 1}
    doc["summary"]["connection_errors"] = {"ws_abnormal": 7}
    figures = ("min", "mean", "p50", "p90", "p95", "p99", "p999", "max")
    doc["summary"]["metrics"] = {"idle_ms": {"kind": "trend", **dict.fromkeys(figures), "count": 0}}
    out.write_bytes(gzip.compress(json.dumps(doc).encode()))
    html = tmp_path / "r.html"
    subprocess.run([sys.executable, "-m", "loadpulse", "report", str(out), "--html", str(html)], check=True)
    page = browser.new_page()
    page.goto(html.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    rows = page.evaluate(
        "[...document.querySelectorAll('tr')].map(tr => [...tr.children].map(c => c.textContent))"
    )
    assert ["kind", "count", "of them connection ends (not requests)"] in rows
    assert ["ws_abnormal", "9", "7"] in rows and ["timeout", "1", ""] in rows
    assert ["idle_ms", "trend", "no data"] in rows
    page.close()
