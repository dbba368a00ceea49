"""The plan's HTML page: each run's report kept on disk as the run ends, framed in its section."""

from __future__ import annotations

from typing import Any

import pytest

from loadpulse.outputs import html_plan
from loadpulse.outputs.html_plan import ReportSpool, render_plan_html
from loadpulse.results.plan_outcome import PlanOutcome, RunRecord


def test_each_runs_report_comes_back_from_the_spool_into_its_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_plan, "render_html", lambda results: f"<p>report of {results}</p>")
    records = [RunRecord(i, f"r{i}", "url", "http://127.0.0.1:9/") for i in range(3)]
    for record in records[:2]:
        record.finished({"verdict": "PASS"}, 0)
    spool = ReportSpool()
    fake: Any = "first"
    spool.add(0, fake)
    fake = "second é"
    spool.add(1, fake)
    try:
        page = render_plan_html(PlanOutcome("p", "p.yaml", records), spool)
    finally:
        spool.close()
    assert 'srcdoc="&lt;p&gt;report of first&lt;/p&gt;"' in page
    assert 'srcdoc="&lt;p&gt;report of second é&lt;/p&gt;"' in page
    assert page.count("srcdoc=") == 2  # the skipped run: a section without a frame
    assert page.count('<section class="plan-run"') == 3
