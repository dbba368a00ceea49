"""A test plan's reports that are not HTML: the combined verdict table (console), the plan JSON and the
JUnit XML with one testsuite per run. Each run's own part is what `loadpulse run` would write for it
(its Summary JSON, its JUnit testsuite); skipped runs are shown as skipped everywhere."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from rich.console import Console
from rich.table import Table

from loadpulse.outputs.verdicts import STYLE, junit_xml
from loadpulse.results.format import NO_DATA, markup_safe
from loadpulse.results.plan_outcome import ERROR, SKIPPED, PlanOutcome, RunRecord, comparison_row

PLAN_SCHEMA = "loadpulse.plan/1"
PLAN_STYLE = {**STYLE, SKIPPED: "dim", ERROR: "red"}


def _ms(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:.2f}"


def _rate(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:,.1f}"


def _pct(value: float | None) -> str:
    return NO_DATA if value is None else f"{100 * value:.2f} %"


def print_plan_table(console: Console, plan: PlanOutcome) -> None:
    """One row per run, the plan's verdict and exit code under it."""
    table = Table(title=f"plan {markup_safe(plan.name)}", box=None, pad_edge=False, header_style="bold")
    for col in ("#", "run", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "time", "verdict", "exit"):
        table.add_column(col, justify="left" if col in ("run", "verdict") else "right")
    for record in plan.runs:
        row = comparison_row(record)
        status = f"[{PLAN_STYLE.get(record.status, 'bold')}]{record.status}[/]"
        duration = row["duration_s"]
        table.add_row(
            str(row["index"]),
            markup_safe(record.name),
            _rate(row["rate"]),
            _ms(row["p50"]),
            _ms(row["p95"]),
            _ms(row["p99"]),
            _pct(row["error_rate"]),
            NO_DATA if duration is None else f"{duration:.1f} s",
            status,
            NO_DATA if record.exit_code is None else str(record.exit_code),
        )
    console.print(table)
    for record in plan.runs:
        if record.reason:
            console.print(f"  {markup_safe(record.name)}: {markup_safe(record.reason)}", highlight=False)
    style = PLAN_STYLE.get(plan.verdict, "bold")
    console.print(
        f"plan verdict [bold {style}]{plan.verdict}[/] (exit {plan.exit_code})"
        + (f", stopped after {markup_safe(plan.stopped_by)}" if plan.stopped_by else "")
        + (", interrupted" if plan.interrupted else ""),
        highlight=False,
    )


def _plan_run(record: RunRecord) -> dict[str, Any]:
    return {
        "index": record.index + 1,
        "name": record.name,
        "kind": record.kind,
        "target": record.target,
        "status": record.status,
        "exit_code": record.exit_code,
        "stop_on_fail": record.stop_on_fail,
        "reason": record.reason or None,
    }


def plan_json(plan: PlanOutcome) -> dict[str, Any]:
    """``{"plan": name, "verdict", "runs": [...]}``: each run its Summary JSON v1 with a ``plan_run``
    object added; a run that never ran is ``{"verdict": "SKIPPED"|"ERROR", "plan_run": {...}}``."""
    runs: list[dict[str, Any]] = []
    for record in plan.runs:
        entry: dict[str, Any] = {"verdict": record.status}
        if record.summary is not None:
            entry = dict(record.summary)
        entry["plan_run"] = _plan_run(record)
        runs.append(entry)
    return {
        "schema": PLAN_SCHEMA,
        "plan": plan.name,
        "file": plan.path,
        "description": plan.description,
        "started_at": plan.started_at,
        "verdict": plan.verdict,
        "exit_code": plan.exit_code,
        "ended_by": plan.ended_by,
        "stopped_by": plan.stopped_by,
        "comparison": [comparison_row(r) for r in plan.runs],
        "runs": runs,
    }


def plan_json_text(plan: PlanOutcome) -> str:
    return json.dumps(plan_json(plan), indent=2) + "\n"


def _skipped_suite(plan: PlanOutcome, record: RunRecord) -> ET.Element:
    error = record.status == ERROR
    suite = ET.Element(
        "testsuite",
        name=f"{plan.name} / {record.name}",
        tests="1",
        failures="0",
        errors=str(int(error)),
        skipped=str(int(not error)),
        time="0.000",
    )
    case = ET.SubElement(suite, "testcase", classname="loadpulse.plan", name="run", time="0")
    if error:
        ET.SubElement(case, "error", message=record.reason, type="BadInput")
    else:
        ET.SubElement(case, "skipped", message=record.reason or "not run")
    return suite


def plan_junit(plan: PlanOutcome) -> bytes:
    """``<testsuites>`` with one ``<testsuite>`` per run: a run that ran is the testsuite `--junit` writes
    for it (named ``PLAN / RUN``); one that did not is a testsuite whose one testcase is skipped (or an
    error), so CI lists every run of the plan."""
    root = ET.Element("testsuites", name=f"loadpulse plan {plan.name}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    time_s = 0.0
    for record in plan.runs:
        if record.summary is not None:
            suite = ET.fromstring(junit_xml(record.summary))
            suite.set("name", f"{plan.name} / {record.name}")
            time_s += float(suite.get("time") or 0)
        else:
            suite = _skipped_suite(plan, record)
        for key in totals:
            totals[key] += int(suite.get(key) or 0)
        root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{time_s:.3f}")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
