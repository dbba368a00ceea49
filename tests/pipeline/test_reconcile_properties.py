"""Properties of reconciliation over random sends, sightings and poll chunkings."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.pipeline.reconcile import Observation, Reconciler
from loadpulse.pipeline.tracking import Tracker


@dataclass
class Run:
    tracker: Tracker
    ids: list[str]
    outcomes: list[str]
    observations: list[Observation]


@st.composite
def runs(draw: st.DrawFn) -> Run:
    n = draw(st.integers(0, 40))
    t = Tracker("p")
    outcomes = draw(st.lists(st.sampled_from(["accepted", "rejected"]), min_size=n, max_size=n))
    ids = []
    for outcome in outcomes:
        item = t.new_id(draw(st.integers(0, 10**9)))
        getattr(t, outcome)(item)
        ids.append(item)
    pool = [*ids, "stranger", "p-ffff", "p-01"]
    seen = draw(st.lists(st.tuples(st.sampled_from(pool), st.integers(0, 2 * 10**9), st.sampled_from("abc"))))
    seen.sort(key=lambda s: s[1])  # a sink reports in arrival order
    observations = [Observation(item, at, worker=worker) for item, at, worker in seen]
    return Run(t, ids, outcomes, observations)


def feed(run: Run, cuts: list[int]) -> Reconciler:
    r = Reconciler([run.tracker])
    bounds = sorted({min(c, len(run.observations)) for c in cuts} | {0, len(run.observations)})
    for lo, hi in itertools.pairwise(bounds):
        r.observe(run.observations[lo:hi])
    return r


@settings(max_examples=150, deadline=None)
@given(runs(), st.lists(st.integers(0, 60), max_size=6))
def test_any_chunking_gives_the_result_of_feeding_everything_at_once(run: Run, cuts: list[int]) -> None:
    whole = feed(run, []).result(3 * 10**9)
    chunked = feed(run, cuts).result(3 * 10**9)
    assert chunked.to_dict() == whole.to_dict()
    assert chunked.e2e == whole.e2e
    assert chunked.out_of_order == whole.out_of_order


@settings(max_examples=150, deadline=None)
@given(runs())
def test_every_sent_item_is_delivered_or_lost_once_drained(run: Run) -> None:
    res = feed(run, []).result(3 * 10**9)
    accepted = run.outcomes.count("accepted")
    assert res.sent == accepted and res.rejected == len(run.ids) - accepted
    assert res.delivered + res.lost == res.sent
    assert res.sent + res.rejected == len(run.ids)


@settings(max_examples=150, deadline=None)
@given(runs())
def test_duplicates_never_count_as_delivered_twice(run: Run) -> None:
    res = feed(run, []).result(3 * 10**9)
    known = [o.id for o in run.observations if o.id in run.ids]
    accepted = {i for i, outcome in zip(run.ids, run.outcomes, strict=True) if outcome == "accepted"}
    assert res.delivered == len(set(known) & accepted)
    assert res.duplicates == len(known) - len(set(known))
    assert sum(res.by_worker.values()) == len(set(known))
    assert res.unexpected == len({o.id for o in run.observations} - set(run.ids))
