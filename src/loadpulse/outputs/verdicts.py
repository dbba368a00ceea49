"""Threshold verdicts for people and CI: the console table, JUnit XML and a Markdown summary.

All are functions of Summary JSON v1 (``summary["thresholds"]``, ``summary["ended_by"]``), so a report
regenerated later from the JSON says exactly what the run said. A run that did not run its course is never
filed as a plain PASS: :func:`run_verdict` is INTERRUPTED or ABORTED for it (history, Markdown), and JUnit
gets an ``<error>`` test case for an interruption.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from loadpulse.outputs import fault_lists
from loadpulse.outputs.contract import Finished, Output, OutputParams
from loadpulse.outputs.file_report import FileReport
from loadpulse.outputs.files import OutputBatch
from loadpulse.results.format import NO_DATA, markup_safe
from loadpulse.results.verdict import ABORTED, INTERRUPTED, interruption, run_verdict

STYLE = {
    "PASS": "green",
    "WARN": "yellow",
    "FAIL": "red",
    "NONE": "dim",
    "INTERRUPTED": "red",
    "ABORTED": "red",
}


def _bound(t: dict[str, Any], level: str) -> str:
    text = t.get(level)
    return f"{t['comparators'][level]} {text}" if text else ""


def print_verdicts(console: Console, s: dict[str, Any]) -> None:
    s = markup_safe(s)
    thresholds = s["thresholds"]
    if not thresholds:
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("threshold", "target", "acceptable", "critical", "actual", "verdict"):
        table.add_column(col, justify="left" if col == "threshold" else "right")
    for t in thresholds:
        style = STYLE[t["verdict"]]
        table.add_row(
            t["metric"] + (" (abort on fail)" if t["abort_on_fail"] else ""),
            _bound(t, "target"),
            _bound(t, "acceptable"),
            _bound(t, "critical"),
            t["actual_text"],
            f"[{style}]{t['verdict']}[/]",
        )
    console.print(table)
    verdict = s["verdict"]
    line = f"verdict [bold {STYLE[verdict]}]{verdict}[/]"
    if s.get("aborted_by"):
        line += f"  (aborted: {s['aborted_by']})"
    elif s.get("ended_by") == "interrupted":
        line += f"  ({interruption(s)}: the thresholds saw part of the run)"
    console.print(line, highlight=False)


def junit_xml(s: dict[str, Any]) -> bytes:
    """One testsuite, one testcase per threshold; a FAIL is a <failure> with the measured value (a WARN
    passes, with the value in system-out), in the common JUnit schema shape CI servers read. An interrupted
    run adds a testcase "run" holding an <error> (the run itself did not complete: not a threshold failing,
    and never a green build)."""
    thresholds = s["thresholds"]
    failures = sum(1 for t in thresholds if t["verdict"] == "FAIL")
    interrupted = s.get("ended_by") == "interrupted"
    suite = ET.Element(
        "testsuite",
        name=f"loadpulse {s.get('load', {}).get('source') or s['target'].get('url') or ''}".strip(),
        tests=str(len(thresholds) + interrupted),
        failures=str(failures),
        errors=str(int(interrupted)),
        skipped="0",
        time=f"{s['duration_s']:.3f}",
        timestamp=s["started_at"].rstrip("Z"),
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", s["run_id"]), ("verdict", s["verdict"]), ("ended_by", s["ended_by"])):
        ET.SubElement(props, "property", name=name, value=str(value))
    for t in thresholds:
        case = ET.SubElement(
            suite, "testcase", classname="loadpulse.thresholds", name=t["expression"], time="0"
        )
        measured = f"{t['metric']} = {t['actual_text']} ({t['verdict']})"
        if t["verdict"] == "FAIL":
            failure = ET.SubElement(case, "failure", message=measured, type="ThresholdFailed")
            failure.text = f"{t['expression']}\nmeasured: {t['actual_text']}"
        else:
            ET.SubElement(case, "system-out").text = measured
    faults = fault_lists.junit_cases(suite, s)
    if faults:
        suite.set("tests", str(len(thresholds) + interrupted + faults))
    if interrupted:
        case = ET.SubElement(
            suite, "testcase", classname="loadpulse.run", name="run", time=f"{s['duration_s']:.3f}"
        )
        error = ET.SubElement(case, "error", message=interruption(s), type="Interrupted")
        error.text = f"{interruption(s)}; the numbers cover only that part of the run"
    return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def _ms(value: float | None) -> str:
    return f"{value:.2f} ms" if value is not None else NO_DATA


def markdown(s: dict[str, Any]) -> str:
    """A summary fit for a pull-request comment or the GitHub Actions job summary."""
    req, lat = s["requests"], s["latency_ms"]
    verdict = run_verdict(s)
    icon = {
        "PASS": ":white_check_mark:",
        "WARN": ":warning:",
        "FAIL": ":x:",
        "NONE": ":information_source:",
        INTERRUPTED: ":stop_sign:",
        ABORTED: ":x:",
    }.get(verdict, ":grey_question:")
    what = s.get("load", {}).get("source") or s["target"].get("url") or "run"
    iterations = sum(sc.get("iterations", 0) for sc in (s.get("scenarios") or {}).values())
    if req["total"] or not iterations:
        did = (
            f"{req['total']:,} requests in {s['duration_s']:.1f} s ({req['rate']:,.1f}/s), "
            f"{req['failed']:,} failed; p50 {_ms(lat['p50'])}, p95 {_ms(lat['p95'])}, p99 {_ms(lat['p99'])}"
        )
    else:  # a scenario that recorded no request (SDK or database calls): say what it did, not "0 requests"
        rate = iterations / s["duration_s"] if s["duration_s"] else 0.0
        did = f"{iterations:,} iterations in {s['duration_s']:.1f} s ({rate:,.1f}/s), no requests"
    over = " over HTTP/2" if s.get("load", {}).get("http2") else ""
    lines = [
        f"### {icon} loadpulse: {verdict} — `{what}`{over}",
        "",
        did
        + (f"; **aborted**: {s['aborted_by']}" if s.get("aborted_by") else "")
        + (f"; **{interruption(s)}**" if s.get("ended_by") == "interrupted" else ""),
        "",
    ]
    if s["thresholds"]:
        lines += [
            "| threshold | target | acceptable | critical | actual | verdict |",
            "|---|---|---|---|---|---|",
        ]
        for t in s["thresholds"]:
            cells = [
                f"`{t['metric']}`",
                _bound(t, "target"),
                _bound(t, "acceptable"),
                _bound(t, "critical"),
                t["actual_text"],
                f"{t['verdict']}",
            ]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    lines += fault_lists.markdown_lines(s)
    return "\n".join(lines)


def create_junit(params: OutputParams) -> FileReport | None:
    """``--junit PATH``: one testsuite, one testcase per threshold."""
    return FileReport.asked(params, "junit", "--junit", lambda r: junit_xml(r.summary))


def create_markdown(params: OutputParams) -> FileReport | None:
    """``--markdown PATH``: the summary for a pull-request comment."""
    return FileReport.asked(params, "markdown", "--markdown", lambda r: markdown(r.summary).encode())


class StepSummary(Output):
    """GitHub Actions: the Markdown summary appended to the job summary (never replacing what is there)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def stop(self, finished: Finished) -> Sequence[str]:
        batch = OutputBatch()
        batch.append("GITHUB_STEP_SUMMARY", self.path, markdown(finished.summary) + "\n")
        return batch.failures


def create_step_summary(params: OutputParams) -> StepSummary | None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    return StepSummary(path) if path and params.run is not None else None
