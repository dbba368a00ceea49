"""compare on pipeline checks: the loss rate with the error rate's test and rules, the e2e p95 as a plain,
untested delta; no rows unless both runs checked a pipeline."""

from __future__ import annotations

from typing import Any

from loadpulse.results.document import Results
from loadpulse.store.compare import REGRESSION, SAME, TOO_FEW, UNTESTED, compare, regressions
from loadpulse.store.compare_pipeline import pipeline_deltas
from tests.results.results_factory import synthetic_results


def pipeline(sent: int, lost: int, e2e_p95_ms: float | None = 120.0) -> dict[str, Any]:
    delivered = sent - lost
    e2e = {"p50": 50.0, "p90": 100.0, "p95": e2e_p95_ms, "p99": 150.0, "max": 200.0}
    return {
        "sent": sent, "delivered": delivered, "lost": {"count": lost, "rate": lost / sent if sent else 0.0},
        "duplicates": {"count": 0, "ids": []}, "unexpected": {"count": 0, "ids": []}, "rejected": 0,
        "e2e_ms": e2e if e2e_p95_ms is not None else dict.fromkeys(e2e),
        "drain_s": 0.5, "by_worker": {}, "fairness_pct": None, "stuck": {"count": 0, "ids": []},
        "lost_ids": [], "drained": lost == 0,
    }  # fmt: skip


def run(p: dict[str, Any] | None, run_id: str = "r") -> Results:
    r = synthetic_results(seconds=8, run_id=run_id)
    if p is not None:
        r.summary["pipeline"] = p
    return r


def rows(base: dict[str, Any] | None, cand: dict[str, Any] | None) -> dict[str, Any]:
    return {d.metric: d for d in pipeline_deltas(run(base), run(cand), alpha=0.01, min_effect=0.05)}


def test_a_significant_rise_in_loss_is_a_regression() -> None:
    loss = rows(pipeline(10_000, 0), pipeline(10_000, 300))["pipeline loss rate"]
    assert (loss.baseline, loss.candidate, loss.verdict) == (0.0, 0.03, REGRESSION)
    assert loss.test == "two-proportion z" and loss.p_value is not None and loss.p_value < 0.01
    assert loss.samples == (10_000, 10_000)


def test_noise_in_loss_and_a_change_under_a_tenth_of_a_point_are_no_change() -> None:
    assert rows(pipeline(10_000, 10), pipeline(10_000, 12))["pipeline loss rate"].verdict == SAME
    # 1,000,000 items make 0.05 points significant; it is still under 0.1 point.
    assert rows(pipeline(1_000_000, 1_000), pipeline(1_000_000, 1_500))["pipeline loss rate"].verdict == SAME


def test_few_items_give_no_verdict() -> None:
    d = rows(pipeline(10, 0), pipeline(10, 5))
    assert d["pipeline loss rate"].verdict == TOO_FEW and d["pipeline loss rate"].p_value is None
    assert d["pipeline e2e p95"].verdict == TOO_FEW


def test_the_e2e_p95_is_a_plain_delta_that_never_counts_as_a_regression() -> None:
    e2e = rows(pipeline(5_000, 0, 100.0), pipeline(5_000, 0, 400.0))["pipeline e2e p95"]
    assert (e2e.baseline, e2e.candidate, e2e.unit, e2e.verdict) == (100.0, 400.0, "ms", UNTESTED)
    assert e2e.change == 3.0 and e2e.p_value is None and e2e.interval is None
    assert not regressions([e2e])


def test_no_rows_unless_both_runs_checked_a_pipeline() -> None:
    assert rows(None, pipeline(1_000, 0)) == {} and rows(pipeline(1_000, 0), None) == {}
    assert not any(d.metric.startswith("pipeline") for d in compare(run(None), run(None)))


def test_nothing_arrived_on_one_side_leaves_out_the_e2e_row_only() -> None:
    d = rows(pipeline(1_000, 1_000, None), pipeline(1_000, 0))
    assert set(d) == {"pipeline loss rate"} and d["pipeline loss rate"].candidate == 0.0


def test_compare_puts_the_pipeline_rows_after_the_others_and_fails_on_a_loss_regression() -> None:
    deltas = compare(run(pipeline(10_000, 0), "a"), run(pipeline(10_000, 500), "b"))
    metrics = [d.metric for d in deltas]
    assert metrics[-2:] == ["pipeline loss rate", "pipeline e2e p95"] and "latency p95" in metrics
    assert [d.metric for d in regressions(deltas)] == ["pipeline loss rate"]
