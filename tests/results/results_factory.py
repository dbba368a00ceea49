"""Results built without a network: recorded values of a known distribution (reports, compare)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.results.document import Results, results_of
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.summary import build_summary
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec


def synthetic_results(
    seconds: int = 20,
    rate: float = 500.0,
    median_ms: float = 10.0,
    seed: int = 0,
    error_share: float = 0.0,
    name: str = "GET /",
    run_id: str = "run",
) -> Results:
    """``seconds`` intervals of ~``rate`` requests, lognormal latencies around ``median_ms``."""
    rng = np.random.default_rng(seed)
    rec = Recorder()
    n = rec.for_name(name, http_status_kind)
    agg = Aggregate()
    for s in range(1, seconds + 1):
        count = int(rng.normal(rate, rate * 0.03))
        lat = rng.lognormal(np.log(median_ms * 1000), 0.35, count).astype(np.int64)
        n.lat.extend(lat.tolist())
        failed = rng.random(count) < error_share
        n.status.extend([503 if f else 200 for f in failed])
        agg.add(rec.cut(s * 1_000_000_000, 10, 10))
    spec = RunSpec(requests=(RequestSpec(url="http://127.0.0.1:8000/"),), load=LoadSpec(duration_s=seconds))
    outcome = RunOutcome(
        spec=spec, aggregate=agg, started_at=datetime(2026, 11, 23, tzinfo=UTC), ended_by="duration"
    )
    outcome.run_id = run_id
    return results_of(outcome, build_summary(outcome))


def scenario_results(
    seconds: int = 20,
    jobs_per_s: float = 262.0,
    iterations_per_s: float = 100.0,
    queue_depth: float = 10.0,
    ok_share: float = 0.9,
    seed: int = 0,
    run_id: str = "run",
    tail_s: float = 0.05,
) -> Results:
    """A scenario run with no HTTP request: iterations, a counter ``jobs``, a trend ``queue`` and a rate
    ``ok``, one interval a second and a last, partial interval of ``tail_s`` at the same pace."""
    rng = np.random.default_rng(seed)
    rec = Recorder()
    agg = Aggregate()
    sc = rec.for_scenario("default")
    m = rec.metrics
    m.declare("jobs", "counter")
    m.declare("queue", "trend")
    m.declare("ok", "rate")

    def interval(length_s: float) -> None:
        its = int(rng.normal(iterations_per_s, iterations_per_s * 0.03) * length_s)
        sc.iterations += its
        sc.duration.extend([10_000] * its)
        m.add_counter("jobs", round(rng.normal(jobs_per_s, jobs_per_s * 0.03) * length_s))
        for v in rng.normal(queue_depth, queue_depth * 0.1, max(its, 1)):
            m.add_trend("queue", float(v))
        for ok in rng.random(max(its, 1)) < ok_share:
            m.add_rate("ok", bool(ok))

    for s in range(1, seconds + 1):
        interval(1.0)
        agg.add(rec.cut(s * 1_000_000_000))
    interval(tail_s)
    agg.add(rec.cut(int((seconds + tail_s) * 1e9)))
    spec = RunSpec(requests=(RequestSpec(url="http://127.0.0.1:8000/"),), load=LoadSpec(duration_s=seconds))
    outcome = RunOutcome(
        spec=spec, aggregate=agg, started_at=datetime(2026, 11, 23, tzinfo=UTC), ended_by="duration"
    )
    outcome.run_id = run_id
    return results_of(outcome, build_summary(outcome))
