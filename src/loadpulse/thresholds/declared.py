"""Turning the thresholds a user declared (CLI, scenario file) into thresholds, or one BadInput."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from loadpulse.errors import BadInput
from loadpulse.metrics.protocol_metrics import with_builtin
from loadpulse.thresholds.parser import ThresholdError
from loadpulse.thresholds.threshold import Threshold, build_threshold


def parse_thresholds(
    expressions: Iterable[str], custom: Mapping[str, str] | None = None, abort_on_fail: bool = False
) -> list[Threshold]:
    """Every expression parsed and resolved; the first bad one is BadInput with a caret picture."""
    out = []
    known = with_builtin(custom)
    for expr in expressions:
        try:
            out.append(build_threshold(expr, known, abort_on_fail))
        except ThresholdError as exc:
            raise BadInput(exc.render(), exc.caret()) from None
    return out
