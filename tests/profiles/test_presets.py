"""Presets cover every test type of the seed guides; command-line overrides change any value."""

from __future__ import annotations

from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.profiles.presets import PRESETS, Overrides, apply_overrides, preset_config
from loadpulse.profiles.registry import build_profile

SEED_TEST_TYPES = (
    "smoke",
    "quick",
    "stress",
    "extreme",
    "spike",
    "soak",
    "endurance",
    "ramp-up",
    "burst",
    "sustained",
)


def test_every_seed_test_type_has_a_valid_preset() -> None:
    for name in SEED_TEST_TYPES:
        p = build_profile(preset_config(name), f"preset {name}")
        assert p.planned_s > 0, name
        assert PRESETS[name].purpose


def test_quick_is_seed_004s_1000_messages_at_50_concurrent() -> None:
    p = build_profile(preset_config("quick"))
    assert (p.shared_iterations, p.peak_vus) == (1000, 50)  # type: ignore[attr-defined]


def test_spike_jumps_and_drops() -> None:
    p = build_profile(preset_config("spike"))
    vus = [p.vus_at(t) for t in (5, 11, 13, 40, 44.5, 50)]  # type: ignore[attr-defined]
    assert vus[0] == 10 and vus[2] == 500 and vus[3] == 500 and vus[5] == 10 and vus[1] > 10


def test_unknown_preset_suggests_the_closest() -> None:
    with pytest.raises(BadInput, match="did you mean 'stress'"):
        preset_config("stres")


def o(**kw: Any) -> Overrides:
    return Overrides(**kw)


@pytest.mark.parametrize(
    ("base", "overrides", "expect"),
    [
        ("quick", o(vus=10), {"profile": "shared-iterations", "vus": 10, "iterations": 1000}),
        ("quick", o(iterations=50), {"profile": "shared-iterations", "vus": 50, "iterations": 50}),
        ("smoke", o(duration_s=2.0), {"profile": "constant-vus", "vus": 1, "duration": 2.0}),
        ("smoke", o(rate=200.0), {"profile": "constant-rate", "rate": 200.0, "duration": 5, "max_vus": 100}),
        ("sustained", o(vus=5), {"profile": "constant-rate", "rate": 10, "max_vus": 5}),
        ("smoke", o(stages=("1s:5", "1s:0")), {"profile": "ramping-vus", "stages": ["1s:5", "1s:0"]}),
        ("sustained", o(stages=("1s:50",)), {"profile": "ramping-rate", "stages": ["1s:50"]}),
        ("sustained", o(iterations=30), {"profile": "shared-iterations", "iterations": 30}),
        ("smoke", o(stages=("1s:5vus", "1s:0VU")), {"profile": "ramping-vus", "stages": ["1s:5", "1s:0"]}),
        ("sustained", o(stages=("1s:50/s",)), {"profile": "ramping-rate", "stages": ["1s:50"]}),
        ("smoke", o(stages=("1s:50/s",), rate=1.0), {"profile": "ramping-rate", "stages": ["1s:50"]}),
    ],
)
def test_overrides(base: str, overrides: Overrides, expect: dict[str, Any]) -> None:
    cfg = apply_overrides(preset_config(base), overrides)
    for k, v in expect.items():
        assert cfg[k] == v, (k, cfg)
    build_profile(cfg)


def test_ramp_overrides_keep_the_shape() -> None:
    cfg = apply_overrides(preset_config("ramp-up"), o(vus=50, duration_s=6.0))
    p = build_profile(cfg)
    assert p.planned_s == pytest.approx(6.0) and p.peak_vus == 50
    assert p.vus_at(3.0) == 25  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (o(rate=10.0, iterations=5), "do not go together"),
        (o(stages=("1s:5",), duration_s=3.0), "the stages set the duration"),
    ],
)
def test_contradictory_overrides(overrides: Overrides, fragment: str) -> None:
    with pytest.raises(BadInput, match=fragment):
        apply_overrides(preset_config("smoke"), overrides)


@pytest.mark.parametrize(
    ("base", "overrides", "fragment"),
    [
        ("sustained", o(stages=("30s:100vus",)), "'30s:100vus' is in VUs, but the profile 'constant-rate' is "
         "a rate profile: its stages are in iterations/s (write 30s:100/s), or choose --profile ramping-vus"),
        ("smoke", o(stages=("30s:100/s",)), "is in iterations/s, but the profile 'constant-vus' is a VU "
         "profile: its stages are in VUs (write 30s:100vus)"),
        ("smoke", o(stages=("30s:100vus",), rate=5.0), "--rate makes the stages arrival rates"),
    ],
)  # fmt: skip
def test_stage_unit_that_contradicts_the_profile_family_is_bad_input(
    base: str, overrides: Overrides, fragment: str
) -> None:
    with pytest.raises(BadInput) as err:
        apply_overrides(preset_config(base), overrides)
    assert fragment in str(err.value)


def test_ramping_profiles_say_what_their_stages_count() -> None:
    rate = build_profile(apply_overrides(preset_config("sustained"), o(stages=("1s:50",))))
    vus = build_profile(apply_overrides(preset_config("smoke"), o(stages=("1s:5",))))
    assert rate.stage_unit == "iterations/s" and rate.describe()["stage_unit"] == "iterations/s"
    assert vus.stage_unit == "VUs" and vus.describe()["stage_unit"] == "VUs"
    assert "stage_unit" not in build_profile(preset_config("smoke")).describe()


def test_rate_with_stages_ramps_from_that_rate() -> None:
    cfg = apply_overrides({"profile": "constant-vus", "vus": 5}, Overrides(rate=50, stages=("2s:0/s",)))
    assert cfg["profile"] == "ramping-rate" and cfg["start_rate"] == 50
    profile: Any = build_profile(cfg)
    assert profile.rate_at(0.0) == 50 and profile.rate_at(1.0) == 25 and profile.rate_at(2.0) == 0


@pytest.mark.parametrize("rate", [1e12, float("inf"), 1e308])
def test_a_starting_rate_past_what_one_process_can_honour_is_refused(rate: float) -> None:
    cfg = apply_overrides({"profile": "constant-vus", "vus": 5}, Overrides(rate=rate, stages=("1s:10/s",)))
    with pytest.raises(BadInput):
        build_profile(cfg)
