"""Results built without a network: recorded values of a known distribution (reports, compare)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from loadpulse.engine.run import RunOutcome
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.recorder import Recorder
from loadpulse.outputs.results import Results, results_of
from loadpulse.outputs.summary import build_summary
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
    n = rec.for_name(name)
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
