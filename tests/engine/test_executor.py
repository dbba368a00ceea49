"""What both scenario executors share (engine/executor.py), in virtual time."""

from __future__ import annotations

import asyncio

from loadpulse.profiles.constant_vus import ConstantVus
from tests.engine.scenario_fakes import FakeCtx, Started, executor, run_executor
from tests.protocols.mock_net import run_virtual

MS = 1_000_000


def test_a_script_error_ends_the_iteration_not_the_vu() -> None:
    async def body(ctx: FakeCtx) -> None:
        await asyncio.sleep(0.15)
        if ctx.vu.iteration % 2:
            raise KeyError("x")

    ex, recorder = executor(ConstantVus(vus=2, duration=1), body, Started())
    run_virtual(lambda: run_executor(ex))
    rec = recorder.for_scenario("s")
    assert rec.iterations == 14  # 7 each (from 0 to 0.9 s), every one counted
    ((key, count),) = rec.script_errors.items()
    assert key.startswith("KeyError at test_executor.py:") and count == 8  # the odd ones: 1, 3, 5, 7


def test_iteration_duration_is_recorded_exactly() -> None:
    ex, recorder = executor(ConstantVus(vus=1, duration=1), lambda ctx: asyncio.sleep(0.3), Started())
    run_virtual(lambda: run_executor(ex))
    durations = list(recorder.for_scenario("s").duration)
    assert len(durations) == 4 and all(300_000 <= d <= 300_001 for d in durations)  # µs


def test_a_cancelled_error_raised_by_the_script_is_a_script_error() -> None:
    async def body(ctx: FakeCtx) -> None:
        await asyncio.sleep(0.4)
        raise asyncio.CancelledError

    ex, recorder = executor(ConstantVus(vus=1, duration=1), body, Started())
    run_virtual(lambda: run_executor(ex))
    rec = recorder.for_scenario("s")
    assert (rec.iterations, sum(rec.script_errors.values()), rec.interrupted) == (3, 3, 0)
