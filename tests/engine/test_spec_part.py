"""The one-liner's spec cut per worker (engine/spec_part.py): the parts add up to the whole exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.engine.spec_part import SpecRef, cut_spec, spec_share
from loadpulse.profiles.worker_part import WorkerPart
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec


def spec(**load: object) -> RunSpec:
    return RunSpec(requests=(RequestSpec(url="http://127.0.0.1:1/"),), load=LoadSpec(**load))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 64), st.integers(1, 5000) | st.none(), st.integers(1, 8))
def test_closed_parts_add_up(connections: int, requests: int | None, workers: int) -> None:
    whole = spec(connections=connections, requests=requests)
    parts = [cut_spec(whole, WorkerPart.even(i, workers)) for i in range(workers)]
    kept = [p.load for p in parts if p is not None]
    assert sum(p.effective_connections for p in kept) == whole.load.effective_connections
    if requests is not None:
        assert sum(p.requests or 0 for p in kept) == requests
        assert all((p.requests or 0) >= p.effective_connections for p in kept)  # no connection idle
    shares = [spec_share(whole, WorkerPart.even(i, workers)) for i in range(workers)]
    assert sum(shares) == pytest.approx(1.0)
    assert [s > 0 for s in shares] == [p is not None for p in parts]


@settings(max_examples=100, deadline=None)
@given(st.floats(1, 5000), st.integers(1, 100_000) | st.none(), st.integers(1, 8))
def test_open_parts_take_their_stripe_of_the_arrivals(
    rate: float, requests: int | None, workers: int
) -> None:
    whole = spec(rate=rate, requests=requests) if requests else spec(rate=rate, duration_s=2.0)
    parts = [cut_spec(whole, WorkerPart.even(i, workers)) for i in range(workers)]
    if requests is not None:
        assert sum(p.load.requests or 0 for p in parts if p is not None) == requests
    assert all(p is None or p.load.effective_max_in_flight >= 1 for p in parts)
    shares = [spec_share(whole, WorkerPart.even(i, workers)) for i in range(workers)]
    assert sum(shares) == pytest.approx(1.0)


def test_a_ref_travels_as_plain_data() -> None:
    ref = SpecRef(spec(connections=3, requests=10)).for_worker(1, 2)
    back = SpecRef.from_dict(ref.to_dict())
    assert back == ref and back.load() == ref.load()
    assert back.load() is not None and back.load().load.connections == 1  # type: ignore[union-attr]
    assert ref.share() == pytest.approx(3 / 10)  # connection 2 of 3: 3 of the 10 requests
