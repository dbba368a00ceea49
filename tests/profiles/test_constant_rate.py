from __future__ import annotations

import pytest

from loadpulse.profiles.constant_rate import due, intended_ns

MS = 1_000_000


@pytest.mark.parametrize(
    ("elapsed", "started", "rate", "limit", "expected"),
    [
        (0, 0, 1000, None, (1, 1 * MS)),  # the first arrival is due at once
        (0, 1, 1000, None, (0, 1 * MS)),
        (int(0.5 * MS), 1, 1000, None, (0, int(0.5 * MS))),
        (10 * MS, 1, 1000, None, (10, 1 * MS)),  # a late tick: all overdue arrivals at once, no drift
        (10 * MS, 11, 1000, None, (0, 1 * MS)),
        (10 * MS, 0, 1000, 5, (5, -1)),  # the limit caps arrivals and ends the schedule
        (-5, 0, 1000, None, (0, 5)),
        (999_999_999, 0, 3, None, (3, 1)),
    ],
)
def test_due_table(
    elapsed: int, started: int, rate: float, limit: int | None, expected: tuple[int, int]
) -> None:
    assert due(elapsed, started, rate, limit) == expected


def test_arrivals_are_timed_from_the_start() -> None:
    assert [intended_ns(i, 4) for i in range(5)] == [0, 250 * MS, 500 * MS, 750 * MS, 1000 * MS]
    started, total = 0, 0
    for tick in range(0, 3_000 * MS, 7 * MS):  # irregular ticks for 3 s at 200/s
        n, _ = due(tick, started, 200)
        started += n
        total += n
    assert total == 600
