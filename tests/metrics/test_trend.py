"""Custom trends keep exact values: zero, negatives and huge numbers (issue 10, item 12)."""

from __future__ import annotations

import math

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.scenario_stats import CustomMetric, MetricsRecorder
from loadpulse.metrics.trend import TrendHistogram, rounded


def trend_of(*values: float) -> TrendHistogram:
    rec = MetricsRecorder()
    rec.declare("t", "trend")
    for v in values:
        rec.add_trend("t", v)
    return rec.cut()[1]["t"].hist


def test_trend_of_zeros_is_exactly_zero() -> None:
    h = trend_of(0, 0, 0)
    assert (h.min, h.max, h.mean, h.sum, h.total) == (0.0, 0.0, 0.0, 0.0, 3)
    assert h.percentiles([0, 50, 95, 100]) == [0.0, 0.0, 0.0, 0.0]


def test_trend_keeps_huge_values_unclamped() -> None:
    h = trend_of(1e12, 5, 3e15)
    assert h.max == 3e15 and h.min == 5 and h.sum == 1e12 + 5 + 3e15
    assert h.percentile(50) == 1e12 and h.percentile(100) == 3e15


def test_trend_takes_negative_values() -> None:
    h = trend_of(-5, -0.25, 0, 7)
    assert (h.min, h.max) == (-5.0, 7.0) and h.percentile(25) == -5 and h.percentile(50) == -0.25
    assert h.percentile(75) == 0.0


def test_small_integers_and_four_digit_values_are_their_own_buckets() -> None:
    assert rounded([1, 2, 9999, 12.25, 0.001, 1234.5, -3]) == [1, 2, 9999, 12.25, 0.001, 1234, -3]
    assert rounded([10_000, 123_456, 99_999]) == [10_000, 123_500, 100_000]
    assert rounded([1e-320]) == [0.0]  # below TINY: the 0 bucket (min/max stay exact)


def test_trend_rejects_nan_and_infinity_at_the_users_call() -> None:
    rec = MetricsRecorder()
    rec.declare("t", "trend")
    with pytest.raises(ValueError, match="not a finite number"):
        rec.add_trend("t", float("nan"))


def test_trend_round_trips_through_msgpack() -> None:
    m = CustomMetric("trend", hist=trend_of(0, -1.5, 1e12))
    back = CustomMetric.from_dict(msgpack.unpackb(msgpack.packb(m.to_dict()), strict_map_key=False))
    assert back.hist == m.hist


def test_trends_from_older_results_files_are_read() -> None:
    old = Histogram.of([12_250, 3_000]).to_sparse()  # value*1000 in the latency histogram
    h = TrendHistogram.from_sparse(old)
    assert (h.min, h.max, h.total) == (3.0, 12.25, 2) and h.sum == pytest.approx(15.25)


def test_bad_trend_data_is_refused() -> None:
    with pytest.raises(ValueError):
        TrendHistogram.from_sparse({"v": [1.0], "n": [1, 2], "total": 3, "sum": 0, "min": 0, "max": 0})


values = st.lists(
    st.one_of(st.integers(-(10**6), 10**6).map(float), st.floats(-1e15, 1e15, allow_nan=False)),
    min_size=1,
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(values, values)
def test_merge_equals_recording_both(a: list[float], b: list[float]) -> None:
    ha, hb = TrendHistogram.of(a), TrendHistogram.of(b)
    ha.merge(hb)
    both = TrendHistogram.of(a + b)
    assert ha.counts == both.counts and ha.total == both.total
    assert (ha.min, ha.max) == (both.min, both.max) and ha.sum == pytest.approx(both.sum, rel=1e-12, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(values, st.floats(0, 100))
def test_percentiles_within_four_significant_digits(vals: list[float], q: float) -> None:
    h = TrendHistogram.of(vals)
    ordered = sorted(vals)
    want = ordered[max(1, math.ceil(q / 100 * len(vals))) - 1]
    got = h.percentile(q)
    assert got == pytest.approx(want, rel=5.1e-4, abs=1e-300)
    assert h.min == min(vals) and h.max == max(vals)
    assert h.sum == pytest.approx(float(np.sum(vals)), rel=1e-12, abs=1e-6)
