from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.metrics.histogram import MAX_VALUE_US, N_BUCKETS, Histogram, bucket_index
from tests.metrics.dense_reference import (
    dense_binned,
    dense_count_le,
    dense_nonzero,
    dense_of,
    dense_percentiles,
)


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
    with pytest.raises(ValueError):
        Histogram.from_sparse({"idx": [N_BUCKETS], "n": [1], "total": 1, "sum": 1, "min": 1, "max": 1})


values_lists = st.lists(st.integers(min_value=-3, max_value=MAX_VALUE_US * 2), max_size=300)
QS = (0.0, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0)
BOUNDS = (0, 1, 2, 2047, 2048, 2050, 10_000, 123_456, 10**7, MAX_VALUE_US, MAX_VALUE_US * 3)


def assert_reads_like_dense(h: Histogram, values: list[int]) -> None:
    assert np.array_equal(h.counts, dense_of(values))
    assert h.percentiles(QS) == dense_percentiles(h, QS)
    assert h.count_le(BOUNDS) == dense_count_le(h, BOUNDS)
    mids, counts = h.nonzero()
    dmids, dcounts = dense_nonzero(h)
    assert np.array_equal(mids, dmids) and np.array_equal(counts, dcounts)
    assert h.binned(17) == dense_binned(h, 17)
    assert h.buckets == np.count_nonzero(dense_of(values))


@settings(max_examples=80, deadline=None)
@given(values_lists, values_lists, values_lists)
def test_sparse_storage_reads_exactly_like_the_dense_histogram(
    a: list[int], b: list[int], c: list[int]
) -> None:
    h = Histogram.of(a)
    assert_reads_like_dense(h, a)
    h.record_many(np.asarray(b, dtype=np.int64))  # recording into a histogram that already has buckets
    assert_reads_like_dense(h, a + b)
    h.merge(Histogram.of(c))
    assert_reads_like_dense(h, a + b + c)


@settings(max_examples=40, deadline=None)
@given(values_lists)
def test_merging_a_subset_adds_in_place_and_stays_exact(a: list[int]) -> None:
    h, sub = Histogram.of(a + a), Histogram.of(a[: len(a) // 2])
    h.merge(sub)
    assert h == Histogram.of(a + a + a[: len(a) // 2])
    assert sub == Histogram.of(a[: len(a) // 2])  # the merged-in histogram is left untouched


def test_merging_into_an_empty_histogram_does_not_alias_the_other() -> None:
    other = Histogram.of([5, 6])
    h = Histogram.empty()
    h.merge(other)
    h.merge(other)
    assert other == Histogram.of([5, 6]) and h == Histogram.of([5, 6, 5, 6])
    c = h.copy()
    c.merge(other)
    assert h == Histogram.of([5, 6, 5, 6])


def test_memory_follows_the_buckets_used_not_the_bucket_layout() -> None:
    assert Histogram.empty().buckets == 0
    h = Histogram.of([100] * 10_000 + [5000] * 10)
    assert h.buckets == 2 and h.idx.nbytes + h.n.nbytes == 32


def test_sparse_input_in_any_order_with_repeats_adds_up() -> None:
    h = Histogram.from_sparse(
        {"idx": [9, 3, 9, 4], "n": [1, 2, 3, 0], "total": 6, "sum": 42, "min": 3, "max": 9}
    )
    assert h == Histogram.of([3, 3, 9, 9, 9, 9])


@pytest.mark.parametrize(
    ("idx", "n", "total"),
    [([-1], [1], 1), ([0], [-1], -1), ([1, 2], [1], 1), ([[1]], [[1]], 1), ([1], [2], 3)],
)
def test_sparse_input_no_histogram_could_have_made_is_refused(idx: object, n: object, total: int) -> None:
    with pytest.raises(ValueError):
        Histogram.from_sparse({"idx": idx, "n": n, "total": total, "sum": 1, "min": 1, "max": 1})
