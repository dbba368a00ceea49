"""When a run is generator-limited (results/summary.py generator_block): the loop's lag against what the run
measured, judged over enough time even when a badly lagging loop leaves few samples."""

from __future__ import annotations

from datetime import UTC, datetime

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.summary import generator_block
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec


def _outcome(latency_ms: float, lags_ms: list[float]) -> RunOutcome:
    rec = Recorder()
    name = rec.for_name("GET /", http_status_kind)
    name.lat.extend([int(latency_ms * 1000)] * 1000)
    name.status.extend([200] * 1000)
    agg = Aggregate()
    agg.add(rec.cut(3_000_000_000, 0, 1, [int(lag * 1000) for lag in lags_ms]))
    spec = RunSpec(requests=(RequestSpec(url="http://127.0.0.1:8000/"),), load=LoadSpec(duration_s=3))
    return RunOutcome(
        spec=spec, aggregate=agg, started_at=datetime(2026, 11, 24, tzinfo=UTC), ended_by="duration"
    )


def test_a_loop_late_by_300_ms_on_every_turn_is_generator_limited_though_it_took_few_samples() -> None:
    """HTTP/2 at 10,000 streams in flight: ~10 samples in 3 s, each ~300 ms late, latency ~310 ms (the lag
    is most of it). Counting 50 samples before judging, it used to pass as not limited."""
    block = generator_block(_outcome(310.0, [150.0, 300.0] * 5))
    assert block["limited"] and "lagged up to 300.0 ms" in block["reasons"][0]


def test_a_short_lag_among_few_samples_is_not_judged() -> None:
    assert not generator_block(_outcome(5.0, [20.0] * 10))["limited"]  # 0.3 s of samples: too little


def test_a_lag_small_against_the_measured_latency_is_not_limited() -> None:
    assert not generator_block(_outcome(2000.0, [20.0] * 100))["limited"]


def test_one_stall_among_a_short_runs_samples_is_not_the_verdict() -> None:
    """A 0.7 s run: ~60 samples, one 13 ms stall (the run's first turn), latency p99 5 ms. With so few
    samples the p99 is that one stall; it used to flag the run every time."""
    assert not generator_block(_outcome(5.0, [0.1] * 59 + [13.0]))["limited"]
    assert generator_block(_outcome(5.0, [0.1] * 58 + [13.0, 12.0]))["limited"]  # twice is a pattern
