"""abort_on_fail stops a run on a failure it has data for, not on "no data" mid-run."""

from __future__ import annotations

from typing import Any

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.outputs.abort import AbortOnFail
from loadpulse.outputs.contract import Interval
from loadpulse.thresholds.threshold import build_threshold
from loadpulse.thresholds.verdict import FAIL, ThresholdResult


def _interval(result: ThresholdResult, elapsed_s: float = 2.0) -> Interval:
    agg = Aggregate()
    agg.elapsed_ns = int(elapsed_s * 1e9)
    nothing: Any = None
    return Interval(nothing, nothing, agg, (result,))


def test_no_data_yet_does_not_abort_a_run() -> None:
    """A pipeline's figures exist only after its first poll: 'no data' at 1 s is not a failure."""
    t = build_threshold("pipeline.lost.count == 0 abort_on_fail")
    assert AbortOnFail([t]).add(_interval(ThresholdResult(t, None, FAIL))) is None


def test_a_failure_with_data_aborts() -> None:
    t = build_threshold("pipeline.duplicates.count == 0 abort_on_fail")
    reason = AbortOnFail([t]).add(_interval(ThresholdResult(t, 3.0, FAIL)))
    assert reason is not None and "pipeline.duplicates.count == 0" in reason and "actual 3" in reason
