"""Several scenarios in one run (engine/scenario_load.py), in virtual time (ScenarioLoad takes the clock)."""

from __future__ import annotations

import asyncio
from typing import Any

from loadpulse.engine.scenario_load import ScenarioLoad
from loadpulse.metrics.recorder import Recorder
from loadpulse.profiles.constant_rate import ConstantRate
from loadpulse.profiles.constant_vus import ConstantVus
from loadpulse.scenario.model import Plan, ScenarioDef, TaskDef
from tests.engine.load_fakes import CLOCK, run_load
from tests.protocols.mock_net import run_virtual

S = 1_000_000_000
MS = 1_000_000


def test_scenarios_run_side_by_side_each_on_its_own_schedule() -> None:
    starts: dict[str, list[int]] = {"browse": [], "buy": []}

    def task(name: str, seconds: float) -> Any:
        async def fn(ctx: Any) -> None:
            starts[name].append(CLOCK.now_ns())
            await asyncio.sleep(seconds)

        return fn

    plan = Plan(
        "scenario.py",
        (
            ScenarioDef("browse", (TaskDef("t", task("browse", 0.3)),), ConstantVus(vus=2, duration=2)),
            ScenarioDef("buy", (TaskDef("t", task("buy", 0.1)),), ConstantRate(rate=5, duration=1, start=1)),
        ),
    )
    recorder = Recorder()
    load = ScenarioLoad(plan, recorder, CLOCK)
    ended = run_virtual(lambda: run_load(load))
    assert recorder.for_scenario("browse").iterations == 14  # 2 VUs from 0 to 1.8 s
    assert recorder.for_scenario("buy").iterations == 5
    assert [round(t / MS) for t in starts["buy"]] == [1000, 1200, 1400, 1600, 1800]
    # VU ids do not overlap between scenarios: browse has 1-2, buy's come after.
    assert [e.slots[0].vu.id for e in load.executors] == [1, 3]
    assert 2100 * MS <= ended <= 2200 * MS  # browse's last iteration (from 1.8 s) ends at 2.1 s


def test_an_interrupt_stops_every_scenario_and_teardown_gets_setup_s_data() -> None:
    seen: list[Any] = []

    async def fn(ctx: Any) -> None:
        seen.append(ctx.data)
        await asyncio.sleep(5)

    def setup(ctx: Any) -> dict[str, int]:
        return {"token": 7}

    def teardown(ctx: Any, data: Any) -> None:
        seen.append(("teardown", data))

    plan = Plan(
        "scenario.py",
        (ScenarioDef("s", (TaskDef("t", fn),), ConstantVus(vus=3, duration=60)),),
        setup=setup,
        teardown=teardown,
    )
    recorder = Recorder()
    load = ScenarioLoad(plan, recorder, CLOCK)
    ended = run_virtual(lambda: run_load(load, stop_after_s=1.0, grace_s=0.5))
    assert seen == [{"token": 7}] * 3 + [("teardown", {"token": 7})]
    assert load.abandoned == 3 and recorder.for_scenario("s").interrupted == 3
    assert 1500 * MS <= ended <= 1520 * MS  # the grace, then interrupted
