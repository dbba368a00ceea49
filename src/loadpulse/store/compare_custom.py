"""Comparing what a scenario did besides HTTP: iterations and the script's custom metrics (pure).

A run that makes no HTTP request (SDK calls, database jobs) is compared on what it did do:

- **iterations**: per-second iteration rates over the steady intervals, Mann-Whitney U, like request
  throughput (higher is better).
- **counters** (``ctx.counter``): per-second rates of the counter over the steady intervals, Mann-Whitney U.
- **rates** (``ctx.rate``): the share of true samples, two-proportion z-test.
- **trends** (``ctx.trend``): the p95, bootstrap interval over the two histograms.

loadpulse cannot know whether more of a custom metric is good (jobs done) or bad (retries), so their
verdicts say only the direction: ``significant increase`` / ``significant decrease``, never a regression.
Like the HTTP rows, too few values on either side give ``too few samples`` and no test; the grouped
``(other …)`` metrics of a capped run are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loadpulse.metrics.aggregate import SeriesRow
from loadpulse.metrics.scenario_stats import CustomMetric
from loadpulse.metrics.trend import TrendHistogram
from loadpulse.results.document import Results
from loadpulse.store.statistics import (
    MIN_INTERVALS,
    SAME,
    TOO_FEW,
    Delta,
    bootstrap_interval,
    classify,
    enough,
    is_grouped,
    mann_whitney_p,
    steady_rows,
    two_proportion_p,
)

INCREASE, DECREASE = "significant increase", "significant decrease"


@dataclass(frozen=True, slots=True)
class TrendBins:
    """A trend's distribution as the bootstrap reads it (values in the script's own unit)."""

    hist: TrendHistogram

    def nonzero(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        keys = sorted(k for k, n in self.hist.counts.items() if n)
        values = np.clip(np.array(keys, dtype=np.float64), self.hist.min, self.hist.max)
        return values, np.array([self.hist.counts[k] for k in keys], dtype=np.int64)


def neutral(base: float, cand: float, significant: bool, min_effect: float) -> str:
    """The direction of a significant change of at least ``min_effect``, for metrics with no better side."""
    if not significant:
        return SAME
    change = abs(cand - base) / base if base else float("inf")
    if change < min_effect:
        return SAME
    return INCREASE if cand > base else DECREASE


def _per_second(r: Results, value: Callable[[SeriesRow], float]) -> list[float]:
    return [value(row) / row.interval_s for row in steady_rows(r)]


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else 0.0


def iteration_delta(base: Results, cand: Results, alpha: float, min_effect: float) -> Delta | None:
    """Iterations per second, or None when neither run is a scenario run that iterated."""
    if not any(s.iterations for s in (*base.scenarios.values(), *cand.scenarios.values())):
        return None
    rb = _per_second(base, lambda row: row.iterations)
    rc = _per_second(cand, lambda row: row.iterations)
    mb, mc = _median(rb), _median(rc)
    n = (len(rb), len(rc))
    if not enough(n, MIN_INTERVALS):
        return Delta("iterations (median it/s)", mb, mc, "/s", "Mann-Whitney U", None, None, TOO_FEW, n)
    p = mann_whitney_p(rb, rc)
    verdict = classify(False, mb, mc, p < alpha, min_effect)
    return Delta("iterations (median it/s)", mb, mc, "/s", "Mann-Whitney U", p, None, verdict, n)


def _metric_delta(
    name: str, base: Results, cand: Results, mb: CustomMetric, mc: CustomMetric, alpha: float, me: float
) -> Delta | None:
    if mb.kind == "counter":
        rb = _per_second(base, lambda row: row.metrics.get(name, 0.0))
        rc = _per_second(cand, lambda row: row.metrics.get(name, 0.0))
        vb, vc = _median(rb), _median(rc)
        n = (len(rb), len(rc))
        if not enough(n, MIN_INTERVALS):
            return Delta(f"{name} (median /s)", vb, vc, "/s", "Mann-Whitney U", None, None, TOO_FEW, n, name)
        p = mann_whitney_p(rb, rc)
        verdict = neutral(vb, vc, p < alpha, me)
        return Delta(f"{name} (median /s)", vb, vc, "/s", "Mann-Whitney U", p, None, verdict, n, name)
    if mb.kind == "rate":
        if not mb.total or not mc.total:
            return None
        vb, vc = mb.true / mb.total, mc.true / mc.total
        n = (mb.total, mc.total)
        if not enough(n):
            return Delta(
                f"{name} (rate)", vb, vc, "fraction", "two-proportion z", None, None, TOO_FEW, n, name
            )
        p = two_proportion_p(mb.true, mb.total, mc.true, mc.total)
        verdict = neutral(vb, vc, p < alpha, me)
        return Delta(f"{name} (rate)", vb, vc, "fraction", "two-proportion z", p, None, verdict, n, name)
    if not mb.hist.total or not mc.hist.total:
        return None
    vb, vc = mb.hist.percentile(95.0), mc.hist.percentile(95.0)
    n = (mb.hist.total, mc.hist.total)
    if not enough(n):
        return Delta(f"{name} p95", vb, vc, "", "bootstrap", None, None, TOO_FEW, n, name)
    lo, hi = bootstrap_interval(TrendBins(mb.hist), TrendBins(mc.hist), 95.0, scale=1.0)
    verdict = neutral(vb, vc, lo > 0 or hi < 0, me)
    return Delta(f"{name} p95", vb, vc, "", "bootstrap", None, (lo, hi), verdict, n, name)


def custom_deltas(base: Results, cand: Results, alpha: float, min_effect: float) -> list[Delta]:
    """One delta per custom metric both runs have with the same kind, by name."""
    out: list[Delta] = []
    for name in sorted(set(base.metrics) & set(cand.metrics)):
        mb, mc = base.metrics[name], cand.metrics[name]
        if mb.kind != mc.kind or is_grouped(name):
            continue
        delta = _metric_delta(name, base, cand, mb, mc, alpha, min_effect)
        if delta is not None:
            out.append(delta)
    return out
