"""A custom trend's measured value in a verdict line reads as the run summary shows it: three significant
digits, a ``*_ms`` name as a duration; counters stay whole counts."""

from __future__ import annotations

import pytest

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.scenario_stats import MetricKind
from loadpulse.outputs.trend_values import trend_text
from loadpulse.results.summary import metric_block
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.verdict import evaluate

CUSTOM: dict[str, MetricKind] = {
    "queue_wait_ms": "trend",
    "depth": "trend",
    "things": "counter",
    "idle_ms": "trend",
}


def _agg() -> Aggregate:
    rec = Recorder()
    for name, kind in CUSTOM.items():
        rec.metrics.declare(name, kind)
    for v in (41.234567, 0.0014632, 1234.5):
        rec.metrics.add_trend("queue_wait_ms", v)
        rec.metrics.add_trend("depth", v)
    rec.metrics.add_counter("things", 12345)
    agg = Aggregate()
    agg.add(rec.cut(10**9))
    return agg


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("queue_wait_ms.max < 50", "1.23 s"),
        ("queue_wait_ms.min < 50", "1.46 µs"),
        ("ws_push_gap_ms.p95 < 50", "no data"),  # loadpulse's own trend, no pushes in this run
        ("depth.max < 50", "1,234"),
        ("depth.min < 50", "0.00146"),
        ("things.count > 10", "12,345"),
        ("idle_ms.p95 < 50", "no data"),
    ],
)
def test_actual_text_of_custom_metrics(expr: str, text: str) -> None:
    (result,) = evaluate(parse_thresholds([expr], CUSTOM), _agg())
    assert result.actual_text == text
    assert result.to_dict()["actual_text"] == text


def test_the_summary_and_the_console_agree_on_a_trend_figure() -> None:
    agg = _agg()
    (result,) = evaluate(parse_thresholds(["queue_wait_ms.max < 50"], CUSTOM), agg)
    block = metric_block(agg.metrics["queue_wait_ms"], agg.elapsed_s)
    assert f"max {result.actual_text}" in trend_text("queue_wait_ms", block)


def test_an_empty_trend_is_null_in_the_summary_not_zeros() -> None:
    block = metric_block(_agg().metrics["idle_ms"], 1.0)
    assert block == {
        "kind": "trend",
        **dict.fromkeys(("min", "mean", "p50", "p90", "p95", "p99", "p999", "max")),
        "count": 0,
    }
    assert trend_text("idle_ms", block) == "no data"
