"""Drift over a run: does a figure trend up or down from start to end, or only wander? (pure)

Seed 000's red flags ("memory growing over time", "increasing latency over time") as a verdict per series
of the run's per-interval timeline: latency p50/p95/p99, error rate, throughput and every probe.

How a series is tested:

- the first interval is left out (connections opening, caches filling: a warm-up, not a trend), and so is
  a last interval shorter than half the others (the run's partial tail);
- the rest is cut into consecutive blocks of at least 10 s (at least 10 blocks, at most 200: longer runs
  get longer blocks, which bounds the O(n²) statistics), each block reduced to the mean of its values;
  intervals where the series has no value (no response, a probe that failed) are gaps;
- the block means get a Mann-Kendall test with Hamed-Rao correction and a Theil-Sen slope with Sen's
  interval (:mod:`loadpulse.metrics.drift_stats`, which says why blocks *and* the correction);
- the change over the run is the slope times the tested span, relative to the fitted level at its start
  ("p95 grew 38 % over the run"); the error rate, a fraction already, changes in points.

``significant`` is the statistics alone (p < 0.01). The verdict also asks for a change that matters: a
relative change of at least 5 % (0.1 point for the error rate), the rule ``loadpulse compare`` uses, so
a 0.3 % creep over a long, quiet soak is "stable" however certain it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from loadpulse.metrics.aggregate import SeriesRow
from loadpulse.metrics.drift_columns import ERRORS, LATENCY_KEYS, PROBE, THROUGHPUT, columns
from loadpulse.metrics.drift_stats import (
    ALPHA,
    FloatArray,
    block_mean_factor,
    curve_residuals,
    lag1_correlation,
    trend_test,
)

DEFAULT_MIN_S = 180.0
"""Runs shorter than this are not tested unless asked (--drift): a minute of warm-up is not a trend."""
BLOCK_S = 10.0
MIN_POINTS = 10
MAX_POINTS = 200
MIN_EFFECT = 0.05
MIN_RATE_EFFECT = 0.001
GREW, FELL, STABLE, UNTESTED = "grew", "fell", "stable", "untested"
DriftMode = Literal["auto", "on", "off"]


@dataclass(frozen=True, slots=True)
class DriftChoice:
    """What the run asked for: ``auto`` tests runs of at least ``min_s``; ``on`` every run; ``off`` none."""

    mode: DriftMode = "auto"
    min_s: float = DEFAULT_MIN_S


@dataclass(frozen=True, slots=True)
class Drift:
    """One series' trend over the run; slopes and levels in the series' own unit."""

    key: str
    unit: str
    """'ms', 'fraction', '/s', or '' for a probe (its own unit)."""
    verdict: str
    significant: bool = False
    slope_per_min: float | None = None
    ci: tuple[float, float] | None = None
    """Sen's interval on slope_per_min at 99 %."""
    p_value: float | None = None
    change: float | None = None
    """slope x tested span: how much the fitted line rose (negative: fell) from start to end."""
    change_pct: float | None = None
    """change / level in percent; None when the level is not above 0 (and for the error rate)."""
    level: float | None = None
    """The fitted line at start_s."""
    start_s: float | None = None
    end_s: float | None = None
    points: int = 0
    block_s: float | None = None
    note: str | None = None

    @property
    def threshold_value(self) -> float | None:
        """What ``drift.*`` thresholds compare: the change (a fraction: 0.1 for 10 %; points for the error
        rate; the absolute change from a level of 0, like a probe's growth), and 0 when the trend is not
        significant, so noise never fails a build. None when the series could not be tested."""
        if self.verdict == UNTESTED or self.change is None:
            return None
        if not self.significant:
            return 0.0
        if self.change_pct is not None:
            return self.change_pct / 100.0
        return self.change

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else float(f"{v:.6g}")

        return {
            "verdict": self.verdict,
            "significant": self.significant,
            "slope_per_min": r(self.slope_per_min),
            "change": r(self.change),
            "change_pct": None if self.change_pct is None else round(self.change_pct, 2),
            "ci": None if self.ci is None else [r(self.ci[0]), r(self.ci[1])],
            "p_value": r(self.p_value),
            "level": r(self.level),
            "unit": self.unit,
            "start_s": r(self.start_s),
            "end_s": r(self.end_s),
            "points": self.points,
            "block_s": r(self.block_s),
            "note": self.note,
        }


def drift_keys(rows: Sequence[SeriesRow]) -> list[str]:
    """The series a run has: request figures when it made requests, and every probe series."""
    keys: list[str] = []
    if any(r.requests for r in rows):
        keys += [*LATENCY_KEYS, ERRORS, THROUGHPUT]
    keys += [PROBE + name for name in sorted({p for r in rows for p in r.probes})]
    return keys


def unit_of(key: str) -> str:
    if key in LATENCY_KEYS:
        return "ms"
    return {ERRORS: "fraction", THROUGHPUT: "/s"}.get(key, "")


