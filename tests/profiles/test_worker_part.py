"""Profiles cut to workers (profiles/worker_part.py): the workers together run exactly the whole."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.errors import BadInput
from loadpulse.profiles.base import ClosedProfile, OpenProfile, ProfileConfig, pace
from loadpulse.profiles.constant_rate import ConstantRate
from loadpulse.profiles.constant_vus import ConstantVus
from loadpulse.profiles.iterations import PerVuIterations, SharedIterations
from loadpulse.profiles.ramping_rate import RampingRate
from loadpulse.profiles.ramping_vus import RampingVus
from loadpulse.profiles.segment import Segment
from loadpulse.profiles.striping import SegmentSequence
from loadpulse.profiles.worker_part import WorkerPart, first_vu_ids, load_measure
from tests.profiles.test_striping import tilings

S = 1_000_000_000

stages = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 300)).map(lambda t: {"duration": t[0], "target": t[1]}),
    min_size=1,
    max_size=4,
).filter(lambda ss: sum(s["duration"] for s in ss) > 0)

closed_profiles = st.one_of(
    st.builds(ConstantVus, vus=st.integers(1, 500), duration=st.just(5.0)),
    st.builds(RampingVus, start_vus=st.integers(0, 50), stages=stages),
    st.builds(SharedIterations, vus=st.integers(1, 200), iterations=st.integers(1, 2000)),
    st.builds(PerVuIterations, vus=st.integers(1, 200), iterations=st.integers(1, 50)),
)
open_profiles = st.one_of(
    st.builds(
        ConstantRate,
        rate=st.floats(1, 200),
        duration=st.floats(0.1, 3),
        max_vus=st.integers(1, 300),
        pre_allocated_vus=st.none() | st.integers(1, 20),
    ),
    st.builds(
        RampingRate,
        start_rate=st.sampled_from([0.0, 1.0, 30.0, 100.0]),
        stages=stages.map(lambda ss: [{**s, "target": s["target"] / 3} for s in ss]),
        max_vus=st.integers(1, 300),
    ),
)


def cuts(profile: ProfileConfig, seq: SegmentSequence, first_id: int = 1) -> list[ProfileConfig | None]:
    return [WorkerPart(seq, i).cut(profile, first_id) for i in range(len(seq.segments))]


def times_of(profile: ProfileConfig) -> list[float]:
    """Moments worth checking: around every stage boundary, and a spread over the profile's time."""
    edges, t = [0.0], 0.0
    for stage in getattr(profile, "stages", ()):
        t += stage.duration
        edges.append(t)
    out = [e + d for e in edges for d in (-1e-6, 0.0, 1e-6)]
    end = profile.planned_s
    return sorted({*out, *(end * k / 97 for k in range(98)), end + 1})


@settings(max_examples=120, deadline=None)
@given(closed_profiles, tilings())
def test_closed_workers_vus_add_up_to_the_whole_at_every_moment(
    profile: ClosedProfile, seq: SegmentSequence
) -> None:
    parts = [p for p in cuts(profile, seq) if p is not None]
    assert all(isinstance(p, ClosedProfile) for p in parts)
    assert sum(p.peak_vus for p in parts) == profile.peak_vus
    before: list[int] | None = None
    whole_before = 0
    for t in times_of(profile):
        now = [p.vus_at(t) for p in parts]  # type: ignore[attr-defined]
        assert sum(now) == profile.vus_at(t)
        if before is not None and profile.vus_at(t) >= whole_before:
            assert all(a >= b for a, b in zip(now, before, strict=True))  # no worker drops one as it grows
        before, whole_before = now, profile.vus_at(t)


