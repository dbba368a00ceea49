"""Drift over a run's timeline: growth found with the right slope, steady noisy runs never flagged."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.metrics.aggregate import SeriesRow
from loadpulse.metrics.drift import (
    DriftChoice,
    drift_block,
    drift_keys,
    series_drift,
)
from loadpulse.metrics.drift_stats import FloatArray


def rows_of(p95: FloatArray, dt: float = 1.0, probes: dict[str, FloatArray] | None = None) -> list[SeriesRow]:
    out = []
    for i, v in enumerate(p95):
        out.append(
            SeriesRow(
                t_s=(i + 1) * dt, interval_s=dt, requests=100, ok=100, failed=0, rate=100 / dt,
                p50_ms=v * 0.5, p90_ms=v, p95_ms=v, p99_ms=v * 1.5, max_ms=v * 2, errors={}, dropped=0,
                in_flight=0, connections=0,
                probes={name: float(p[i]) for name, p in (probes or {}).items() if np.isfinite(p[i])},
            )
        )  # fmt: skip
    return out


def steady(seed: int, n: int, level: float = 20.0, phi: float = 0.5) -> FloatArray:
    """A steady load test's per-second p95: AR(1) noise (a slow second is followed by a slow second),
    plus about one spike in a hundred seconds (a GC pause, a neighbour) 3-8 times the level."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.0, n)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + z[i]
    y = level + 0.1 * level * e
    spikes = rng.random(n) < 0.01
    y[spikes] *= rng.uniform(3.0, 8.0, int(spikes.sum()))
    return np.maximum(y, 0.01)


def test_linear_growth_is_found_with_its_slope() -> None:
    n = 300  # a five-minute run, 1 s intervals
    y = steady(7, n) + np.linspace(0.0, 10.0, n)  # +10 ms over 300 s: 2 ms/min on a 20 ms level
    d = series_drift(rows_of(y), "p95")
    assert d.verdict == "grew" and d.significant and d.p_value is not None and d.p_value < 1e-4
    assert d.slope_per_min == pytest.approx(2.0, rel=0.15)
    assert d.ci is not None and d.ci[0] < 2.0 < d.ci[1] and d.ci[0] > 0
    assert d.change_pct == pytest.approx(50.0, rel=0.2)
    assert d.change_pct is not None and d.threshold_value == pytest.approx(d.change_pct / 100)


def test_a_fall_is_a_fall() -> None:
    y = steady(3, 240) * np.linspace(1.5, 1.0, 240)
    d = series_drift(rows_of(y), "p95")
    assert d.verdict == "fell" and d.change_pct is not None and d.change_pct < -20


@pytest.mark.parametrize("seed", range(20))
def test_no_false_alarm_on_steady_runs(seed: int) -> None:
    """20 steady five-minute runs with different seeds: every series stable, thresholds see 0 %."""
    rng = np.random.default_rng(1000 + seed)
    rss = 120.0 + rng.normal(0, 0.5, 300)  # a target's RSS in MiB, steady
    rows = rows_of(steady(seed, 300), probes={"target.rss": rss})
    block = drift_block(rows, 300.0, DriftChoice())
    assert block is not None and block["tested"]
    for key, d in block["series"].items():
        assert d["verdict"] == "stable" and not d["significant"], (key, d)
        assert series_drift(rows, key).threshold_value == 0.0


def test_false_alarm_rate_is_at_most_the_nominal_level() -> None:
    """Over 300 steady series (AR(1) φ = 0.5 with spikes) the test at p < 0.01 calls a trend in at most
    2 % of them: the block means and the Hamed-Rao correction hold it at its level despite the serial
    correlation (plain Mann-Kendall on the 1 s values flags about 12 %)."""
    flagged = sum(series_drift(rows_of(steady(s, 300)), "p95").significant for s in range(300))
    assert flagged <= 6


def test_short_forced_runs_use_short_blocks_and_still_find_growth() -> None:
    y = 10.0 + np.arange(25) * 1.0 + np.random.default_rng(1).normal(0, 0.5, 25)  # +1 ms/s for 25 s
    d = series_drift(rows_of(y), "p95")
    assert d.verdict == "grew" and d.points >= 10 and d.slope_per_min == pytest.approx(60.0, rel=0.15)


