"""Load profiles are pure: asked with a fake clock (plain numbers), answers checked table by table."""

from __future__ import annotations

from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.profiles.base import ClosedProfile, OpenProfile
from loadpulse.profiles.iterations import PerVuIterations, SharedIterations
from loadpulse.profiles.ramping_rate import RampingRate
from loadpulse.profiles.ramping_vus import RampingVus
from loadpulse.profiles.registry import PROFILES, build_profile


def closed(cfg: dict[str, Any]) -> ClosedProfile:
    p = build_profile(cfg)
    assert isinstance(p, ClosedProfile)
    return p


def opened(cfg: dict[str, Any]) -> OpenProfile:
    p = build_profile(cfg)
    assert isinstance(p, OpenProfile)
    return p


@pytest.mark.parametrize(
    ("cfg", "times_and_vus"),
    [
        ({"profile": "constant-vus", "vus": 7, "duration": "2s"}, [(0, 7), (1.99, 7), (2.0, 0), (-1, 0)]),
        (
            {"profile": "ramping-vus", "start_vus": 0, "stages": ["10s:100"]},
            [(0, 0), (0.1, 1), (5, 50), (9.99, 99), (10, 0)],
        ),
        (
            # seed 001 ramp-up: 0 -> 500 over 60 s, a VU every 0.12 s
            {"profile": "ramping-vus", "stages": ["60s:500"]},
            [(0.12, 1), (6, 50), (30, 250), (59.9, 499)],
        ),
        (
            {"profile": "ramping-vus", "start_vus": 10, "stages": ["10s:10", "0s:50", "10s:50", "10s:0"]},
            [(0, 10), (9.99, 10), (10, 50), (19.99, 50), (25, 25), (29.9, 0), (30, 0)],
        ),
        ({"profile": "shared-iterations", "vus": 50, "iterations": 20}, [(0, 20), (599, 20), (600, 0)]),
        (
            {"profile": "per-vu-iterations", "vus": 3, "iterations": 5, "max_duration": "1m"},
            [(0, 3), (60, 0)],
        ),
    ],
)
def test_vus_at_each_instant(cfg: dict[str, Any], times_and_vus: list[tuple[float, int]]) -> None:
    p = closed(cfg)
    for t, want in times_and_vus:
        assert p.vus_at(t) == want, (cfg, t)


def test_closed_profiles_report_peak_and_budgets() -> None:
    assert closed({"profile": "ramping-vus", "start_vus": 5, "stages": ["1s:20", "1s:3"]}).peak_vus == 20
    shared = closed({"profile": "shared-iterations", "vus": 50, "iterations": 1000})
    assert (shared.shared_iterations, shared.iterations_per_vu, shared.peak_vus) == (1000, None, 50)
    per_vu = closed({"profile": "per-vu-iterations", "vus": 4, "iterations": 3})
    assert (per_vu.shared_iterations, per_vu.iterations_per_vu) == (None, 3)


def arrivals_until(p: OpenProfile, t: float) -> list[float]:
    out, k = [], 0
    while (at := p.arrival_s(k)) is not None and at <= t:
        out.append(at)
        k += 1
    return out


def test_constant_rate_schedule_is_timed_from_the_start() -> None:
    p = opened({"profile": "constant-rate", "rate": 4, "duration": "1s"})
    assert [p.arrival_s(k) for k in range(5)] == [0.0, 0.25, 0.5, 0.75, None]
    assert p.rate_at(0.5) == 4 and p.rate_at(1.0) == 0


def test_ramping_rate_matches_the_integral_of_its_rate() -> None:
    # 0 -> 100/s over 10 s (500 arrivals), hold 100/s for 5 s (500), drop to 0 over 10 s (500).
    p = opened({"profile": "ramping-rate", "stages": ["10s:100", "5s:100", "10s:0"], "max_vus": 50})
    assert len(arrivals_until(p, 10.0)) == pytest.approx(500, abs=1)
    assert len(arrivals_until(p, 15.0)) == pytest.approx(1000, abs=1)
    assert len(arrivals_until(p, 25.0)) == pytest.approx(1500, abs=1)
    assert p.arrival_s(1501) is None
    times = arrivals_until(p, 25.0)
    assert times == sorted(times)
    assert p.rate_at(5) == pytest.approx(50) and p.rate_at(12) == 100 and p.rate_at(30) == 0


def test_burst_stages_jump_and_pause() -> None:
    p = opened(
        {
            "profile": "ramping-rate",
            "start_rate": 100,
            "stages": ["1s:100", "0s:0", "2s:0", "0s:100", "1s:100"],
        }
    )
    times = arrivals_until(p, 10)
    assert len(times) == pytest.approx(200, abs=1)
    assert not [t for t in times if 1.0 < t < 3.0]  # the pause has no arrivals


def test_every_profile_builds_from_its_defaults_or_minimal_config() -> None:
    minimal: dict[str, dict[str, Any]] = {
        "ramping-vus": {"stages": ["1s:1"]},
        "ramping-rate": {"stages": ["1s:1"]},
    }
    for name in PROFILES:
        p = build_profile({"profile": name, **minimal.get(name, {})})
        assert p.planned_s > 0 and p.peak_vus > 0
        assert p.describe()["profile"] == name


@pytest.mark.parametrize(
    ("cfg", "fragment"),
    [
        ({"profile": "constant-vu"}, "unknown profile 'constant-vu'; did you mean 'constant-vus'?"),
        ({"profile": "ramping-vus", "stages": ["30s-100"]}, "stage '30s-100' is not DURATION:TARGET"),
        ({"profile": "ramping-vus", "stages": ["30x:100"]}, "is not a duration"),
        ({"profile": "ramping-vus", "stages": ["30s:lots"]}, "target 'lots' is not a number"),
        ({"profile": "ramping-vus", "stages": []}, "profile.stages"),
        ({"profile": "ramping-vus", "stages": ["0s:5"]}, "add up to no time"),
        ({"profile": "constant-vus", "duration": "-5s"}, "must be greater than zero"),
        ({"profile": "constant-vus", "duration": -5}, "profile.duration"),
        ({"profile": "constant-vus", "vus": 0}, "profile.vus"),
        ({"profile": "constant-rate", "rate": "fast"}, "profile.rate"),
        ({"profile": "constant-vus", "vu": 3}, "profile.vu: unknown key"),
        ({"vus": 3}, "no 'profile' name"),
    ],
)
def test_bad_profiles_are_one_line_errors(cfg: dict[str, Any], fragment: str) -> None:
    with pytest.raises(BadInput) as info:
        build_profile(cfg)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_stage_mappings_and_strings_are_equivalent() -> None:
    a = RampingVus(stages=["30s:100"])  # type: ignore[arg-type]
    b = RampingVus(stages=[{"duration": 30, "target": 100}])  # type: ignore[arg-type]
    assert a == b
    assert SharedIterations(iterations=5).peak_vus == 5
    assert PerVuIterations(vus=2, iterations=3).iterations_per_vu == 3
    assert RampingRate(stages=["1s:10"]).peak_vus == 100  # type: ignore[arg-type]
