"""A clean linear rise over a short forced run (20-40 one-second intervals) is significant every time,
whatever its sampling does to the residuals: the serial-correlation correction must not read a tiny
sawtooth or rounding as the correlation that could have made the rise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from loadpulse.metrics.drift import series_drift
from loadpulse.metrics.drift_stats import CLEAN_RATIO, FloatArray, noise_ratio
from tests.metrics.test_drift import rows_of, steady

STEP = 3.0
"""The rise per 1 s interval (a file growing 3 units a second, a leak of 3 MiB/s)."""


def clean(n: int, seed: int) -> FloatArray:
    return 100.0 + STEP * np.arange(n, dtype=np.float64)


def phase_drift(n: int, seed: int) -> FloatArray:
    # Sampled a little later every interval and wrapping once: a slow sawtooth under the line, which the
    # rank correlation of the residuals read as strong autocorrelation (p 0.01 at 40 points before).
    late = (np.arange(n) * (0.02 + 0.01 * (seed % 3))) % 1.0
    return 100.0 + STEP * (np.arange(n) + late)


def white(n: int, seed: int) -> FloatArray:
    return clean(n, seed) + np.random.default_rng(seed).normal(0.0, 0.1 * STEP, n)


def correlated(n: int, seed: int) -> FloatArray:
    # AR(1) noise with φ = 0.8, about a fifth of a step.
    z = np.random.default_rng(seed).normal(0.0, 0.1 * STEP, n)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.8 * e[i - 1] + z[i]
    return clean(n, seed) + e


def quantized(n: int, seed: int) -> FloatArray:
    # A file size read in 4 KiB pages while 10 KiB a second are written at random moments.
    writes = 10_000.0 * (np.arange(n) + np.random.default_rng(seed).uniform(0.0, 1.0, n))
    return np.floor((50_000.0 + writes) / 4096.0) * 4096.0


SHAPES: dict[str, Callable[[int, int], FloatArray]] = {
    "clean": clean,
    "phase_drift": phase_drift,
    "white": white,
    "correlated": correlated,
    "quantized": quantized,
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_low_noise_linear_rise_of_20_to_40_points_is_always_significant(shape: str) -> None:
    make = SHAPES[shape]
    for n in range(20, 41):
        for seed in range(10 if shape != "clean" else 1):
            y = make(n, seed)
            for key, rows in (
                ("probe.leak", rows_of(steady(seed, n), probes={"leak": y})),
                ("p95", rows_of(y)),
            ):
                d = series_drift(rows, key)
                assert d.significant and d.verdict == "grew", (shape, n, seed, key, d.p_value)
                assert d.p_value is not None and d.p_value < 1e-3, (shape, n, seed, key, d.p_value)


def test_the_noise_ratio_tells_a_clean_rise_from_a_steady_wander() -> None:
    x = np.arange(14, dtype=np.float64)
    assert noise_ratio(x, 5.0 + 2.0 * x, 2.0) == float("inf")
    assert noise_ratio(x, np.full(14, 5.0), 0.0) == 0.0
    for seed in range(200):  # steady 1 s figures, AR(1) φ = 0.8 with spikes, as 2 s block means
        y = steady(seed, 28, phi=0.8).reshape(14, 2).mean(axis=1)
        slope = float(np.polyfit(x, y, 1)[0])
        assert noise_ratio(x, y, slope) < CLEAN_RATIO