@settings(max_examples=120, deadline=None)
@given(closed_profiles, tilings())
def test_iteration_budgets_split_exactly(profile: ClosedProfile, seq: SegmentSequence) -> None:
    parts = [p for p in cuts(profile, seq) if isinstance(p, ClosedProfile)]
    if profile.shared_iterations is not None:
        assert sum(p.shared_iterations or 0 for p in parts) == profile.shared_iterations
        assert all((p.shared_iterations or 0) >= p.peak_vus > 0 for p in parts)  # no worker idle or empty
    if profile.iterations_per_vu is not None:
        total = sum((p.iterations_per_vu or 0) * p.peak_vus for p in parts)
        assert total == profile.iterations_per_vu * profile.peak_vus


def arrivals(schedule: OpenProfile, step_ns: int = 37_000_000) -> list[int]:
    """Every arrival a scheduler paces out of ``schedule`` at irregular ticks (like engine/schedule.py)."""
    out: list[int] = []
    sched = schedule.arrival_schedule()
    t = 0
    while True:
        n, wait = pace(sched, t, len(out))
        for _ in range(n):
            at = sched.arrival_ns(len(out))
            assert at is not None and at <= t
            out.append(at)
        if wait is None:
            return out
        t += min(step_ns, max(wait, 1))


@settings(max_examples=60, deadline=None)
@given(open_profiles, tilings())
def test_open_workers_arrivals_together_are_the_whole_schedule(
    profile: OpenProfile, seq: SegmentSequence
) -> None:
    every = [p for p in cuts(profile, seq) if p is not None]
    parts = [p for p in every if isinstance(p, OpenProfile)]
    assert len(parts) == len(every)
    whole = arrivals(profile)
    mine = [arrivals(p) for p in parts]
    assert Counter(at for m in mine for at in m) == Counter(whole)
    assert sum(len(m) for m in mine) == len(whole)  # no arrival in two workers
    for t in (0, 1, S // 3, S, 2 * S + 7, 10 * S):  # due by t: the workers' counts add up exactly
        assert sum(pace(p.arrival_schedule(), t, 0)[0] for p in parts) == pace(profile, t, 0)[0]


def test_equal_workers_deal_a_constant_rate_in_turn() -> None:
    profile = ConstantRate(rate=100, duration=0.1, max_vus=10)
    parts = cuts(profile, SegmentSequence.even(3))
    times = [arrivals(p) for p in parts]  # type: ignore[arg-type]
    ms = 1_000_000
    assert times == [[0, 30 * ms, 60 * ms, 90 * ms], [10 * ms, 40 * ms, 70 * ms], [20 * ms, 50 * ms, 80 * ms]]
    assert [p.max_vus for p in parts] == [4, 3, 3]  # type: ignore[union-attr]
    assert [p.rate for p in parts] == pytest.approx([100 / 3] * 3)  # type: ignore[union-attr]


def test_a_whole_part_is_the_profile_itself_with_its_own_schedule_object() -> None:
    profile = ConstantRate(rate=10, duration=1)
    assert WorkerPart().cut(profile) is profile
    assert profile.cut is None
    assert type(profile.arrival_schedule()).__name__ == "SteadyRate"  # paced directly, no wrapper


def test_a_ramp_of_vus_is_striped_not_ramped_per_worker() -> None:
    profile = RampingVus(stages=({"duration": 10, "target": 10},))  # type: ignore[arg-type]
    parts = cuts(profile, SegmentSequence.even(3))
    # At 5 s the whole runs 5 VUs: workers 2, 2, 1 (ramping 0 -> 3 each would give 1 + 1 + 1).
    assert [p.vus_at(5.0) for p in parts] == [2, 2, 1]  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(closed_profiles, open_profiles), min_size=1, max_size=4), tilings())
def test_vu_ids_are_unique_across_workers_and_scenarios(
    profiles: list[ProfileConfig], seq: SegmentSequence
) -> None:
    firsts = first_vu_ids(profiles, seq)
    seen: Counter[int] = Counter()
    for profile, first in zip(profiles, firsts, strict=True):
        per_worker = [WorkerPart(seq, i).vu_ids(profile, first) for i in range(len(seq.segments))]
        for ids in per_worker:
            seen.update(ids)
        if isinstance(profile, ClosedProfile):
            # The workers' VUs are exactly the single process's, numbered as it numbers them.
            assert sorted(i for ids in per_worker for i in ids) == list(profile.vu_ids(first))
    assert all(n == 1 for n in seen.values())


