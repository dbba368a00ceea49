"""``drift.*`` and ``probe.NAME.drift`` thresholds: the change over the run when significant, else 0 %."""

from __future__ import annotations

import numpy as np
import pytest

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.thresholds.drift_metric import drift_text
from loadpulse.thresholds.parser import ThresholdError
from loadpulse.thresholds.threshold import RATIO, Metric, build_threshold
from loadpulse.thresholds.verdict import FAIL, PASS, WARN, evaluate
from tests.metrics.test_drift import rows_of, steady


def run_with(p95: np.ndarray, probes: dict[str, np.ndarray] | None = None) -> Aggregate:
    agg = Aggregate()
    agg.series = rows_of(p95, probes=probes)
    return agg


def verdict(expr: str, agg: Aggregate) -> tuple[str, float | None]:
    (result,) = evaluate([build_threshold(expr)], agg)
    return result.verdict, result.actual


@pytest.mark.parametrize(
    ("expr", "metric"),
    [
        ("drift.p95 < 10%", Metric("drift", "drift", RATIO, "p95")),
        ("drift.p50 < 10%", Metric("drift", "drift", RATIO, "p50")),
        ("drift.errors.rate < 1%", Metric("drift", "drift", RATIO, "errors.rate")),
        ("drift.requests.rate > -10%", Metric("drift", "drift", RATIO, "requests.rate")),
        ("probe.target.rss.drift < 5%", Metric("probe", "drift", RATIO, "target.rss")),
        ("drift.probe.target.rss < 5%", Metric("probe", "drift", RATIO, "target.rss")),
    ],
)
def test_drift_metrics_resolve(expr: str, metric: Metric) -> None:
    assert build_threshold(expr).metric == metric


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("drift.p42x < 10%", "unknown drift metric 'drift.p42x': use drift.p50, drift.p95"),
        ("drift < 10%", "unknown drift metric 'drift'"),
        ("drift.p95 < 10ms", "unit 'ms' does not fit a ratio metric"),
        ("drift{name=x}.p95 < 10%", "filter {name=...} is not available"),
    ],
)
def test_bad_drift_thresholds_say_what_is_wrong(expr: str, says: str) -> None:
    with pytest.raises(ThresholdError) as exc:
        build_threshold(expr)
    assert says in exc.value.render()


def test_growing_latency_fails_and_steady_passes_at_zero() -> None:
    n = 240
    growing = run_with(steady(1, n) + np.linspace(0.0, 8.0, n))  # 20 ms -> 28 ms: about +40 %
    got, actual = verdict("drift.p95 < 10%", growing)
    assert got == FAIL and actual is not None and 0.3 < actual < 0.5
    assert verdict("drift.p95: target<10% critical<50%", growing)[0] == WARN
    assert verdict("drift.p95 < 10%", run_with(steady(2, n))) == (PASS, 0.0)


def test_probe_drift_threshold() -> None:
    n = 200
    rss = 100.0 + np.arange(n) * 0.05  # +10 % over the run
    agg = run_with(steady(3, n), probes={"target.rss": rss, "flat": np.full(n, 7.0)})
    got, actual = verdict("probe.target.rss.drift < 5%", agg)
    assert got == FAIL and actual == pytest.approx(0.1, rel=0.05)
    assert verdict("probe.flat.drift < 5%", agg) == (PASS, 0.0)
    assert verdict("probe.missing.drift < 5%", agg) == (FAIL, None)  # no data (the CLI refuses it first)


def test_no_data_until_enough_intervals() -> None:
    assert verdict("drift.p95 < 10%", run_with(steady(4, 8))) == (FAIL, None)
    assert verdict("drift.p95 < 10%", Aggregate()) == (FAIL, None)


def test_a_drift_thresholds_actual_is_said_to_three_significant_digits() -> None:
    n = 120
    agg = run_with(steady(5, n), probes={"leak": 10.0 + np.arange(n) * 0.35, "flat": np.full(n, 7.0)})
    (grown,) = evaluate([build_threshold("probe.leak.drift < 5%")], agg)
    assert grown.actual is not None and 3.5 < grown.actual < 4.5  # about +415 %
    assert grown.actual_text == f"{100 * grown.actual:,.0f} %" and "." not in grown.actual_text
    (still,) = evaluate([build_threshold("probe.flat.drift < 5%")], agg)
    assert still.actual_text == "0 %"
    assert [drift_text(v) for v in (0.382, 0.0996, 0.00123, -0.1, 12.3456)] == [
        "38.2 %",
        "9.96 %",
        "0.123 %",
        "-10.0 %",
        "1,235 %",
    ]
