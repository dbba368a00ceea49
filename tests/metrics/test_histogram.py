from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.metrics.histogram import MAX_VALUE_US, N_BUCKETS, Histogram, bucket_index


def test_percentiles_within_one_percent_of_exact_on_a_million_lognormal_samples() -> None:
    rng = np.random.default_rng(7)
    values = np.maximum(1, rng.lognormal(mean=8.0, sigma=1.2, size=1_000_000)).astype(np.int64)
    h = Histogram.empty()
    h.record_many(values)
    for q in (1, 10, 50, 75, 90, 95, 99, 99.9, 99.99):
        exact = float(np.percentile(values, q, method="inverted_cdf"))
        assert abs(h.percentile(q) - exact) <= 0.01 * exact, q
    assert h.min_us == values.min() and h.max_us == values.max()
    assert h.mean_us == values.mean()


def test_bucket_width_gives_three_significant_digits_everywhere() -> None:
    values = np.unique(np.geomspace(1, MAX_VALUE_US, 20_000).astype(np.int64))
    idx = bucket_index(values)
    assert idx.min() >= 0 and idx.max() < N_BUCKETS
    assert np.all(np.diff(idx) >= 0), "buckets must be ordered like values"
    for v in values[::97]:
        one = Histogram.of([int(v)])
        assert abs(one.percentile(50) - v) <= v / 1000


def test_values_outside_the_range_are_clamped_not_lost() -> None:
    h = Histogram.of([0, -5, MAX_VALUE_US * 10])
    assert h.total == 3
    assert h.min_us == 1 and h.max_us == MAX_VALUE_US


def test_empty_histogram_reports_zeros() -> None:
    h = Histogram.empty()
    assert h.percentiles([50, 99]) == [0.0, 0.0]
    assert h.mean_us == 0.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=MAX_VALUE_US * 2), max_size=300),
    st.lists(st.integers(min_value=0, max_value=MAX_VALUE_US * 2), max_size=300),
)
def test_merge_equals_recording_both_streams(a: list[int], b: list[int]) -> None:
    ha, hb, both = Histogram.of(a), Histogram.of(b), Histogram.of(a + b)
    ha.merge(hb)
    assert np.array_equal(ha.counts, both.counts)
    assert (ha.total, ha.sum_us, ha.min_us, ha.max_us) == (both.total, both.sum_us, both.min_us, both.max_us)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=200))
def test_sparse_round_trip(values: list[int]) -> None:
    h = Histogram.of(values)
    back = Histogram.from_sparse(h.to_sparse())
    assert np.array_equal(back.counts, h.counts)
    assert back.percentiles([50, 99]) == h.percentiles([50, 99])


def test_sparse_rejects_out_of_range_indexes() -> None:
    import pytest

    with pytest.raises(ValueError):
        Histogram.from_sparse({"idx": [N_BUCKETS], "n": [1], "total": 1, "sum": 1, "min": 1, "max": 1})