def test_too_few_values_is_untested_not_stable() -> None:
    d = series_drift(rows_of(np.full(6, 5.0)), "p95")
    assert d.verdict == "untested" and d.threshold_value is None and "too few" in (d.note or "")


def test_probe_gaps_and_a_constant_probe() -> None:
    n = 200
    mem = np.where(np.arange(n) % 7 == 0, np.nan, 100.0 + np.arange(n) * 0.2)  # a failed sample: a gap
    flat = np.full(n, 3.0)
    rows = rows_of(steady(1, n), probes={"mem": mem, "queue": flat})
    assert drift_keys(rows) == [
        "p50",
        "p95",
        "p99",
        "errors.rate",
        "requests.rate",
        "probe.mem",
        "probe.queue",
    ]
    grew = series_drift(rows, "probe.mem")
    assert grew.verdict == "grew" and grew.slope_per_min == pytest.approx(12.0, rel=0.05)
    still = series_drift(rows, "probe.queue")
    assert still.verdict == "stable" and still.p_value == 1.0 and still.slope_per_min == 0.0


def test_a_leak_in_steps_is_drift() -> None:
    """A target's RSS rising 4 MiB every two minutes over ten minutes (seed 000's red flag), little noise."""
    n = 600
    rss = 200.0 + 4.0 * (np.arange(n) // 120) + np.random.default_rng(3).normal(0, 0.2, n)
    d = series_drift(rows_of(steady(1, n), probes={"target.rss": rss}), "probe.target.rss")
    assert d.verdict == "grew" and d.change_pct is not None and 7 < d.change_pct < 12


def test_a_queue_growing_from_zero_has_no_percentage_but_a_change() -> None:
    n = 120
    queue = np.maximum(0.0, np.arange(n) - 2.0)
    d = series_drift(rows_of(steady(2, n), probes={"q": queue}), "probe.q")
    assert d.verdict == "grew" and d.change_pct is None
    assert d.threshold_value == pytest.approx(d.change)


def test_error_rate_changes_in_points() -> None:
    rows = rows_of(steady(4, 200))
    for i, r in enumerate(rows):
        r.failed = i // 20  # 0 % at the start, 9 % at the end
    d = series_drift(rows, "errors.rate")
    assert d.verdict == "grew" and d.change_pct is None
    assert d.change == pytest.approx(0.1, abs=0.02) and d.threshold_value == d.change


def test_short_run_is_skipped_with_a_note_unless_forced_or_on() -> None:
    rows = rows_of(steady(5, 60))
    skipped = drift_block(rows, 60.0, DriftChoice())
    assert skipped is not None and not skipped["tested"] and "--drift" in skipped["note"]
    assert skipped["series"] == {}
    assert drift_block(rows, 60.0, DriftChoice("on"))["tested"]  # type: ignore[index]
    assert drift_block(rows, 60.0, DriftChoice(), forced=True)["tested"]  # type: ignore[index]
    assert drift_block(rows, 60.0, DriftChoice(min_s=30.0))["tested"]  # type: ignore[index]
    assert drift_block(rows, 600.0, DriftChoice("off")) is None


def test_the_cost_is_bounded_by_the_block_count() -> None:
    d = series_drift(rows_of(steady(6, 7200)), "p95")  # two hours of 1 s intervals
    assert 10 <= d.points <= 200 and d.block_s is not None and d.block_s >= 36


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    slope=st.sampled_from([0.0, 0.05]),
    shift=st.floats(-5.0, 50.0),
    scale=st.floats(0.1, 100.0),
)
def test_a_constant_added_keeps_the_significance_and_scaling_keeps_the_relative_change(
    seed: int, slope: float, shift: float, scale: float
) -> None:
    y = steady(seed, 180) + slope * np.arange(180)
    base = series_drift(rows_of(y), "p95")
    shifted = series_drift(rows_of(y + shift), "p95")
    assert shifted.significant == base.significant and shifted.p_value == pytest.approx(base.p_value)
    assert shifted.slope_per_min == pytest.approx(base.slope_per_min, rel=1e-9, abs=1e-9)
    scaled = series_drift(rows_of(y * scale), "p95")
    assert scaled.verdict == base.verdict and scaled.p_value == pytest.approx(base.p_value)
    assert scaled.change_pct == pytest.approx(base.change_pct, rel=1e-6, abs=1e-9)
