"""The executor hands a script error's exception to the recorder, so its message reaches the reports."""

from __future__ import annotations

import asyncio

from loadpulse.profiles.constant_vus import ConstantVus
from tests.engine.scenario_fakes import FakeCtx, Started, executor, run_executor
from tests.protocols.mock_net import run_virtual


def test_the_first_message_of_a_failing_line_is_recorded_with_its_key() -> None:
    async def body(ctx: FakeCtx) -> None:
        await asyncio.sleep(0.15)
        raise ValueError(f"relative URL '/x' needs a base URL (iteration {ctx.vu.iteration})")

    ex, recorder = executor(ConstantVus(vus=1, duration=1), body, Started())
    run_virtual(lambda: run_executor(ex))
    stats = recorder.for_scenario("s").cut()
    ((key, count),) = stats.script_errors.items()
    assert (
        key.startswith("ValueError at test_executor_script_error_messages.py:") and count == 7
    )  # 0.15 s each, within 1 s
    assert stats.script_error_messages == {key: "relative URL '/x' needs a base URL (iteration 1)"}
