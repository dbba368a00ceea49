"""Trend statistics for a short series of points: Mann-Kendall test and Theil-Sen slope (pure, numpy).

Both are rank-based, so a latency spike moves them by one rank, never by its size. They are O(n²) in the
number of points: callers hand them a few hundred block means at most (see :mod:`loadpulse.metrics.drift`),
never one value per request or per second of a day-long soak.

Serial correlation: per-interval load figures are autocorrelated (a slow second is followed by a slow
second), and the textbook Mann-Kendall variance assumes independent points, so on such data it calls
noise a trend far more often than its nominal level. Two layers keep it honest:

1. callers test *block means* (10 s or more of intervals each), which leaves little of the short-memory
   correlation of 1 s figures (an AR(1) with φ = 0.5 at 1 s keeps a lag-1 correlation of about 0.08
   between 10 s block means);
2. the variance of S is then corrected for whatever correlation is left in the blocks, after Hamed &
   Rao (1998): Var(S) is inflated by n/n* from the autocorrelations of the block ranks that are
   significant at 5 % (slow waves: a GC cycle, a periodic job), measured about a quadratic fit
   (:func:`curve_residuals`) rather than Sen's line. Blocks shorter than 10 s (a short run forced with
   --drift: 2 or 3 intervals a block) keep more correlation than ten block means can show, so there the
   caller adds a floor: the correlation the block means must have if the intervals are AR(1) with their
   own measured lag-1 correlation (:func:`block_mean_factor`). The factor is clamped at 1 — a negative
   correlation would shrink the variance and make the test bolder, and a false "your memory grows" costs
   more than a trend noticed one run later. The price: on a short forced run a trend that bends more
   than a parabola (throughput falling as 1/latency) still reads partly as correlation, and is called
   later than a straight one.

Measured (tests/metrics/test_drift.py's steady series with spikes, p < 0.01, 1,000 series each): with
AR(1) φ = 0.5 at 1 s, 0.8 % called significant over 5 minutes, 0.9 % over 30 minutes, 1.3 % over a forced
25 s; with φ = 0.8, 2.8 % over 5 minutes and 2.4 % over 25 s; the same with and without the
:data:`CLEAN_RATIO` rule. Plain Mann-Kendall on the 1 s values (φ = 0.5, 5 minutes): 12 %.

Sen's confidence interval on the slope is taken from the same corrected Var(S), at the level of the test,
so the interval excludes 0 (practically) exactly when the trend is significant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

ALPHA = 0.01
"""Significance level of the trend test (and 1 - the level of the slope's interval). A run tests several
series at once (three percentiles, errors, throughput, every probe): at 5 % a steady run would flag one of
them every few runs."""
CLEAN_RATIO = 30.0
"""A trend this many times the noise about it (:func:`noise_ratio`) is tested without the serial-correlation
correction. Steady synthetic series (AR(1) at 1 s up to φ = 0.95, with spikes, 25 s to 30 min, 300 each)
reach at most 23; a linear rise with noise a third of one interval's step reaches 33 on 20 points."""
_ACF_Z = 1.959963984540054
"""An autocorrelation counts in the Hamed-Rao correction when outside ±z/√n (5 %, as in their paper)."""


@dataclass(frozen=True, slots=True)
class TrendTest:
    slope: float
    """Theil-Sen slope: y units per x unit."""
    intercept: float
    """The line's value at x = 0 (median of y - slope·x)."""
    ci: tuple[float, float]
    """Sen's confidence interval on the slope, at level 1 - alpha."""
    s: int
    """Mann-Kendall S: concordant minus discordant pairs."""
    var_s: float
    """Var(S) with the tie and serial-correlation corrections."""
    correction: float
    """The Hamed-Rao factor Var(S) was multiplied by (1 when no significant autocorrelation)."""
    p_value: float
    """Two-sided, normal approximation with continuity correction."""
    n: int


def ranks(values: FloatArray) -> FloatArray:
    """1-based ranks, ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    r = np.empty(values.size, dtype=np.float64)
    r[order] = np.arange(1, values.size + 1, dtype=np.float64)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=r)
    return np.asarray(sums[inverse] / counts[inverse], dtype=np.float64)


def kendall_s(y: FloatArray) -> int:
    """S = Σ_{i<j} sign(y_j - y_i)."""
    diff = np.sign(np.subtract.outer(y, y))  # diff[i, j] = sign(y_i - y_j)
    return int(-np.triu(diff, k=1).sum())


def tie_corrected_variance(y: FloatArray) -> float:
    """Var(S) under no trend, less the share of tied groups (Kendall 1975)."""
    n = y.size
    _, t = np.unique(y, return_counts=True)
    t = t[t > 1].astype(np.float64)
    return float((n * (n - 1) * (2 * n + 5) - np.sum(t * (t - 1) * (2 * t + 5))) / 18.0)


def curve_residuals(x: FloatArray, y: FloatArray) -> FloatArray:
    """``y`` less a least-squares quadratic in ``x``. Serial correlation is measured on these rather than on
    the residuals of the straight Sen line: a trend that bends (throughput as 1/latency, a cache warming
    up) leaves long runs of same-signed residuals about a line, which would read as correlation and
    inflate Var(S) until the very trend it is could not be significant."""
    if y.size < 4:
        return np.asarray(y - y.mean(), dtype=np.float64)
    u = (x - x.mean()) / max(float(np.ptp(x)), 1e-300)
    fitted: FloatArray = np.polyval(np.polyfit(u, y, 2), u)
    residuals = np.asarray(y - fitted, dtype=np.float64)
    # A series the parabola fits exactly (a counter rising by one a second) leaves only rounding noise,
    # whose ranks would be read as correlation: no residual at all is what it has.
    scale = float(np.max(np.abs(y))) if y.size else 0.0
    residuals[np.abs(residuals) <= 1e-9 * scale] = 0.0
    return residuals


def hamed_rao_factor(x: FloatArray, y: FloatArray) -> float:
    """n/n*: how much serial correlation of the detrended ranks inflates Var(S); at least 1."""
    n = y.size
    if n < 4:
        return 1.0
    r = ranks(curve_residuals(x, y))
    r = r - r.mean()
    denom = float(np.dot(r, r))
    if denom == 0.0:
        return 1.0
    lags = np.arange(1, n - 2)  # (n-k)(n-k-1)(n-k-2) is 0 from k = n-2 on
    acf = np.correlate(r, r, mode="full")[n : 2 * n - 3] / denom
    keep = np.abs(acf) > _ACF_Z / math.sqrt(n)
    m = (n - lags) * (n - lags - 1) * (n - lags - 2)
    factor = 1.0 + 2.0 / (n * (n - 1) * (n - 2)) * float(np.sum(m[keep] * acf[keep]))
    return max(1.0, factor)


def noise_ratio(x: FloatArray, y: FloatArray, slope: float) -> float:
    """The change the line makes over the points (``slope`` x span) in units of the noise about the curve
    (1.4826 MAD of :func:`curve_residuals`: spikes do not count): infinite for a clean line, 0 for none.

    Why it matters: the serial-correlation correction reads the *ranks* of the residuals, so it cannot see
    that they are a hundred times smaller than the rise. A leak measured by a probe sampled with a drifting
    phase (residuals a slow sawtooth a fraction of a step high) looked strongly correlated, and a clean
    linear rise came out p = 0.007 on one 30 s run and 4e-6 on the next. Noise that small cannot have made
    a rise that large, whatever its correlation: wandering 30 times its own spread in one direction is the
    figure moving, which is what the verdict is about."""
    change = abs(slope * float(x[-1] - x[0])) if x.size else 0.0
    if change == 0.0:
        return 0.0
    r = curve_residuals(x, y)
    spread = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    return math.inf if spread == 0.0 else change / spread


def _pair_slopes(x: FloatArray, y: FloatArray) -> FloatArray:
    i, j = np.triu_indices(x.size, k=1)
    dx = x[j] - x[i]
    ok = dx != 0
    return np.sort((y[j] - y[i])[ok] / dx[ok])


def theil_sen_slope(x: FloatArray, y: FloatArray) -> float:
    """The median of the slopes between every two points (0 without two distinct x)."""
    slopes = _pair_slopes(x, y)
    return float(np.median(slopes)) if slopes.size else 0.0


def lag1_correlation(values: FloatArray) -> float:
    """Lag-1 autocorrelation of the ranks of ``values`` (ranks: a spike is one rank, not its size), with
    Kendall's small-sample bias taken back (the estimate runs about (1 + 3φ)/n low)."""
    if values.size < 3:
        return 0.0
    r = ranks(values)
    r = r - r.mean()
    denom = float(np.dot(r, r))
    phi = float(np.dot(r[:-1], r[1:])) / denom if denom else 0.0
    return phi + (1.0 + 3.0 * phi) / values.size if phi > 0 else phi


def block_mean_factor(phi: float, k: int, n: int) -> float:
    """n/n* for the Mann-Kendall test of n means of k consecutive values of an AR(1) process with lag-1
    correlation ``phi`` (Hamed-Rao's sum with the block means' model correlations; 1 for phi <= 0)."""
    if phi <= 0.0 or n < 4:
        return 1.0
    phi = min(phi, 0.99)
    i = np.arange(1, k, dtype=np.float64)
    var_block = k + 2.0 * float(np.sum((k - i) * phi**i))
    rho1 = phi * ((1.0 - phi**k) / (1.0 - phi)) ** 2 / var_block
    lags = np.arange(1, n - 2, dtype=np.float64)
    rho = rho1 * phi ** (k * (lags - 1))
    m = (n - lags) * (n - lags - 1) * (n - lags - 2)
    return max(1.0, 1.0 + 2.0 / (n * (n - 1) * (n - 2)) * float(np.sum(m * rho)))


def trend_test(x: FloatArray, y: FloatArray, alpha: float = ALPHA, min_correction: float = 1.0) -> TrendTest:
    """Mann-Kendall and Theil-Sen on points (x, y), x increasing; needs at least 3 points.
    ``min_correction``: a variance factor known from elsewhere (the block means' own model, see
    :func:`block_mean_factor`), used when the points' own autocorrelations say less. Neither applies to a
    trend :data:`CLEAN_RATIO` times its noise or more (:func:`noise_ratio`)."""
    n = y.size
    if n < 3 or x.size != n:
        raise ValueError(f"a trend needs at least 3 points of x and y, not {x.size} and {n}")
    slopes = _pair_slopes(x, y)
    slope = float(np.median(slopes)) if slopes.size else 0.0
    intercept = float(np.median(y - slope * x))
    s = kendall_s(y)
    if noise_ratio(x, y, slope) >= CLEAN_RATIO:
        correction = 1.0
    else:
        correction = max(hamed_rao_factor(x, y), min_correction)
    var_s = tie_corrected_variance(y) * correction
    if var_s <= 0.0 or not slopes.size:  # every point equal: no evidence of anything
        return TrendTest(slope, intercept, (slope, slope), s, 0.0, correction, 1.0, n)
    z = (s - math.copysign(1, s)) / math.sqrt(var_s) if s else 0.0
    p = math.erfc(abs(z) / math.sqrt(2.0))
    # Sen (1968) / Gilbert (1987): the slopes ranked (N - C)/2 and (N + C)/2 + 1, 1-based.
    from statistics import NormalDist  # only when a run is tested: ~10 ms of import for every CLI call

    c = NormalDist().inv_cdf(1.0 - alpha / 2.0) * math.sqrt(var_s)
    last = slopes.size - 1
    lo_pos = min(max((slopes.size - c) / 2.0 - 1.0, 0.0), last)
    hi_pos = min(max((slopes.size + c) / 2.0, 0.0), last)
    positions = np.arange(slopes.size, dtype=np.float64)
    lo = float(np.interp(lo_pos, positions, slopes))
    hi = float(np.interp(hi_pos, positions, slopes))
    return TrendTest(slope, intercept, (lo, hi), s, var_s, correction, min(1.0, p), n)
