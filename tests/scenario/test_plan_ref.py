"""Shippable plans: what crosses a process boundary is a description each worker loads itself."""

from __future__ import annotations

import json
import multiprocessing
import textwrap
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.profiles.presets import Overrides
from loadpulse.profiles.segment import Segment
from loadpulse.scenario.plan_ref import PlanRef
from loadpulse.scenario.source import RunOptions

SCENARIO = """
from loadpulse import task

scenarios = {
    "browse": {"profile": "constant-vus", "vus": 10, "duration": "5s"},
    "buy": {"profile": "constant-rate", "rate": 30, "duration": "5s", "max_vus": 4},
}

@task(scenario="browse")
async def browse(ctx):
    await ctx.http.get("/")

@task(scenario="buy")
async def buy(ctx):
    await ctx.http.post("/orders", json={})
"""


def _file(tmp_path: Path) -> str:
    path = tmp_path / "shop.py"
    path.write_text(textwrap.dedent(SCENARIO))
    return str(path)


def _load_in_child(data: dict[str, Any]) -> dict[str, Any]:
    plan = PlanRef.from_dict(data).load()
    assert plan is not None
    return {s.name: s.profile.describe() for s in plan.scenarios} | {"_base": plan.base_url}


def test_a_ref_crosses_a_spawned_process_and_loads_the_same_plan_there(tmp_path: Path) -> None:
    options = RunOptions(base_url="http://127.0.0.1:9", overrides=Overrides(duration_s=3.0), env={"K": "v"})
    ref = PlanRef.of(_file(tmp_path), options)
    wire = json.loads(json.dumps(ref.to_dict()))  # plain data only: no functions, no pickled code
    assert PlanRef.from_dict(wire) == ref
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.apply(_load_in_child, (wire,))
    here = ref.load()
    assert here is not None
    assert there == {s.name: s.profile.describe() for s in here.scenarios} | {"_base": "http://127.0.0.1:9"}
    assert there["browse"]["duration"] == 3.0


def test_segments_split_vus_exactly_and_rates_in_proportion(tmp_path: Path) -> None:
    ref = PlanRef.of(_file(tmp_path), RunOptions())
    plans = [ref.with_segment(seg).load() for seg in Segment.split(3)]
    vus = [p.scenarios[0].profile.vus for p in plans if p is not None]  # type: ignore[attr-defined]
    rates = [p.scenarios[1].profile.rate for p in plans if p is not None]  # type: ignore[attr-defined]
    assert sum(vus) == 10 and max(vus) - min(vus) <= 1
    assert sum(rates) == pytest.approx(30.0)


def test_a_segment_with_nothing_to_run_is_none_not_an_invalid_profile(tmp_path: Path) -> None:
    path = tmp_path / "one.py"
    path.write_text("from loadpulse import task\nprofile = {'profile': 'constant-vus', 'vus': 2}\n"
                    "@task\nasync def t(ctx):\n    pass\n")  # fmt: skip
    ref = PlanRef.of(str(path), RunOptions())
    loaded = [ref.with_segment(seg).load() for seg in Segment.split(4)]
    assert sum(p.scenarios[0].profile.vus for p in loaded if p is not None) == 2  # type: ignore[attr-defined]
    assert loaded.count(None) == 2


def test_only_the_named_scenarios_are_loaded(tmp_path: Path) -> None:
    plan = PlanRef.of(_file(tmp_path), RunOptions(), ("buy",)).load()
    assert plan is not None and [s.name for s in plan.scenarios] == ["buy"]
    with pytest.raises(BadInput, match="no scenario named 'sell'"):
        PlanRef.of(_file(tmp_path), RunOptions(), ("sell",)).load()


def test_a_file_changed_after_the_run_began_is_refused(tmp_path: Path) -> None:
    ref = PlanRef.of(_file(tmp_path), RunOptions())
    Path(ref.path).write_text(textwrap.dedent(SCENARIO).replace("10", "11"))
    with pytest.raises(BadInput, match="changed since the run began"):
        ref.load()


@pytest.mark.parametrize("n", [1, 2, 3, 7, 16])
@pytest.mark.parametrize("total", [0, 1, 5, 10, 99, 1000])
def test_shares_of_a_split_add_up_exactly(n: int, total: int) -> None:
    shares = [seg.share(total) for seg in Segment.split(n)]
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1


def test_segment_text_and_bad_segments() -> None:
    assert Segment.parse("1/4:0.5") == Segment(Fraction(1, 4), Fraction(1, 2))
    assert str(Segment.parse("0:1/3")) == "0:1/3"
    for bad in ("1/2", "a:b", "1/2:1/4", "0:2", "1/0:1"):
        with pytest.raises(BadInput):
            Segment.parse(bad)
