"""The plan's HTML report in real headless Chromium: the comparison and its charts draw, each run's own
report draws inside its frame, a skipped run says so, nothing is fetched, hostile names stay text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HOSTILE = "<img src=x onerror='window.__pwned=1'>"


@pytest.fixture(scope="module")
def plan_html(tmp_path_factory: pytest.TempPathFactory, demo_url: str) -> Path:
    """Three runs, the last skipped (in a subprocess: the browser's loop must not meet the run's)."""
    work = tmp_path_factory.mktemp("plan")
    (work / "health.yaml").write_text("scenarios:\n  - requests:\n      - url: /health\n")
    (work / "plan.yaml").write_text(
        "name: shown\n"
        "runs:\n"
        "  - {name: steady, url: /health, connections: 2, duration: 1s}\n"
        f"  - name: {HOSTILE!r}\n"
        "    scenario: health.yaml\n"
        "    vus: 2\n"
        "    duration: 1s\n"
        "    thresholds: ['p50 < 0.001ms']\n"
        "    stop_on_fail: true\n"
        "  - {name: never, url: /health, requests: 5}\n"
    )
    html = work / "plan.html"
    done = subprocess.run(
        [sys.executable, "-m", "loadpulse", "plan", str(work / "plan.yaml"), "-u", demo_url, "--quiet",
         "--no-history", "--html", str(html)],
        check=False,
    )  # fmt: skip
    assert done.returncode == 1
    return html


def test_the_plan_report_draws_its_comparison_and_every_runs_report(browser: Any, plan_html: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    url = plan_html.as_uri()
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    assert [r for r in requests if r not in (url, "about:srcdoc")] == []
    assert problems == []
    rows = page.evaluate(
        "[...document.querySelectorAll('#comparison tbody tr')].map(r => r.getAttribute('data-status'))"
    )
    assert rows == ["NONE", "FAIL", "SKIPPED"]  # no thresholds: NONE
    for chart in ("chart-plan-latency", "chart-plan-throughput"):
        assert page.evaluate(f"document.querySelector('#{chart} canvas').width") > 0
    frames = page.evaluate(
        """[...document.querySelectorAll('section.plan-run iframe')].map(f => ({
            ready: f.contentDocument.body.getAttribute('data-ready'),
            height: f.getBoundingClientRect().height,
            inner: f.contentDocument.documentElement.scrollHeight,
            charts: f.contentDocument.querySelectorAll('.chart canvas').length,
        }))"""
    )
    assert len(frames) == 2
    for frame in frames:
        assert frame["ready"] == "1" and frame["charts"] >= 5
        assert abs(frame["height"] - frame["inner"]) <= 2  # as tall as the report: no inner scrollbar
    skipped = page.evaluate("document.querySelector('#run-3').innerText")
    assert "SKIPPED" in skipped and "failed and has stop_on_fail" in skipped
    assert "skipped: skipped" not in skipped
    assert page.evaluate("window.__pwned") is None
    assert HOSTILE in page.evaluate("document.querySelector('#comparison').innerText")
    page.close()
