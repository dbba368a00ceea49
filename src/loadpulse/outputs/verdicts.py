"""Threshold verdicts for people and CI: the console table, JUnit XML and a Markdown summary.

All are functions of Summary JSON v1 (``summary["thresholds"]``), so a report regenerated later from the
JSON says exactly what the run said.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

STYLE = {"PASS": "green", "WARN": "yellow", "FAIL": "red", "NONE": "dim"}


def _bound(t: dict[str, Any], level: str) -> str:
    text = t.get(level)
    return f"{t['comparators'][level]} {text}" if text else ""


def print_verdicts(console: Console, s: dict[str, Any]) -> None:
    results = s["thresholds"]
    if not results:
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("objective", "target", "acceptable", "critical", "actual", "verdict"):
        table.add_column(col, justify="left" if col == "objective" else "right")
    for t in results:
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
    console.print(line, highlight=False)


def junit_xml(s: dict[str, Any]) -> bytes:
    """One testsuite, one testcase per objective; a FAIL is a <failure> with the measured value (a WARN
    passes, with the value in system-out), in the common JUnit schema shape CI servers read."""
    results = s["thresholds"]
    failures = sum(1 for t in results if t["verdict"] == "FAIL")
    suite = ET.Element(
        "testsuite",
        name=f"loadpulse {s.get('load', {}).get('source') or s['target'].get('url') or ''}".strip(),
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{s['duration_s']:.3f}",
        timestamp=s["started_at"].rstrip("Z"),
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", s["run_id"]), ("verdict", s["verdict"]), ("ended_by", s["ended_by"])):
        ET.SubElement(props, "property", name=name, value=str(value))
    for t in results:
        case = ET.SubElement(
            suite, "testcase", classname="loadpulse.thresholds", name=t["expression"], time="0"
        )
        measured = f"{t['metric']} = {t['actual_text']} ({t['verdict']})"
        if t["verdict"] == "FAIL":
            failure = ET.SubElement(case, "failure", message=measured, type="ThresholdFailed")
            failure.text = f"{t['expression']}\nmeasured: {t['actual_text']}"
        else:
            ET.SubElement(case, "system-out").text = measured
    return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def markdown(s: dict[str, Any]) -> str:
    """A summary fit for a pull-request comment or the GitHub Actions job summary."""
    req, lat = s["requests"], s["latency_ms"]
    icon = {"PASS": ":white_check_mark:", "WARN": ":warning:", "FAIL": ":x:", "NONE": ":information_source:"}[
        s["verdict"]
    ]
    what = s.get("load", {}).get("source") or s["target"].get("url") or "run"
    lines = [
        f"### {icon} loadpulse: {s['verdict']} — `{what}`",
        "",
        f"{req['total']:,} requests in {s['duration_s']:.1f} s ({req['rate']:,.1f}/s), "
        f"{req['failed']:,} failed; p50 {lat['p50']:.2f} ms, p95 {lat['p95']:.2f} ms, p99 {lat['p99']:.2f} ms"
        + (f"; **aborted**: {s['aborted_by']}" if s.get("aborted_by") else ""),
        "",
    ]
    if s["thresholds"]:
        lines += [
            "| objective | target | acceptable | critical | actual | verdict |",
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
    return "\n".join(lines)


def write_ci_outputs(s: dict[str, Any], junit: str | None, md: str | None) -> None:
    """--junit and --markdown files; in GitHub Actions (GITHUB_STEP_SUMMARY set) the Markdown summary is
    also appended to the job summary."""
    if junit:
        Path(junit).write_bytes(junit_xml(s))
    if md:
        Path(md).write_text(markdown(s), encoding="utf-8")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(markdown(s) + "\n")
