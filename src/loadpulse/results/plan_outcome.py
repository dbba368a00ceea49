"""What a test plan did: each run's status and results, and how they combine into one verdict and one
exit code. Pure: the plan's console table, JSON, JUnit and HTML are all functions of this record.

Combining (docs/plans.md): the plan's exit code is its worst run's, worst first
130 interrupted > 2 bad input or an output not written > 3 aborted > 1 FAIL (or WARN with --fail-on-warn)
> 0; its verdict follows the same order (INTERRUPTED, ERROR, ABORTED, FAIL, WARN, PASS, NONE). A skipped
run counts for neither: the run that stopped the plan already does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadpulse.results.verdict import run_verdict

SKIPPED, ERROR = "SKIPPED", "ERROR"
EXIT_SEVERITY = (0, 1, 3, 2, 130)
"""Exit codes from the mildest to the worst: the plan exits with its worst run's."""
VERDICT_SEVERITY = ("NONE", "PASS", "WARN", "FAIL", "ABORTED", ERROR, "INTERRUPTED")


@dataclass(slots=True)
class RunRecord:
    """One run of the plan: ``summary`` (its Summary JSON) is None for a run that never ran (skipped) or
    broke (error). Only the summary is kept, not the run's whole Results (its timeline, histograms): a
    long plan's memory grows by a summary per run, and the HTML report's sections are rendered as each
    run ends and kept on disk (outputs/html_plan.py)."""

    index: int
    name: str
    kind: str
    target: str
    stop_on_fail: bool = False
    status: str = SKIPPED
    """The run's filed verdict (PASS ... INTERRUPTED, :func:`run_verdict`), SKIPPED or ERROR."""
    exit_code: int | None = None
    summary: dict[str, Any] | None = None
    reason: str = ""
    """Why it was skipped, or the error it stopped on."""

    def finished(self, summary: dict[str, Any] | None, exit_code: int) -> None:
        self.summary = summary
        self.exit_code = exit_code
        self.status = run_verdict(summary) if summary is not None else ERROR


@dataclass(slots=True)
class PlanOutcome:
    name: str
    path: str
    runs: list[RunRecord]
    started_at: str = ""
    description: str | None = None
    interrupted: bool = False
    stopped_by: str | None = None
    """The run whose failure stopped the plan (stop_on_fail), or whose error did."""
    output_problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.runs if r.exit_code is not None]
        if self.interrupted:
            codes.append(130)
        if self.output_problems:
            codes.append(2)
        return max(codes, key=EXIT_SEVERITY.index, default=0)

    @property
    def verdict(self) -> str:
        states = [r.status for r in self.runs if r.status != SKIPPED]
        if self.interrupted:
            states.append("INTERRUPTED")
        return max(states, key=VERDICT_SEVERITY.index, default="NONE")

    @property
    def ended_by(self) -> str:
        if self.interrupted:
            return "interrupted"
        return "stopped" if self.stopped_by is not None else "completed"


def error_rate(summary: dict[str, Any]) -> float | None:
    """Failed requests as a fraction of all (None without requests)."""
    req = summary.get("requests") or {}
    total = req.get("total") or 0
    return (req.get("failed") or 0) / total if total else None


def comparison_row(record: RunRecord) -> dict[str, Any]:
    """The figures the plan's reports set side by side for one run."""
    s = record.summary or {}
    lat = s.get("latency_ms") or {}
    req = s.get("requests") or {}
    return {
        "index": record.index + 1,
        "name": record.name,
        "kind": record.kind,
        "target": record.target,
        "status": record.status,
        "exit_code": record.exit_code,
        "reason": record.reason,
        "run_id": s.get("run_id"),
        "duration_s": s.get("duration_s"),
        "requests": req.get("total"),
        "rate": req.get("rate"),
        "p50": lat.get("p50"),
        "p95": lat.get("p95"),
        "p99": lat.get("p99"),
        "error_rate": error_rate(s) if s else None,
    }
