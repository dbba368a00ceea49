"""The cool-down after a failed capacity step, with a fake clock and a scripted probe (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from loadpulse.cli.capacity_recovery import PROBE_S, CoolDown, cool_down, probe_rate
from loadpulse.profiles.capacity_search import StepObservation

PASSING = StepObservation(60, 60, True, p50_ms=0.7)
FAILED = StepObservation(120, 100, False, "p95<100ms", p50_ms=480.0)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def scripted(clock: Clock, p50s: list[float | None]) -> Any:
    """A probe that takes PROBE_S and sees the given p50s in turn (the last one forever after)."""
    seen: Iterator[float | None] = iter(p50s)
    last: list[float | None] = [None]
    calls: list[float] = []

    def probe(target: object, rate: float, vus: bool) -> float | None:
        clock.t += PROBE_S
        calls.append(rate)
        last[0] = next(seen, last[0])
        return last[0]

    probe.calls = calls  # type: ignore[attr-defined]
    return probe


def _cool(clock: Clock, probe: Any, budget_s: float) -> CoolDown:
    return cool_down(
        None,  # type: ignore[arg-type]  # the scripted probe never looks at the target
        PASSING,
        FAILED,
        vus=False,
        budget_s=budget_s,
        floor_ms=10,
        probe=probe,
        clock=clock,
        sleep=clock.sleep,
    )


def test_waits_until_the_backlog_is_gone() -> None:
    clock = Clock()
    probe = scripted(clock, [192.0, 40.0, 0.9])
    done = _cool(clock, probe, 10)
    assert done.recovered and len(probe.calls) == 3 and done.probe_p50_ms == 0.9
    assert probe.calls[0] == 5.0  # light: a quarter of the last passing rate, at most 5/s


def test_gives_up_within_its_budget() -> None:
    clock = Clock()
    probe = scripted(clock, [192.0])
    done = _cool(clock, probe, 4)
    assert not done.recovered and done.waited_s <= 4 and done.probe_p50_ms == 192.0


def test_a_dead_target_never_counts_as_recovered() -> None:
    clock = Clock()
    done = _cool(clock, scripted(clock, [None]), 3)
    assert not done.recovered


def test_probe_rates() -> None:
    assert probe_rate(StepObservation(8, 8, True), FAILED, vus=False) == 2.0
    assert probe_rate(None, StepObservation(4, 1, False), vus=False) == 1.0
    assert probe_rate(PASSING, FAILED, vus=True) == 1.0
