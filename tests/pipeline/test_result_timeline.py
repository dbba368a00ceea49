"""The pipeline's timeline and E2E distribution in the result (Summary JSON ``pipeline``): what a report
charts, on the run's time axis from the load start."""

from __future__ import annotations

import json

from loadpulse.pipeline.reconcile import Observation, Reconciler, ReconcileSettings
from loadpulse.pipeline.result import E2E_DISTRIBUTION
from loadpulse.pipeline.tracking import Tracker

MS = 1_000_000
S = 1_000_000_000
T0 = 50 * S
"""The load's start on the monotonic clock: nowhere near 0, as in a real run."""


def test_points_are_seconds_from_the_load_start_with_backlog() -> None:
    tracker = Tracker("p")
    ids = [tracker.new_id(T0 + i * 100 * MS) for i in range(30)]
    r = Reconciler([tracker])
    r.load_started(T0)
    r.cut(T0 + 5 * MS)  # the poll at the very start
    for item in ids[:10]:
        tracker.accepted(item)
    r.observe(Observation(item, T0 + S) for item in ids[:4])
    r.cut(T0 + S + 20 * MS)
    for item in ids[10:]:
        tracker.accepted(item)
    r.observe(Observation(item, T0 + 2 * S) for item in ids[4:25])
    r.cut(T0 + 2 * S + 40 * MS)
    r.load_ended(T0 + 2 * S + 50 * MS)
    r.observe(Observation(item, T0 + 2 * S + 300 * MS) for item in ids[25:])
    r.cut(T0 + 2 * S + 300 * MS)
    p = r.result(T0 + 3 * S).to_dict()
    assert p["timeline"] == {
        "t_s": [0.005, 1.02, 2.04, 2.3],
        "delivered": [0, 4, 21, 5],
        "sent": [0, 10, 30, 30],
        "delivered_total": [0, 4, 25, 30],
        "backlog": [0, 6, 5, 0],
    }
    assert p["load_end_s"] == 2.05
    assert p["e2e_resolution_s"] == 1.02  # the longest gap between two polls
    assert json.loads(json.dumps(p)) == p


def test_without_a_known_start_the_first_poll_is_the_origin() -> None:
    tracker = Tracker("p")
    tracker.accepted(tracker.new_id(T0))
    r = Reconciler([tracker])
    r.cut(T0 + 3 * S)
    r.cut(T0 + 4 * S)
    r.load_started(T0)  # too late to move points already taken
    p = r.result(T0 + 5 * S).to_dict()
    assert p["timeline"]["t_s"] == [0.0, 1.0]
    assert p["load_end_s"] is None  # the load has not ended


def test_a_result_keeps_its_timeline_when_more_polls_follow() -> None:
    tracker = Tracker("p")
    r = Reconciler([tracker])
    r.load_started(T0)
    r.cut(T0 + S)
    early = r.result(T0 + S)
    r.cut(T0 + 2 * S)
    assert early.to_dict()["timeline"]["t_s"] == [1.0]
    assert r.result(T0 + 2 * S).to_dict()["timeline"]["t_s"] == [1.0, 2.0]
    assert early.to_dict()["e2e_resolution_s"] is None  # one poll: no gap yet


def test_e2e_distribution_is_percentile_and_ms_pairs_ending_at_the_max() -> None:
    tracker = Tracker("p")
    ids = [tracker.new_id(T0) for _ in range(100)]
    for item in ids:
        tracker.accepted(item)
    r = Reconciler([tracker])
    # item i arrives (i + 1) * 10 ms after its send: 10 ms .. 1 s
    r.observe(Observation(item, T0 + (i + 1) * 10 * MS) for i, item in enumerate(ids))
    p = r.result(T0 + 2 * S).to_dict()
    dist = p["e2e_distribution"]
    assert [q for q, _ in dist] == list(E2E_DISTRIBUTION)
    values = dict((q, ms) for q, ms in dist)
    assert values[100.0] == p["e2e_ms"]["max"] == 1000.0
    for q, exact in ((0.0, 10.0), (50.0, 500.0), (90.0, 900.0)):
        assert abs(values[q] - exact) <= exact / 1000, q  # HDR: 3 significant digits
    assert values[50.0] == round(p["e2e_ms"]["p50"], 3)  # the same histogram, to the µs
    assert [ms for _, ms in dist] == sorted(ms for _, ms in dist)


def test_nothing_arrived_means_no_distribution_and_expected_workers_are_kept() -> None:
    tracker = Tracker("p")
    tracker.accepted(tracker.new_id(T0))
    r = Reconciler([tracker], ReconcileSettings(workers=5))
    p = r.result(T0 + S).to_dict()
    assert p["e2e_distribution"] == [] and p["workers_expected"] == 5
    assert p["timeline"] == {"t_s": [], "delivered": [], "sent": [], "delivered_total": [], "backlog": []}
    assert Reconciler([tracker]).result(T0).to_dict()["workers_expected"] is None
