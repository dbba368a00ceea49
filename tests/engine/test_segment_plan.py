"""A scenario plan cut to a worker (scenario/plan_ref.py): run-wide VU ids, the sequence on the wire."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from loadpulse.profiles.segment import Segment
from loadpulse.profiles.striping import SegmentSequence
from loadpulse.profiles.worker_part import WorkerPart
from loadpulse.scenario.plan_ref import PlanRef, worker_vu_ids
from loadpulse.scenario.source import RunOptions

SCENARIO = """
from loadpulse import task

scenarios = {
    "admin": {"profile": "constant-vus", "vus": 1, "duration": "5s"},
    "browse": {"profile": "ramping-vus", "stages": ["5s:6"]},
    "buy": {"profile": "constant-rate", "rate": 30, "duration": "5s", "max_vus": 4},
}

@task(scenario="admin")
async def admin(ctx):
    pass

@task(scenario="browse")
async def browse(ctx):
    pass

@task(scenario="buy")
async def buy(ctx):
    pass
"""


def _ref(tmp_path: Path) -> PlanRef:
    path = tmp_path / "shop.py"
    path.write_text(textwrap.dedent(SCENARIO))
    return PlanRef.of(str(path), RunOptions())


def test_vu_ids_stay_run_wide_when_a_worker_gets_no_share_of_a_scenario(tmp_path: Path) -> None:
    ref = _ref(tmp_path)
    ids: dict[str, list[int]] = {}
    for i in range(3):
        plan = ref.for_worker(i, 3).load()
        assert plan is not None
        for sc in plan.scenarios:
            ids.setdefault(sc.name, []).extend(sc.profile.vu_ids(first_id=999))  # a worker's own numbering
    # admin (1 VU) runs on worker 0 only; the others' browse ids do not move down to 1 for lack of it.
    assert sorted(ids["admin"]) == [1]
    assert sorted(ids["browse"]) == list(range(2, 8))
    assert sorted(ids["buy"]) == list(range(8, 12))


def test_the_sequence_crosses_the_wire_and_a_lone_even_segment_needs_none(tmp_path: Path) -> None:
    ref = _ref(tmp_path).with_segment(Segment.parse("1/2:3/4"), SegmentSequence.parse("0,1/2,3/4,1"))
    wire = json.loads(json.dumps(ref.to_dict()))
    assert wire["sequence"] == "0,1/2,3/4,1"
    assert PlanRef.from_dict(wire) == ref
    assert str(ref.part) == "1/2:3/4 of 0,1/2,3/4,1"
    assert _ref(tmp_path).with_segment(Segment.parse("1/3:2/3")).part == _ref(tmp_path).for_worker(1, 3).part


def test_the_coordinator_can_tell_each_worker_its_vu_ids_from_the_whole_plan(tmp_path: Path) -> None:
    plan = _ref(tmp_path).load()
    assert plan is not None
    by_worker = [worker_vu_ids(plan, WorkerPart.even(i, 3)) for i in range(3)]
    assert [list(w["admin"]) for w in by_worker] == [[1], [], []]
    assert [list(w["browse"]) for w in by_worker] == [[2, 5], [3, 6], [4, 7]]
    assert worker_vu_ids(plan, WorkerPart()) == {
        "admin": range(1, 2),
        "browse": range(2, 8),
        "buy": range(8, 12),
    }
