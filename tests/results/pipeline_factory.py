"""A Summary JSON ``pipeline`` object made by the real pipeline core (Tracker + Reconciler), so the shape
that outputs and thresholds are tested against is the one a run produces and can never drift."""

from __future__ import annotations

from typing import Any

from loadpulse.pipeline.reconcile import Observation, Reconciler, ReconcileSettings
from loadpulse.pipeline.tracking import Tracker

MS = 1_000_000
S = 1_000 * MS


def pipeline_dict(
    sent: int = 100,
    lost: int = 0,
    duplicates: int = 0,
    unexpected: int = 0,
    rejected: int = 0,
    stuck: int = 0,
    e2e_ms: int = 40,
    workers: tuple[str, ...] = ("w1", "w2"),
    load_ended: bool = True,
    sink_failed: bool = False,
) -> dict[str, Any]:
    """``sent`` items accepted, one a millisecond from t=1 s, each arriving ``e2e_ms`` later on the workers
    in turn (none named without ``workers``), except the first ``lost`` (never seen) and the next
    ``stuck`` (seen 'running' and left so for longer than ``stuck_after``); ``duplicates`` arrive twice;
    ``rejected`` more items failed to send.
    The load ends 10 ms after the last send; the result is taken 2 s later."""
    tracker = Tracker("run1")
    ids = [tracker.new_id(S + i * MS) for i in range(sent)]
    for item in ids:
        tracker.accepted(item)
    for i in range(rejected):
        tracker.rejected(tracker.new_id(S + (sent + i) * MS))
    reconciler = Reconciler([tracker], ReconcileSettings(stuck_after_ns=S))
    end_ns = S + (sent + 10) * MS
    running = [Observation(item, S, status="running") for item in ids[lost : lost + stuck]]
    arrived = ids[lost + stuck :]
    seen = [
        Observation(
            item,
            S + (i + lost + stuck) * MS + e2e_ms * MS,
            worker=workers[i % len(workers)] if workers else None,
        )
        for i, item in enumerate(arrived)
    ]
    again = [Observation(item, end_ns) for item in arrived[:duplicates]]
    strangers = [Observation(f"stranger-{i}", end_ns) for i in range(unexpected)]
    reconciler.observe(running + seen + again + strangers)
    if load_ended:
        reconciler.load_ended(end_ns)
    if sink_failed:
        reconciler.sink_failed()
    return reconciler.result(end_ns + 2 * S).to_dict()
