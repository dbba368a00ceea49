"""Whether a capacity step's target was there at all, and whether it has recovered from the last step's
overload (pure: the command measures, these rules judge; docs/capacity.md)."""

from __future__ import annotations

CONNECTION_ERRORS = ("connect_refused", "connect_timeout", "reset", "premature_eof")
"""Failures that say the target is not there (or died mid-request), whatever the load."""
UNREACHABLE_SHARE = 0.95
"""A step whose requests failed on :data:`CONNECTION_ERRORS` this often measured a dead target, not a
limit."""
RECOVERED_FACTOR = 2.0
"""After a failed step, the target has recovered once a light probe's p50 is within this factor of the last
passing step's (or within the settle floor of it)."""


def unreachable(requests: int, errors: dict[str, int]) -> str | None:
    """Why a step's target was unreachable or dead: (nearly) every request failed on a connection error
    (refused, timed out connecting, reset, closed mid-answer). None when it answered: slow or erroring
    answers are a limit to search for, a target that is gone is not."""
    if requests <= 0:
        return None
    by_kind = {k: errors.get(k, 0) for k in CONNECTION_ERRORS if errors.get(k, 0)}
    lost = sum(by_kind.values())
    if lost < UNREACHABLE_SHARE * requests:
        return None
    kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(by_kind.items(), key=lambda kv: -kv[1]))
    return (
        f"target unreachable/failing: {lost:,} of {requests:,} requests failed to connect or were cut "
        f"({kinds})"
    )


def recovered(probe_p50_ms: float | None, baseline_p50_ms: float | None, floor_ms: float) -> bool:
    """Whether a light probe after a failed step sees the target back to its unloaded latency: within
    :data:`RECOVERED_FACTOR` of the last passing step's p50, or within ``floor_ms`` of it. A probe that
    measured nothing has not seen a recovery; without a baseline (nothing passed yet) any answer counts."""
    if probe_p50_ms is None:
        return False
    if baseline_p50_ms is None:
        return True
    return probe_p50_ms <= max(RECOVERED_FACTOR * baseline_p50_ms, baseline_p50_ms + floor_ms)
