"""Threshold expressions: table-driven, including every example in the docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loadpulse.thresholds.parser import ThresholdError
from loadpulse.thresholds.threshold import COUNT, DURATION, PER_SECOND, RATIO, build_threshold

DOCS = Path(__file__).resolve().parents[2] / "docs" / "thresholds.md"


@pytest.mark.parametrize(
    ("expr", "source", "field", "kind", "levels"),
    [
        ("p95 < 200ms", "latency", "p95", DURATION, {"critical": ("<", 200.0)}),
        ("p99.9<=1.5s", "latency", "p99.9", DURATION, {"critical": ("<=", 1500.0)}),
        ("avg < 500us", "latency", "avg", DURATION, {"critical": ("<", 0.5)}),
        ("max < 2", "latency", "max", DURATION, {"critical": ("<", 2.0)}),  # bare number: ms
        ("http{name=create}.p99 < 500ms", "latency", "p99", DURATION, {"critical": ("<", 500.0)}),
        ("ttfb.p95 < 50ms", "ttfb", "p95", DURATION, {"critical": ("<", 50.0)}),
        ("service.p50 < 5ms", "service", "p50", DURATION, {"critical": ("<", 5.0)}),
        ("errors.rate < 1%", "errors", "rate", RATIO, {"critical": ("<", 0.01)}),
        ("errors.rate < 0.01", "errors", "rate", RATIO, {"critical": ("<", 0.01)}),
        ("errors.timeout.count == 0", "error_kind", "count", COUNT, {"critical": ("==", 0.0)}),
        ("requests.rate >= 500/s", "requests", "rate", PER_SECOND, {"critical": (">=", 500.0)}),
        ("requests.count > 1000", "requests", "count", COUNT, {"critical": (">", 1000.0)}),
        ("checks.rate > 99%", "checks", "rate", RATIO, {"critical": (">", 0.99)}),
        ("dropped.count == 0", "dropped", "count", COUNT, {"critical": ("==", 0.0)}),
        ("iterations{scenario=ingest}.p95 < 1s", "iterations", "p95", DURATION, {"critical": ("<", 1000.0)}),
        (
            "p95: target<10ms acceptable<20ms critical<50ms",
            "latency",
            "p95",
            DURATION,
            {"target": ("<", 10.0), "acceptable": ("<", 20.0), "critical": ("<", 50.0)},
        ),
        (
            "requests.rate: target>=1000/s critical>=500/s",
            "requests",
            "rate",
            PER_SECOND,
            {"target": (">=", 1000.0), "critical": (">=", 500.0)},
        ),
    ],
)
def test_thresholds_parse(
    expr: str, source: str, field: str, kind: str, levels: dict[str, tuple[str, float]]
) -> None:
    o = build_threshold(expr)
    assert (o.metric.source, o.metric.field, o.metric.kind) == (source, field, kind)
    got = {k: (b.comparator, b.value) for k, b in o.levels.items()}
    assert got.keys() == levels.keys()
    for k, (cmp, value) in levels.items():
        assert got[k][0] == cmp and got[k][1] == pytest.approx(value)


def test_filters_and_abort_option() -> None:
    o = build_threshold("http{name=GET /api/messages/1}.p99 < 500ms abort_on_fail=10s")
    assert o.metric.filter == ("name", "GET /api/messages/1")
    assert o.abort_on_fail and o.abort_delay_s == 10.0
    assert build_threshold("errors{name='create, bulk'}.rate < 1%").metric.filter == ("name", "create, bulk")
    assert build_threshold("p95 < 1s", abort_on_fail=True).abort_on_fail


def test_custom_metrics_need_declaring() -> None:
    custom = {"queue_length": "trend", "sent": "counter", "found": "rate"}
    assert build_threshold("queue_length.p95 < 1000", custom).metric.subject == "queue_length"
    assert build_threshold("sent.count > 10", custom).metric.field == "count"
    assert build_threshold("found.rate > 90%", custom).metric.kind == RATIO
    with pytest.raises(ThresholdError, match=r"unknown metric 'queue_length\.p95'"):
        build_threshold("queue_length.p95 < 1000")


@pytest.mark.parametrize(
    ("expr", "fragment", "column"),
    [
        ("p95 < 10 parsecs", "unknown unit 'parsecs'", 10),
        ("p95 < 10parsecs", "unknown unit 'parsecs'", 9),
        ("p95 10ms", "expected a comparator", 5),
        ("p95", "missing a comparator", 4),
        ("p95 <", "ends too early", 6),
        ("p95 < fast", "expected a number, not 'fast'", 7),
        ("erors.rate < 1%", "did you mean 'errors.rate'?", 1),
        ("latncy.p95 < 1s", "unknown metric", 1),
        ("p95 < 1%", "unit '%' does not fit a duration metric", 7),
        ("errors.rate < 5ms", "unit 'ms' does not fit a ratio metric", 15),
        ("dropped.count < 1s", "does not fit a count metric", 17),
        (
            "p95: target<50ms critical<10ms",
            "levels in the wrong order: critical (10ms) is tighter than target",
            27,
        ),
        ("checks.rate: target>99% critical>99.9%", "wrong order", 34),
        ("p95: target<10ms critical>5ms", "mix '<' and '>'", 27),
        ("p95: target<10ms target<20ms", "'target' given twice", 18),
        ("p95:", "expected levels after ':'", 5),
        ("dropped{name=x}.count < 1", "not available on dropped{name=x}.count; use {scenario=...}", 8),
        ("requests{scenario=a}.rate > 1", "not kept per scenario", 9),
        ("p95{name=a,kind=b} < 1s", "one filter at a time", 4),
        ("p95 < 1s and more", "unexpected 'and'", 10),
        ("p95 < 1s abort_on_fail=soon", "expected a number", 24),
        ("p95 $ 1s", "unexpected character '$'", 5),
        ("", "empty expression", 1),
    ],
)
def test_bad_expressions_point_at_the_problem(expr: str, fragment: str, column: int) -> None:
    with pytest.raises(ThresholdError) as info:
        build_threshold(expr)
    err = info.value
    assert fragment in err.message, err.message
    assert err.pos + 1 == column, (err.pos, err.render())
    picture = err.caret().splitlines()
    assert picture[1].index("^") - 2 == err.pos


def test_every_example_in_the_docs_parses() -> None:
    text = DOCS.read_text()
    examples = re.findall(r"^\s*-t '([^']+)'", text, flags=re.M) + re.findall(r"`([^`]+)` +# ok", text)
    assert len(examples) >= 10
    custom = {"queue_length": "trend", "messages_sent": "counter"}
    for expr in examples:
        build_threshold(expr, custom)
