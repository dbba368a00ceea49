"""Verdict logic over synthetic aggregates (no run, no I/O)."""

from __future__ import annotations

import numpy as np
import pytest

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.thresholds.threshold import build_threshold
from loadpulse.thresholds.verdict import FAIL, NONE, PASS, WARN, evaluate, judge, measure, overall


def synthetic(latencies_ms: list[float], statuses: list[int], seconds: float = 10.0) -> Aggregate:
    rec = Recorder()
    n = rec.for_name("create", http_status_kind)
    for v, st in zip(latencies_ms, statuses, strict=True):
        n.lat.append(int(v * 1000))
        n.status.append(st)
    n.error("timeout")
    rec.for_scenario("ingest").dropped = 7
    rec.dropped = 7  # the engine counts a drop in both
    rec.metrics.check("ok", True)
    rec.metrics.check("ok", False)
    rec.metrics.declare("queue", "trend")
    rec.metrics.add_trend("queue", 40.0)
    agg = Aggregate()
    agg.add(rec.cut(int(seconds * 1e9)))
    return agg


@pytest.fixture
def agg() -> Aggregate:
    lat = list(np.linspace(1, 100, 99))  # ms
    return synthetic(lat, [200] * 98 + [503], seconds=10)


@pytest.mark.parametrize(
    ("expr", "verdict"),
    [
        ("p50 < 60ms", PASS),
        ("p50 < 40ms", FAIL),
        ("p50: target<40ms critical<60ms", WARN),
        ("p50: target<40ms acceptable<45ms critical<60ms", WARN),
        ("p50: target<60ms critical<70ms", PASS),
        ("p50: target<10ms acceptable<20ms", FAIL),  # breaches acceptable, no critical: the failing bound
        ("p50: target<10ms", FAIL),  # the only bound given
        ("max <= 100ms", PASS),
        ("errors.rate < 5%", PASS),  # 2 failed (one 503, one timeout) of 100
        ("errors.rate < 1%", FAIL),
        ("errors.count == 2", PASS),
        ("errors.timeout.count == 1", PASS),
        ("errors.http_5xx.count < 1", FAIL),
        ("requests.rate >= 10/s", PASS),  # 100 in 10 s
        ("requests.rate > 10/s", FAIL),
        ("http{name=create}.p50 < 60ms", PASS),
        ("http{name=nothing}.p50 < 60ms", FAIL),  # no data is never a pass
        ("checks.rate > 40%", PASS),
        ("checks.rate: target>99% critical>40%", WARN),
        ("dropped.count == 7", PASS),
        ("dropped{scenario=ingest}.count < 1", FAIL),
    ],
)
def test_verdicts(agg: Aggregate, expr: str, verdict: str) -> None:
    custom = {"queue": "trend"}
    (result,) = evaluate([build_threshold(expr, custom)], agg)
    assert result.verdict == verdict, (expr, result.actual)


def test_measure_units(agg: Aggregate) -> None:
    assert measure(build_threshold("p50 < 1s").metric, agg) == pytest.approx(50.5, rel=0.01)
    assert measure(build_threshold("errors.rate < 1").metric, agg) == pytest.approx(0.02)
    assert measure(build_threshold("queue.max < 1", {"queue": "trend"}).metric, agg) == pytest.approx(40.0)


def test_overall_is_the_worst() -> None:
    o = build_threshold("p95 < 1ms")
    from loadpulse.thresholds.verdict import ThresholdResult

    def r(v: str) -> ThresholdResult:
        return ThresholdResult(o, 1.0, v)

    assert overall([]) == NONE
    assert overall([r(PASS), r(WARN)]) == WARN
    assert overall([r(WARN), r(FAIL), r(PASS)]) == FAIL
    assert judge(o, None) == FAIL
