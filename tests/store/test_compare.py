"""Comparison statistics: known shifts are flagged, same-distribution runs are not (fixed seeds)."""

from __future__ import annotations

import pytest

from loadpulse.store.compare import IMPROVEMENT, REGRESSION, SAME, compare, mann_whitney_p, two_proportion_p
from tests.results.results_factory import synthetic_results


def verdicts(
    base_kw: dict[str, float], cand_kw: dict[str, float], min_effect: float = 0.05
) -> dict[str, str]:
    base = synthetic_results(seed=1, **base_kw)  # type: ignore[arg-type]
    cand = synthetic_results(seed=2, **cand_kw)  # type: ignore[arg-type]
    return {d.metric: d.verdict for d in compare(base, cand, min_effect=min_effect)}


def test_mann_whitney_matches_the_textbook_value() -> None:
    # n1 = n2 = 5, complete separation: U = 0, z = (12.5 - 0.5) / 4.787, two-sided p = 0.0122
    assert mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(0.01219, abs=1e-4)
    assert mann_whitney_p([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert two_proportion_p(50, 1000, 50, 1000) == pytest.approx(1.0)
    assert two_proportion_p(10, 1000, 60, 1000) < 1e-6


def test_same_distribution_is_no_significant_change() -> None:
    got = verdicts({}, {})
    assert set(got.values()) == {SAME}, got


def test_slower_latency_is_a_regression_and_faster_an_improvement() -> None:
    slower = verdicts({"median_ms": 10}, {"median_ms": 13})
    assert slower["latency p50"] == REGRESSION and slower["latency p95"] == REGRESSION
    assert slower["GET /: p95"] == REGRESSION
    assert slower["throughput (median req/s)"] == SAME
    faster = verdicts({"median_ms": 13}, {"median_ms": 10})
    assert faster["latency p95"] == IMPROVEMENT


def test_throughput_drop_is_flagged() -> None:
    got = verdicts({"rate": 500}, {"rate": 400})
    assert got["throughput (median req/s)"] == REGRESSION


def test_more_errors_is_a_regression() -> None:
    got = verdicts({"error_share": 0.001}, {"error_share": 0.03})
    assert got["error rate"] == REGRESSION


def test_min_effect_keeps_small_real_shifts_quiet() -> None:
    # a 3 % slowdown over 10,000 requests is statistically real, but under a 5 % minimum effect
    assert verdicts({"median_ms": 10}, {"median_ms": 10.3})["latency p50"] == SAME
    assert verdicts({"median_ms": 10}, {"median_ms": 10.3}, min_effect=0.01)["latency p50"] == REGRESSION