def test_running_vu_ids_of_a_ramp_are_the_single_process_ones_at_every_moment() -> None:
    profile = RampingVus(stages=({"duration": 10, "target": 7},))  # type: ignore[arg-type]
    parts = cuts(profile, SegmentSequence.parse("0,1/2,3/4,1"), first_id=11)
    for t in (0.0, 2.0, 4.5, 9.9):
        running = sorted(
            p.vu_id(1, j)
            for p in parts
            if p is not None
            for j in range(p.vus_at(t))  # type: ignore[attr-defined]
        )
        assert running == list(range(11, 11 + profile.vus_at(t)))


def test_a_worker_with_nothing_to_run_gets_none() -> None:
    seq = SegmentSequence.even(4)
    assert [p is None for p in cuts(ConstantVus(vus=2), seq)] == [False, False, True, True]
    assert [p is None for p in cuts(ConstantRate(rate=2, duration=1), seq)] == [False, False, True, True]
    shared = [p for p in cuts(SharedIterations(vus=10, iterations=3), seq) if p is not None]
    assert [(p.peak_vus, p.shared_iterations) for p in shared] == [(1, 1)] * 3  # type: ignore[attr-defined]


def test_worker_parts_name_their_place_and_refuse_bad_ones() -> None:
    part = WorkerPart.even(1, 4)
    assert (part.segment, part.count, str(part)) == (
        Segment.parse("1/4:1/2"),
        4,
        "1/4:1/2 of 0,1/4,1/2,3/4,1",
    )
    assert WorkerPart.of(Segment.parse("1/4:1/2")) == part
    with pytest.raises(BadInput, match="worker 4 is not one of the 4"):
        WorkerPart.even(4, 4)


def ids_of(parts: Sequence[ProfileConfig | None]) -> list[list[int]]:
    return [list(p.vu_ids()) if p is not None else [] for p in parts]


def test_open_workers_vu_ids_interleave_within_the_scenario_block() -> None:
    parts = cuts(ConstantRate(rate=10, duration=1, max_vus=5), SegmentSequence.even(2), first_id=3)
    assert ids_of(parts) == [[3, 5, 7], [4, 6]]


def test_a_worker_sliver_of_a_slow_rate_is_its_share_not_a_bad_rate() -> None:
    profile = ConstantRate(rate=0.01, duration=1000)  # 10 arrivals, 100 s apart
    parts = cuts(profile, SegmentSequence.even(64))
    assert [p is None for p in parts] == [False] * 10 + [True] * 54
    assert [arrivals(p) for p in parts[:2]] == [[0], [100 * S]]  # type: ignore[arg-type]


@settings(max_examples=120, deadline=None)
@given(st.one_of(closed_profiles, open_profiles), tilings())
def test_workers_real_shares_add_up_to_the_whole(profile: ProfileConfig, seq: SegmentSequence) -> None:
    measures = [load_measure(profile, WorkerPart(seq, i)) for i in range(len(seq.segments))]
    assert len({whole for _, whole in measures}) == 1
    assert sum(mine for mine, _ in measures) == measures[0][1]
    for i, (mine, _) in enumerate(measures):  # a worker with a share has load, and one without has none
        assert (mine > 0) == (WorkerPart(seq, i).cut(profile) is not None) or measures[0][1] == 0


def test_three_vus_on_two_workers_are_two_thirds_and_one_third() -> None:
    profile = ConstantVus(vus=3, duration=5.0)
    assert [load_measure(profile, WorkerPart.even(i, 2)) for i in range(2)] == [(2, 3), (1, 3)]
    budget = SharedIterations(vus=3, iterations=10)
    assert [load_measure(budget, WorkerPart.even(i, 2)) for i in range(2)] == [(7, 10), (3, 10)]
