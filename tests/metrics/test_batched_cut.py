"""The batched cut of all names at once must give exactly what cutting each name on its own gives."""

from __future__ import annotations

from array import array

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.metrics import recorder as recorder_module
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.batched_cut import cut_all, histograms
from loadpulse.metrics.cardinality import OTHER
from loadpulse.metrics.histogram import (
    HALF,
    MAX_VALUE_US,
    SUB_BITS,
    SUB_COUNT,
    Histogram,
    IntArray,
    bucket_index,
)
from loadpulse.metrics.recorder import NameRecorder, Recorder, StatusKind
from loadpulse.metrics.snapshot import NameStats
from loadpulse.protocols.http.status import http_status_kind


def _reference_bucket_index(values: IntArray) -> IntArray:
    """bucket_index as first written (frexp and np.where), before it was made to work in place."""
    v = np.clip(values.astype(np.int64, copy=False), 1, MAX_VALUE_US)
    bits = np.frexp(v.astype(np.float64))[1].astype(np.int64)
    shift = np.maximum(bits - SUB_BITS, 0)
    return np.where(shift == 0, v, SUB_COUNT + (shift - 1) * HALF + ((v >> shift) - HALF))


def _odd_only(status: int) -> str | None:
    return "odd" if status % 2 else None


values_us = st.one_of(
    st.integers(-5, 3000),
    st.integers(1, MAX_VALUE_US + 10),
    st.sampled_from([0, 1, 2047, 2048, 4095, 4096, MAX_VALUE_US, MAX_VALUE_US + 1, 2**40]),
)
buffer = st.lists(values_us, max_size=12)
name_spec = st.fixed_dictionaries(
    {
        "lat": buffer,
        "svc": buffer,
        "ttfb": buffer,
        "connect": buffer,
        "tls": buffer,
        "status": st.lists(st.sampled_from([0, 200, 204, 301, 404, 429, 500, 503, 65535]), max_size=10),
        "errors": st.dictionaries(st.sampled_from(["reset", "timeout", "http_5xx"]), st.integers(1, 3)),
        "ends": st.dictionaries(st.sampled_from(["ws_abnormal", "timeout"]), st.integers(1, 3)),
        "done": st.integers(0, 3),
        "bytes": st.integers(0, 10_000),
        "kind": st.sampled_from([http_status_kind, _odd_only]),
    }
)


def _fill(rec: NameRecorder, spec: dict[str, object]) -> None:
    for key in ("lat", "svc", "ttfb", "connect", "tls", "status"):
        getattr(rec, key).extend(spec[key])
    for kind, n in spec["errors"].items():  # type: ignore[attr-defined]
        for _ in range(n):
            rec.error(kind)
    for kind, n in spec.get("ends", {}).items():  # type: ignore[attr-defined]
        for _ in range(n):
            rec.end(kind)
    rec.done = spec["done"]  # type: ignore[assignment]
    rec.bytes_in = rec.bytes_out = spec["bytes"]  # type: ignore[assignment]


def _twins(specs: list[dict[str, object]]) -> tuple[list[NameRecorder], list[NameRecorder]]:
    out: tuple[list[NameRecorder], list[NameRecorder]] = ([], [])
    for spec in specs:
        for recs in out:
            recs.append(NameRecorder(spec["kind"]))  # type: ignore[arg-type]
            _fill(recs[-1], spec)
    return out


def _assert_empty(rec: NameRecorder) -> None:
    assert not rec.active and not rec.errors and not rec.ends


@settings(max_examples=300, deadline=None)
@given(st.lists(name_spec, max_size=8))
def test_batched_cut_equals_cutting_each_name(specs: list[dict[str, object]]) -> None:
    batched, single = _twins(specs)
    got = cut_all(batched)
    assert got == [rec.cut() for rec in single]
    for stats in got:
        if not stats.service.total:
            # No service times: the service histogram is a copy of the latency one, not the same object.
            assert stats.service == stats.latency and stats.service is not stats.latency
    for rec in batched:
        _assert_empty(rec)


def test_far_apart_values_take_the_sorting_path_and_still_match() -> None:
    # 1 µs and 1 h in many names: the dense rows would be mostly empty, so the batch sorts instead.
    specs: list[dict[str, object]] = [
        {
            "lat": [1, MAX_VALUE_US, 5000 + i],
            "svc": [],
            "ttfb": [i + 1],
            "connect": [],
            "tls": [],
            "status": [0, 65535, 200 + i],
            "errors": {},
            "done": 0,
            "bytes": 0,
            "kind": http_status_kind,
        }
        for i in range(10)
    ]
    batched, single = _twins(specs)
    assert cut_all(batched) == [rec.cut() for rec in single]


