"""The injected clocks (loadpulse/clock.py): virtual time jumps to the next timer when every task waits."""

from __future__ import annotations

import asyncio
import time

import pytest

from loadpulse.clock import REAL_CLOCK, VirtualClock
from tests.protocols.mock_net import run_virtual

S = 1_000_000_000


def test_an_hour_of_sleeping_takes_no_time() -> None:
    clock = VirtualClock()

    async def main() -> list[int]:
        seen = []
        for _ in range(3):
            await clock.sleep(1200)
            seen.append(clock.now_ns())
        return seen

    t0 = time.perf_counter()
    seen = run_virtual(main)
    assert time.perf_counter() - t0 < 5  # generous: the point is it is not 3600 s
    assert [round(t / S) for t in seen] == [1200, 2400, 3600]


def test_concurrent_sleepers_wake_in_deadline_order() -> None:
    clock = VirtualClock()

    async def main() -> list[tuple[str, int]]:
        woke: list[tuple[str, int]] = []

        async def sleeper(name: str, until_s: float) -> None:
            await clock.sleep_until(int(until_s * S))
            woke.append((name, clock.now_ns()))

        await asyncio.gather(sleeper("c", 3), sleeper("a", 1), sleeper("b", 2))
        return woke

    woke = run_virtual(main)
    assert [name for name, _ in woke] == ["a", "b", "c"]
    assert all(abs(at - want * S) < 1000 for (_, at), want in zip(woke, (1, 2, 3), strict=True))


def test_asyncio_timeouts_fire_on_virtual_time() -> None:
    clock = VirtualClock()

    async def main() -> int:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.Event().wait()
        return clock.now_ns()

    assert abs(run_virtual(main) - 30 * S) < 1000


def test_work_that_never_waits_does_not_move_virtual_time() -> None:
    clock = VirtualClock()

    async def main() -> int:
        t0 = clock.now_ns()
        sum(range(100_000))
        await asyncio.sleep(0)
        return clock.now_ns() - t0

    assert run_virtual(main) == 0


def test_real_clock_sleep_until_a_past_deadline_only_yields() -> None:
    async def main() -> None:
        await REAL_CLOCK.sleep_until(REAL_CLOCK.now_ns() - S)

    asyncio.run(main())