def _tested(t: FloatArray, interval: FloatArray, y: FloatArray) -> tuple[FloatArray, ...]:
    """Without the warm-up interval and a partial last one."""
    t, interval, y = t[1:], interval[1:], y[1:]
    if t.size >= 2 and interval[-1] < 0.5 * float(np.median(interval)):
        t, interval, y = t[:-1], interval[:-1], y[:-1]
    return t, interval, y


def _block_starts(n: int, interval_s: float) -> npt.NDArray[np.int64]:
    """Where each block starts (row indexes): ≥ BLOCK_S each, MIN_POINTS..MAX_POINTS blocks when the run
    allows; a short run (--drift on 30 s) gets shorter blocks rather than too few points."""
    k = max(math.ceil(BLOCK_S / max(interval_s, 1e-9)), math.ceil(n / MAX_POINTS), 1)
    if n // k < MIN_POINTS:
        k = max(1, n // MIN_POINTS)
    blocks = max(1, n // k)
    return np.asarray(np.arange(blocks, dtype=np.int64) * n // blocks, dtype=np.int64)  # near-equal sizes


def series_drift(rows: Sequence[SeriesRow], key: str, alpha: float = ALPHA) -> Drift:
    """The trend of one series of the run's timeline (see the module's docstring)."""
    unit = unit_of(key)
    t, interval, y = _tested(*columns(rows, key))
    if not t.size:
        return Drift(key, unit, UNTESTED, note="no interval to test")
    starts = _block_starts(t.size, float(np.median(interval)))
    have = np.isfinite(y)
    counts = np.add.reduceat(have.astype(np.float64), starts)
    sums = np.add.reduceat(np.where(have, y, 0.0), starts)
    times = np.add.reduceat(np.where(have, t, 0.0), starts)
    full = counts > 0
    points = int(full.sum())
    block_s = float(interval.sum() / starts.size)
    if points < MIN_POINTS:
        return Drift(
            key,
            unit,
            UNTESTED,
            points=points,
            block_s=block_s,
            note=f"too few values over time ({points} of {starts.size} blocks have one, {MIN_POINTS} needed)",
        )
    bx, by = times[full] / counts[full], sums[full] / counts[full]
    # Blocks shorter than BLOCK_S (a short run forced with --drift: 2 or 3 intervals a block) keep much of
    # the intervals' correlation, more than ten block means can show: the intervals' own, modelled as
    # AR(1), sets a floor under the correction. Full-length blocks leave little of it, and there the
    # model would cost more than it saves: its estimate is measured about a parabola, and a trend of
    # another shape (a leak rising in steps, a queue that starts growing late) would read as correlation.
    floor = 1.0
    if block_s < 0.9 * BLOCK_S:
        k = max(1, round(t.size / starts.size))
        floor = block_mean_factor(lag1_correlation(curve_residuals(t[have], y[have])), k, points)
    test = trend_test(bx, by, alpha, floor)
    first = int(np.argmax(have))
    last = int(len(have) - 1 - np.argmax(have[::-1]))
    start_s, end_s = float(t[first] - interval[first]), float(t[last])
    level = test.intercept + test.slope * start_s
    change = test.slope * (end_s - start_s)
    change_pct = 100.0 * change / level if key != ERRORS and level > 0 else None
    significant = test.p_value < alpha
    return Drift(
        key,
        unit,
        _verdict(key, significant, change, change_pct),
        significant=significant,
        slope_per_min=test.slope * 60.0,
        ci=(test.ci[0] * 60.0, test.ci[1] * 60.0),
        p_value=test.p_value,
        change=change,
        change_pct=change_pct,
        level=level,
        start_s=start_s,
        end_s=end_s,
        points=points,
        block_s=block_s,
    )


def _verdict(key: str, significant: bool, change: float, change_pct: float | None) -> str:
    if not significant:
        return STABLE
    if key == ERRORS:
        matters = abs(change) >= MIN_RATE_EFFECT
    elif change_pct is not None:
        matters = abs(change_pct) >= 100.0 * MIN_EFFECT
    else:
        matters = change != 0  # from a level of 0 (an empty queue) any significant rise is drift
    if not matters:
        return STABLE
    return GREW if change > 0 else FELL


def drift_block(
    rows: Sequence[SeriesRow], elapsed_s: float, choice: DriftChoice, forced: bool = False
) -> dict[str, Any] | None:
    """Summary JSON ``drift``: None with ``off``; not tested (with why) for a run shorter than the
    minimum unless ``on`` or ``forced`` (a drift threshold was declared)."""
    if choice.mode == "off":
        return None
    block: dict[str, Any] = {"tested": True, "note": None, "min_duration_s": choice.min_s, "series": {}}
    if choice.mode == "auto" and not forced and elapsed_s < choice.min_s:
        block["tested"] = False
        block["note"] = (
            f"the run ({elapsed_s:,.0f} s) is shorter than the {choice.min_s:,.0f} s drift needs "
            "(--drift tests it anyway, --drift-min changes the minimum)"
        )
        return block
    block["series"] = {key: series_drift(rows, key).to_dict() for key in drift_keys(rows)}
    return block