def test_histograms_of_a_batch_are_independent() -> None:
    bufs = [array("q", [100, 200, 200]), array("q"), array("q", [100, 300])]
    first, empty, last = histograms(bufs)
    assert empty is None and first is not None and last is not None
    first.merge(Histogram.of([100, 200]))
    assert last == Histogram.of([100, 300])
    assert first == Histogram.of([100, 100, 200, 200, 200])
    assert list(bufs[0]) == [100, 200, 200]  # the buffers are the recorder's to empty


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(values_us, max_size=20), max_size=6))
def test_sum_of_equals_merging_one_by_one(groups: list[list[int]]) -> None:
    hists = [Histogram.of(g) for g in groups]
    merged = Histogram()
    for h in hists:
        merged.merge(h)
    assert Histogram.sum_of(hists) == merged
    assert Histogram.of([v for g in groups for v in g]) == merged


def test_name_stats_sum_of_equals_merging_one_by_one() -> None:
    rec = Recorder()
    for i, name in enumerate(["a", "b", "c"]):
        r = rec.for_name(name, http_status_kind)
        r.lat.extend([100 * (i + 1), 5000])
        r.status.extend([200, 500 + i])
        r.error("reset")
        r.bytes_in = i
    parts = list(rec.cut(1).names.values())
    merged = NameStats()
    for part in parts:
        merged.merge(part)
    assert NameStats.sum_of(parts) == merged
    assert NameStats.sum_of([]) == NameStats()


def test_bucket_index_matches_the_first_formula() -> None:
    edges = np.array([1 << k for k in range(34)], dtype=np.int64)
    values = np.concatenate(
        (
            np.arange(-3, 200_000, dtype=np.int64),
            edges - 1,
            edges,
            edges + 1,
            np.random.default_rng(7).integers(-10, 10**13, 100_000),
        )
    )
    assert np.array_equal(bucket_index(values), _reference_bucket_index(values))


def _per_name(recs: list[NameRecorder]) -> list[NameStats]:
    return [rec.cut() for rec in recs]


def _record_run(rec: Recorder, seed: int) -> None:
    rng = np.random.default_rng(seed)
    kinds: list[StatusKind] = [http_status_kind, _odd_only]
    for i in range(40):
        name = f"GET /item/{rng.integers(0, 30)}"
        r = rec.for_name(name, kinds[i % 2])
        r.lat.extend(rng.integers(1, 100_000, 5).tolist())
        if i % 3:
            r.svc.extend(rng.integers(1, 100_000, 5).tolist())
        r.status.extend(rng.choice([200, 404, 503], 5).tolist())
        if i % 4 == 0:
            r.error("timeout")
        if i % 5 == 0:
            tagged = rec.for_tag("region", f"r{i % 7}", like=r)
            tagged.lat.extend([1000, 2000])
            tagged.status.extend([200, 503])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recorder_cut_equals_the_per_name_cut_with_caps_and_tags(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched, single = Recorder(max_names=10, max_tags=3), Recorder(max_names=10, max_tags=3)
    _record_run(batched, seed)
    _record_run(single, seed)
    got = batched.cut(1_000)
    monkeypatch.setattr(recorder_module, "cut_all", _per_name)
    want = single.cut(1_000)
    assert OTHER in got.names and any(tag.endswith(OTHER) for tag in got.tags)
    assert got.names == want.names and got.tags == want.tags
    assert got.overflow == want.overflow
    batched_run, single_run = Aggregate(), Aggregate()
    batched_run.add(got)
    batched_run.add(got)
    single_run.add(want)
    single_run.add(want)
    assert batched_run.names == single_run.names and batched_run.total == single_run.total
    assert got.names == want.names  # adding a snapshot to the run's totals leaves the snapshot as it was
    for stats in [*batched_run.names.values(), *batched_run.tags.values(), batched_run.total]:
        for h in (stats.latency, stats.service, stats.ttfb, stats.connect, stats.tls):
            # The run's totals hold no view into a batch's arrays, which would keep each interval alive.
            assert h.idx.base is None or h.idx.base.size == h.idx.size
