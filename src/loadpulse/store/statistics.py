"""The statistics behind run-vs-run comparison (pure): the tests, the bootstrap, the verdict words.

Shared by :mod:`loadpulse.store.compare` (HTTP rows) and :mod:`loadpulse.store.compare_custom`
(iterations and custom metrics), so neither imports the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from loadpulse.metrics.aggregate import SeriesRow
from loadpulse.metrics.cardinality import OTHER
from loadpulse.metrics.scenario_stats import OTHER_METRICS
from loadpulse.results.document import Results

REGRESSION, IMPROVEMENT, SAME = "regression", "improvement", "no significant change"
TOO_FEW = "too few samples"
MIN_ERROR_POINTS = 0.001
MIN_SAMPLES = 20
"""Recorded values (requests, trend values, rate samples) each run needs before a percentile or a share
is compared. Below it a bootstrap resamples the same one or two values and its interval collapses to a
point ([x, x]): any difference would look certain. Twenty keeps a p95 off the single largest value."""
MIN_INTERVALS = 6
"""Steady intervals (seconds) each run needs for a Mann-Whitney test over per-second rates. Six a side is
the fewest at which the test can reach p < 0.01 at all (complete separation: p = 0.012 at five, 0.005 at
six); with fewer, 'no significant change' would only mean 'could not have told'."""


@dataclass(frozen=True, slots=True)
class Delta:
    metric: str
    baseline: float
    candidate: float
    unit: str
    test: str
    p_value: float | None
    interval: tuple[float, float] | None
    """95 % interval of candidate - baseline (bootstrap), in the metric's unit."""
    verdict: str
    samples: tuple[int, int] | None = None
    """How many values each side's test saw (requests, intervals, trend values), baseline first."""
    name: str | None = None
    """The request or metric name a per-name row is about; None for the run-wide rows."""

    @property
    def change(self) -> float | None:
        """Relative change, candidate vs baseline (None when the baseline is 0)."""
        return (self.candidate - self.baseline) / self.baseline if self.baseline else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "unit": self.unit,
            "change": self.change,
            "test": self.test,
            "p_value": self.p_value,
            "interval": list(self.interval) if self.interval else None,
            "verdict": self.verdict,
            "samples": list(self.samples) if self.samples else None,
            "name": self.name,
        }


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, tie-corrected)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return 1.0
    both = np.concatenate([x, y])
    order = np.argsort(both, kind="mergesort")
    ranks = np.empty(len(both))
    sorted_vals = both[order]
    i = 0
    ties = 0.0
    while i < len(both):
        j = i
        while j + 1 < len(both) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    u1 = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))) if n > 1 else 0.0
    if sigma == 0:
        return 1.0
    z = (abs(u1 - n1 * n2 / 2) - 0.5) / sigma
    return math.erfc(max(z, 0.0) / math.sqrt(2))


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = abs(x1 / n1 - x2 / n2) / se
    return math.erfc(z / math.sqrt(2))


class Binned(Protocol):
    """A distribution as (value, count) of its non-empty buckets: the latency Histogram, a trend's."""

    def nonzero(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...


def _boot_percentiles(
    h: Binned, q: float, rng: np.random.Generator, n_boot: int, scale: float
) -> npt.NDArray[np.float64]:
    values, counts = h.nonzero()
    total = int(counts.sum())
    draws = rng.multinomial(total, counts / total, size=n_boot)
    cum = np.cumsum(draws, axis=1)
    rank = max(1, math.ceil(q / 100 * total))
    idx = (cum < rank).sum(axis=1)
    picked: npt.NDArray[np.float64] = values[np.minimum(idx, len(values) - 1)] / scale
    return picked


def bootstrap_interval(
    base: Binned, cand: Binned, q: float, n_boot: int = 400, seed: int = 0, scale: float = 1000.0
) -> tuple[float, float]:
    """95 % interval of percentile ``q`` of ``cand`` minus that of ``base``, in recorded units / ``scale``
    (µs / 1000: ms for latencies)."""
    rng = np.random.default_rng(seed)
    diff = _boot_percentiles(cand, q, rng, n_boot, scale) - _boot_percentiles(base, q, rng, n_boot, scale)
    lo, hi = np.percentile(diff, [2.5, 97.5])
    return float(lo), float(hi)


def classify(worse_if_higher: bool, base: float, cand: float, significant: bool, min_effect: float) -> str:
    if not significant:
        return SAME
    change = abs(cand - base) / base if base else math.inf
    if change < min_effect:
        return SAME
    higher = cand > base
    return REGRESSION if higher == worse_if_higher else IMPROVEMENT


def enough(samples: tuple[int, int], minimum: int = MIN_SAMPLES) -> bool:
    """Whether both sides hold at least ``minimum`` values: below it no verdict is given (:data:`TOO_FEW`)."""
    return min(samples) >= minimum


def is_grouped(name: str) -> bool:
    """A catch-all entry of a capped run ('(other)', 'GET (other)', '(other counters)'): each run grouped
    different names there, so comparing it run to run means nothing."""
    return name.endswith(OTHER) or name in OTHER_METRICS


def steady_rows(r: Results) -> list[SeriesRow]:
    """The intervals that stand for the run's steady state: the first and last (partial) left out, and
    any shorter than half a second."""
    rows = r.series
    inner = rows[1:-1] if len(rows) > 2 else rows
    return [row for row in inner if row.interval_s > 0.5]
