"""``abort_on_fail`` thresholds as an output: on every interval, the reason to stop the run once one of
them is at FAIL (after its delay, counted from the run start). The run then ends 'aborted' (exit 3)."""

from __future__ import annotations

from collections.abc import Sequence

from loadpulse.outputs.contract import Interval, Output, OutputParams
from loadpulse.thresholds.threshold import Threshold
from loadpulse.thresholds.verdict import FAIL


class AbortOnFail(Output):
    live = True

    def __init__(self, thresholds: Sequence[Threshold]) -> None:
        self.watched = [t for t in thresholds if t.abort_on_fail]

    def add(self, interval: Interval) -> str | None:
        agg = interval.aggregate
        for result in interval.verdicts:
            t = result.threshold
            # "No data" is not a failure to stop on while the run goes: a pipeline's figures exist only
            # after its first poll, a name's after its first request. The final verdict still counts it.
            if (
                t.abort_on_fail
                and result.verdict == FAIL
                and result.actual is not None
                and agg.elapsed_s >= t.abort_delay_s
            ):
                return f"{t.expression!r} failed at {agg.elapsed_s:.1f} s (actual {result.actual_text})"
        return None


def create(params: OutputParams) -> AbortOnFail | None:
    if params.run is None or not any(t.abort_on_fail for t in params.thresholds):
        return None
    return AbortOnFail(params.thresholds)
