"""`loadpulse plan --html`: one self-contained page for a whole test plan.

At the top, the plan's verdict and its runs side by side (requests/s, p50/p95/p99, error rate, verdict;
a chart of each across the runs); under it a section per run holding that run's own HTML report, exactly
as `--html` writes it for a single run (:func:`loadpulse.outputs.html_report.render_html`), in an iframe
built from ``srcdoc``. An iframe, not the report's DOM inlined: each report keeps its own page state
(chart registry, fault bands, element ids), so the single-run renderer is reused unchanged and whatever
it grows later shows in plans too. ``srcdoc`` is escaped as an attribute, so no text in a report can end
it; the frames have the page's origin and its no-network policy.

Memory: each run's report is rendered when the run ends and written to a temporary file
(:class:`ReportSpool`), so the plan holds one run's Results at a time, never all of them; the page is put
together from that file at the end. A run's report grows with its length (its timeline), so the page is
what its runs make it: past :data:`LARGE_PAGE_BYTES` the command warns (docs/plans.md).
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Any

from loadpulse.outputs.files import write_text_atomic
from loadpulse.outputs.html_page import page
from loadpulse.outputs.html_report import render_html
from loadpulse.results.document import Results
from loadpulse.results.format import bidi_safe
from loadpulse.results.plan_outcome import PlanOutcome, comparison_row

LARGE_PAGE_BYTES = 50 * 1024 * 1024
"""Past this a browser takes seconds to open the page (and a CI artifact viewer may refuse it)."""


class ReportSpool:
    """Each run's own HTML report, rendered as the run ends and kept on disk until the page is written."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the plan; close() ends it
        self._spans: dict[int, tuple[int, int]] = {}

    def add(self, index: int, results: Results) -> None:
        data = render_html(results).encode("utf-8")
        start = self._file.seek(0, 2)
        self._file.write(data)
        self._spans[index] = (start, len(data))

    def report(self, index: int) -> str | None:
        span = self._spans.get(index)
        if span is None:
            return None
        self._file.seek(span[0])
        return self._file.read(span[1]).decode("utf-8")

    def close(self) -> None:
        self._file.close()


PLAN_CSS = """
.plan-run { margin-top: 36px; border-top: 2px solid var(--line); }
.plan-run > header { max-width: 1200px; margin: 0 auto; padding: 16px 24px 0; }
.plan-run iframe { display: block; width: 100%; border: 0; height: 600px; }
.plan-run .skipped { max-width: 1200px; margin: 8px auto; padding: 0 24px; }
.SKIPPED { background: #98a2b3; } .ERROR, .ABORTED, .INTERRUPTED { background: var(--fail); }
td a { color: inherit; }
#comparison th:nth-child(2), #comparison td:nth-child(2) { text-align: left; }
#comparison th:nth-child(3), #comparison td:nth-child(3) {
  white-space: normal; text-align: left; min-width: 160px;
}
#comparison + .charts, .warning + .charts { margin-top: 16px; }
"""


def plan_data(plan: PlanOutcome) -> dict[str, Any]:
    data: dict[str, Any] = bidi_safe(
        {
            "plan": {
                "name": plan.name,
                "file": plan.path,
                "description": plan.description,
                "started_at": plan.started_at,
                "verdict": plan.verdict,
                "exit_code": plan.exit_code,
                "ended_by": plan.ended_by,
                "stopped_by": plan.stopped_by,
            },
            "runs": [comparison_row(r) for r in plan.runs],
        }
    )
    return data


def _section(index: int, report: str | None) -> str:
    frame = (
        f'<iframe title="run {index + 1} report" srcdoc="{html.escape(report, quote=True)}"></iframe>'
        if report is not None
        else ""
    )
    return f'<section class="plan-run" id="run-{index + 1}" data-index="{index}">{frame}</section>'


def render_plan_html(plan: PlanOutcome, reports: ReportSpool | None = None) -> str:
    """The page; ``reports``: the runs' own reports (a run without one gets a section without a frame)."""
    title = f"loadpulse plan {plan.name}"
    sections = [_section(r.index, reports.report(r.index) if reports else None) for r in plan.runs]
    # The runs' reports are srcdoc frames (no fetch either), after the page's own main element.
    return page(
        title,
        "loadpulse-plan",
        plan_data(plan),
        ["report_plan.js"],
        main_id="plan",
        extra_css=PLAN_CSS,
        body=sections,
        frames=True,
    )


def write_plan_html(plan: PlanOutcome, path: str | Path, reports: ReportSpool | None = None) -> None:
    write_text_atomic(path, render_plan_html(plan, reports))
