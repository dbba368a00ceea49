"""Comparing two runs' pipeline checks: the loss rate and the end-to-end p95 (pure).

- **loss rate** (lost / sent): the two-proportion z-test, with the error rate's rules: significant at
  p < ``alpha``, at least ``min_effect`` relative and 0.1 point absolute, and 20 sent items a side.
- **e2e p95**: a plain delta, never a verdict of change. A run keeps its end-to-end percentiles, not their
  histogram, so there is nothing to bootstrap; calling a difference of two p95s a regression with no test
  would call noise one. The row shows the change and says ``untested``; gate on it with a threshold
  (``pipeline.e2e.p95 < 2s``). Below 20 arrived items a side it says ``too few samples``, like every row.

Rows are given only when both runs checked a pipeline.
"""

from __future__ import annotations

from typing import Any

from loadpulse.results.document import Results
from loadpulse.store.statistics import (
    MIN_ERROR_POINTS,
    SAME,
    TOO_FEW,
    Delta,
    classify,
    enough,
    two_proportion_p,
)

UNTESTED = "untested"
"""The verdict of a row shown as a plain delta: no test fits the data a run keeps."""


def _pipeline(r: Results) -> dict[str, Any] | None:
    pipeline = r.summary.get("pipeline")
    return pipeline if isinstance(pipeline, dict) else None


def loss_rate_delta(pb: dict[str, Any], pc: dict[str, Any], alpha: float, min_effect: float) -> Delta:
    lost_b, sent_b = int(pb["lost"]["count"]), int(pb["sent"])
    lost_c, sent_c = int(pc["lost"]["count"]), int(pc["sent"])
    rb = lost_b / sent_b if sent_b else 0.0
    rc = lost_c / sent_c if sent_c else 0.0
    n = (sent_b, sent_c)
    if not enough(n):
        return Delta("pipeline loss rate", rb, rc, "fraction", "two-proportion z", None, None, TOO_FEW, n)
    p = two_proportion_p(lost_b, sent_b, lost_c, sent_c)
    verdict = SAME
    if p < alpha and abs(rc - rb) >= MIN_ERROR_POINTS:
        verdict = classify(True, rb, rc, True, min_effect)
    return Delta("pipeline loss rate", rb, rc, "fraction", "two-proportion z", p, None, verdict, n)


def e2e_p95_delta(pb: dict[str, Any], pc: dict[str, Any]) -> Delta | None:
    vb, vc = pb["e2e_ms"]["p95"], pc["e2e_ms"]["p95"]
    if vb is None or vc is None:  # nothing arrived on one side: no latency to compare
        return None
    n = (int(pb["delivered"]), int(pc["delivered"]))
    verdict = UNTESTED if enough(n) else TOO_FEW
    return Delta("pipeline e2e p95", float(vb), float(vc), "ms", "plain delta", None, None, verdict, n)


def pipeline_deltas(base: Results, cand: Results, alpha: float, min_effect: float) -> list[Delta]:
    pb, pc = _pipeline(base), _pipeline(cand)
    if pb is None or pc is None:
        return []
    out = [loss_rate_delta(pb, pc, alpha, min_effect)]
    e2e = e2e_p95_delta(pb, pc)
    if e2e is not None:
        out.append(e2e)
    return out
