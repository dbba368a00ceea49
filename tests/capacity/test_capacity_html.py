"""The capacity report in Chromium: the curve is drawn with its knee, the steps are listed, and text from
the command line stays text."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from loadpulse.outputs.html_capacity import write_capacity_html


def _step(rate: float, achieved: float, p95: float, passed: bool, **kw: Any) -> dict[str, Any]:
    return {
        "rate": rate, "achieved": achieved, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 1.2,
        "error_rate": 0.0, "passed": passed, "generator_limited": False, "generator_reason": None,
        "limited_by": None if passed else "p95<100ms", "duration_s": 4.0, "dropped": 0, "ended": "settled",
        "run_id": f"run-{rate:g}", **kw,
    }  # fmt: skip


DOC = {
    "schema": "loadpulse.capacity/1",
    "capacity": {
        "search_id": "20260101T000000Z-abcdef",
        "started_at": "2026-01-01T00:00:00.000Z",
        "target": "http://127.0.0.1:8000/<img src=x onerror=alert(1)>",
        "slos": ["p95<100ms"],
        "max_rate": 300.0,
        "ci": [296.0, 316.0],
        "limited_by": "p95<100ms",
        "unit": "req/s",
        "stopped_by": "precision",
        "message": "found within 5 %",
        "settings": {},
        "steps": [
            _step(50, 50, 1.2, True),
            _step(100, 100, 1.1, True),
            _step(200, 200, 1.0, True),
            _step(400, 299, 1279, False, ended="diverged"),
            _step(300, 299, 15, True),
            _step(350, 297, 684, False),
            _step(312, 298, 184, False),
        ],
    },
}


def test_the_curve_and_its_knee(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "capacity.html"
    write_capacity_html(DOC, path)
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: errors.append("dialog: " + d.message))
    page.goto(path.as_uri())
    page.wait_for_selector("#capacity-curve canvas")
    assert errors == []
    text = page.inner_text("#report")
    assert "300/s" in text and "p95<100ms" in text and "<img src=x onerror=alert(1)>" in text
    assert page.locator("#steps tbody tr").count() == 7
    assert page.locator("#steps .badge.FAIL").count() == 3
    legend = page.inner_text(".u-legend")
    for label in ("offered (/s)", "achieved (/s)", "p50 (ms)", "p95 (ms)", "p99 (ms)"):
        assert label in legend
    page.close()


REASON = "38 arrivals dropped: the most requests in flight was reached while the target met every objective"


def test_a_bounded_answer_is_a_lower_bound_and_long_reasons_wrap(browser: Any, tmp_path: Path) -> None:
    doc = copy.deepcopy(DOC)
    c: dict[str, Any] = doc["capacity"]  # type: ignore[assignment]
    c.update(stopped_by="generator", limited_by="generator", ci=[296.0, None], message="could not offer more")
    c["steps"] = [
        _step(100, 100, 1.1, True),
        _step(300, 299, 15, True),
        _step(400, 327, 40, True, generator_limited=True, generator_reason=REASON * 3, ended="held"),
    ]
    path = tmp_path / "capacity.html"
    write_capacity_html(doc, path)
    page = browser.new_page(viewport={"width": 1300, "height": 1400})
    page.goto(path.as_uri())
    page.wait_for_selector("#capacity-curve canvas")
    assert page.inner_text("h1 .badge") == "LOWER BOUND"
    assert "may be higher" in page.inner_text("#report")
    last = page.locator("#steps tbody tr").nth(2)
    offered = last.locator("td").first.bounding_box()
    reason = last.locator("td .muted")
    assert offered is not None and offered["width"] > 40  # '400/s' on one line, not a letter per line
    assert reason.get_attribute("title") == REASON * 3 and reason.inner_text().endswith("\u2026")
    badges = {"max_duration": "LOWER BOUND", "precision": "FOUND", "unreachable": "TARGET UNREACHABLE"}
    for stopped, badge in badges.items():
        c["stopped_by"] = stopped
        write_capacity_html(doc, path)
        page.goto(path.as_uri())
        assert page.inner_text("h1 .badge") == badge
    page.close()
