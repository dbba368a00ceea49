"""Run-vs-run comparison with real statistics, so noise is not called a regression (pure).

- **throughput**: the Mann-Whitney U test over the two runs' per-second request rates (first and last
  intervals left out: they are partial), two-sided, normal approximation with tie correction. Hand-written
  (20 lines) rather than pulling in scipy (~40 MB) for one test; checked against known values in the tests.
- **latency percentiles** (p50, p95, p99 overall, p95 per request name): bootstrap over the final
  histograms: each run's bucket counts are resampled (multinomial, fixed seed) and the percentile
  difference's 95 % interval is taken; it is significant when the interval excludes zero.
- **error rate**: the two-proportion z-test.
- **pipeline checks** (loss rate, e2e p95): see :mod:`loadpulse.store.compare_pipeline`.
- **iterations and custom metrics** (scenario runs): see :mod:`loadpulse.store.compare_custom`. The HTTP
  rows are left out when neither run made an HTTP request (a "0.0/s vs 0.0/s" row says nothing).

A change is a regression or an improvement only when it is significant (p < ``alpha`` or the interval
excludes 0) *and* at least ``min_effect`` in size (relative; for error rates also at least 0.1 point).
Too few values on either side (:data:`~loadpulse.store.statistics.MIN_SAMPLES` requests,
:data:`~loadpulse.store.statistics.MIN_INTERVALS` steady seconds) gives no test and no interval at all,
only the verdict ``too few samples``. Per-name rows leave out the ``(other)`` entries of a capped run:
each run grouped different URLs there, so their difference means nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from loadpulse.metrics.histogram import Histogram
from loadpulse.results.document import Results
from loadpulse.store.compare_custom import custom_deltas, iteration_delta
from loadpulse.store.compare_pipeline import UNTESTED, pipeline_deltas
from loadpulse.store.statistics import (
    IMPROVEMENT,
    MIN_ERROR_POINTS,
    MIN_INTERVALS,
    REGRESSION,
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

__all__ = [
    "IMPROVEMENT",
    "REGRESSION",
    "SAME",
    "TOO_FEW",
    "UNTESTED",
    "Delta",
    "compare",
    "mann_whitney_p",
    "regressions",
    "two_proportion_p",
]


def _steady_rates(r: Results) -> list[float]:
    return [row.rate for row in steady_rows(r)]


def compare(
    base: Results, cand: Results, min_effect: float = 0.05, alpha: float = 0.01, seed: int = 0
) -> list[Delta]:
    out: list[Delta] = []
    http = bool(base.total.requests or cand.total.requests)
    if http:
        out += _http_deltas(base, cand, min_effect, alpha, seed)
    iterations = iteration_delta(base, cand, alpha, min_effect)
    if iterations is not None:
        out.append(iterations)
    out += custom_deltas(base, cand, alpha, min_effect)
    if not out:  # nothing measured on either side: still say so, with the one row every run has
        out += _http_deltas(base, cand, min_effect, alpha, seed)
    out += pipeline_deltas(base, cand, alpha, min_effect)
    return out


def _http_deltas(base: Results, cand: Results, min_effect: float, alpha: float, seed: int) -> list[Delta]:
    out: list[Delta] = []
    rb, rc = _steady_rates(base), _steady_rates(cand)
    mb = float(np.median(rb)) if rb else 0.0
    mc = float(np.median(rc)) if rc else 0.0
    n_rates = (len(rb), len(rc))
    if enough(n_rates, MIN_INTERVALS):
        p = mann_whitney_p(rb, rc)
        out.append(Delta("throughput (median req/s)", mb, mc, "/s", "Mann-Whitney U", p, None,
                         classify(False, mb, mc, p < alpha, min_effect), n_rates))  # fmt: skip
    else:
        out.append(Delta("throughput (median req/s)", mb, mc, "/s", "Mann-Whitney U", None, None, TOO_FEW,
                         n_rates))  # fmt: skip

    def latency(metric: str, hb: Histogram, hc: Histogram, q: float, name: str | None = None) -> None:
        if hb.total == 0 or hc.total == 0:
            return
        vb, vc = hb.percentile(q) / 1000, hc.percentile(q) / 1000
        n = (hb.total, hc.total)
        if not enough(n):
            out.append(Delta(metric, vb, vc, "ms", "bootstrap", None, None, TOO_FEW, n, name))
            return
        lo, hi = bootstrap_interval(hb, hc, q, seed=seed)
        significant = lo > 0 or hi < 0
        out.append(Delta(metric, vb, vc, "ms", "bootstrap", None, (lo, hi),
                         classify(True, vb, vc, significant, min_effect), n, name))  # fmt: skip

    for q, label in ((50.0, "p50"), (95.0, "p95"), (99.0, "p99")):
        latency(f"latency {label}", base.total.latency, cand.total.latency, q)
    tb, tc = base.total, cand.total
    eb = tb.failed / tb.requests if tb.requests else 0.0
    ec = tc.failed / tc.requests if tc.requests else 0.0
    n_req = (tb.requests, tc.requests)
    if enough(n_req):
        p_err: float | None = two_proportion_p(tb.failed, tb.requests, tc.failed, tc.requests)
        verdict = SAME
        if p_err is not None and p_err < alpha and abs(ec - eb) >= MIN_ERROR_POINTS:
            verdict = classify(True, eb, ec, True, min_effect)
    else:
        p_err, verdict = None, TOO_FEW
    out.append(Delta("error rate", eb, ec, "fraction", "two-proportion z", p_err, None, verdict, n_req))
    for name in sorted(set(base.names) & set(cand.names)):
        if not is_grouped(name):
            latency(f"{name}: p95", base.names[name].latency, cand.names[name].latency, 95.0, name)
    return out


def regressions(deltas: Sequence[Delta]) -> list[Delta]:
    return [d for d in deltas if d.verdict == REGRESSION]
