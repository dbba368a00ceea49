"""The one-liner's spec cut per worker (engine/spec_part.py): the parts add up to the whole exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.bounds import spread_over
from loadpulse.engine.spec_part import SpecRef, cut_spec, spec_share
from loadpulse.errors import BadInput
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


def test_a_worker_checks_the_whole_against_all_workers_bounds_and_its_part_against_one() -> None:
    """-c 150 x 100 HTTP/2 streams is more than one process keeps (10,000): the coordinator accepts it for
    two workers, so must each worker reading the whole, and each one's half (7,500) fits one process."""
    with spread_over(2):
        whole = RunSpec(
            requests=(RequestSpec(url="http://127.0.0.1:1/"),), load=LoadSpec(connections=150), http2=True
        )
    ref = SpecRef.from_dict(SpecRef(whole).for_worker(1, 2).to_dict())
    part = ref.load()
    assert part is not None and part.load.connections == 75
    with pytest.raises(ValueError, match="more than one loadpulse process keeps"):
        RunSpec(requests=whole.requests, load=LoadSpec(connections=150), http2=True)
    with spread_over(3), pytest.raises(BadInput, match=r"-c 120 x 100 streams .* \(at most 10,000\)"):
        lopsided = RunSpec(
            requests=whole.requests, load=LoadSpec(connections=240), http2=True, streams_per_connection=100
        )
        cut_spec(lopsided, WorkerPart.even(0, 2))  # a part bigger than one process: refused as it is cut
