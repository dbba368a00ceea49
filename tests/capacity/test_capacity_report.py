"""The answer line, the capacity document and which objective limited a step (pure helpers)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from loadpulse.cli.capacity_report import answer, capacity_document, header, step_row
from loadpulse.cli.capacity_slo import limiting, met, tightest_latency_ms
from loadpulse.profiles.capacity_search import CapacityResult, StepObservation
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.verdict import ThresholdResult, judge


def _result(max_rate: float | None, ci: tuple[float | None, float | None], **kw: object) -> CapacityResult:
    fields: dict[str, object] = {"limited_by": "p95<200ms", "stopped_by": "precision", "message": "found"}
    fields.update(kw)
    steps = (StepObservation(200, 200, False, "p95<200ms"), StepObservation(190, 190, True))
    return CapacityResult(max_rate, ci, steps=steps, **fields)  # type: ignore[arg-type]


def test_the_answer_line() -> None:
    line = answer(_result(1840, (1790.4, 1890.2)), "req/s")
    assert line == "highest sustainable rate 1,840 req/s [1,790\u20131,890], limited by p95<200ms"
    assert answer(_result(190, (190, 200)), "VUs").startswith(
        "breaking point: 200 VUs (highest sustainable 190"
    )
    open_ended = answer(
        _result(50, (49.9, None), limited_by=None, stopped_by="max_rate", message="up to"), "/s"
    )
    assert "[49.9\u2013?]" in open_ended and open_ended.endswith("\u2014 up to")
    assert (
        answer(_result(None, (None, 1.25), message="nothing"), "req/s")
        == "no sustainable load found: nothing"
    )


def test_the_document_shape() -> None:
    doc = capacity_document(
        _result(190, (188.0, 201.0)),
        unit="req/s",
        search_id="x",
        started_at="t",
        target="http://127.0.0.1:1/",
        slos=["p95<200ms"],
        settings={},
    )
    c = doc["capacity"]
    assert doc["schema"] == "loadpulse.capacity/1"
    assert (c["max_rate"], c["ci"], c["limited_by"], c["unit"]) == (190, [188.0, 201.0], "p95<200ms", "req/s")
    assert set(c["steps"][0]) >= {"rate", "achieved", "p50_ms", "p95_ms", "p99_ms", "error_rate", "passed",
                                  "generator_limited", "limited_by", "duration_s"}  # fmt: skip


def test_the_widest_miss_limits() -> None:
    slos = parse_thresholds(["p95<200ms", "errors.rate<1%", "p99: target<100ms critical<400ms"])
    results = [
        ThresholdResult(slos[0], 300.0, judge(slos[0], 300.0)),  # 1.5x its bound
        ThresholdResult(slos[1], 0.05, judge(slos[1], 0.05)),  # 5x
        ThresholdResult(slos[2], 200.0, judge(slos[2], 200.0)),  # WARN: still met
    ]
    assert not met(results) and limiting(results) == "errors.rate<1%"
    assert met(results[2:]) and limiting(results[2:]) is None
    assert tightest_latency_ms(slos) == 100.0


STEPS = (
    StepObservation(1840, 1839.5, True, p50_ms=0.6, p95_ms=1.27, p99_ms=2.16, duration_s=30, ended="settled"),
    StepObservation(
        400, 299, False, "http{name=create}.p95<100ms", p50_ms=790, p95_ms=1279, p99_ms=1322, duration_s=5,
        ended="diverged",
    ),
    StepObservation(300, 120, False, p50_ms=1.0, duration_s=2, ended="interrupted"),
    StepObservation(40, 27.2, True, generator_limited="38 arrivals dropped", duration_s=3),
    StepObservation(40, 0.0, False, unreachable="target unreachable/failing: 90 of 90 requests failed"),
)  # fmt: skip


@pytest.mark.parametrize("width", [80, 100, 120])
def test_rows_never_wrap(width: int) -> None:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=False, color_system=None)
    header(console)
    for i, step in enumerate(STEPS, 1):
        step_row(console, i, step, "req/s")
    lines = out.getvalue().splitlines()
    assert all(len(line) <= width for line in lines), lines
    text = out.getvalue()
    assert "interrupted" in text and "http{name=create}.p95<100ms" in text
    assert "GENERATOR-LIMITED" in text and "UNREACHABLE" in text
    rows = [line for line in lines if line.strip().startswith(("1 ", "2 ", "3 "))]
    assert all(line.rstrip().endswith(("PASS", "FAIL", "FAIL http{name=create}.p95<100ms", "INTERRUPTED"))
               for line in rows), rows  # fmt: skip
    assert "      missed http{name=create}.p95<100ms" in text or width >= 100
    if width >= 100:
        assert "p99" in lines[0] and "1,322ms" in text
