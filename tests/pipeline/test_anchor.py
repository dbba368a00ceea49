from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from loadpulse.pipeline.anchor import ClockAnchor

START = datetime(2026, 11, 23, 19, 0, 0, tzinfo=UTC)
ANCHOR = ClockAnchor(mono_ns=5_000_000_000, wall_s=START.timestamp())


def test_epoch_seconds_map_onto_the_monotonic_clock() -> None:
    assert ANCHOR.to_mono_ns(START.timestamp() + 1.5) == 6_500_000_000
    assert ANCHOR.to_mono_ns(int(START.timestamp()) - 2) == 3_000_000_000


def test_aware_and_naive_datetimes_and_iso_text() -> None:
    later = START + timedelta(milliseconds=250)
    assert ANCHOR.to_mono_ns(later) == 5_250_000_000
    assert ANCHOR.to_mono_ns(later.astimezone(timezone(timedelta(hours=2)))) == 5_250_000_000
    assert ANCHOR.to_mono_ns(later.replace(tzinfo=None)) == 5_250_000_000  # naive: UTC
    assert ANCHOR.to_mono_ns("2026-11-23 19:00:00.250") == 5_250_000_000  # SQLite's text form
    assert ANCHOR.to_mono_ns("2026-11-23T20:00:00.250+01:00") == 5_250_000_000


@pytest.mark.parametrize("bad", ["yesterday", float("nan"), -1.0, True, None, [1]])
def test_a_bad_persist_time_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="persist time"):
        ANCHOR.to_mono_ns(bad)  # type: ignore[arg-type]


def test_a_bad_anchor_is_refused() -> None:
    with pytest.raises(ValueError, match="mono_ns"):
        ClockAnchor(mono_ns=-1, wall_s=0.0)
