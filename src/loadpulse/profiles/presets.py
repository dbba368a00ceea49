"""Presets: a named load shape for each kind of test in the seed guides (pure data).

Each preset is a profile config; command-line overrides (:func:`apply_overrides`) change any value.
The table is rendered into docs/profiles.md and ``loadpulse run --help``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from loadpulse.errors import BadInput
from loadpulse.profiles.base import STAGE_UNITS, Stage, parse_stage, split_stage_unit
from loadpulse.profiles.registry import PROFILES, did_you_mean


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    purpose: str
    config: dict[str, Any]


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "smoke",
            "does the scenario work at all: 1 VU for 5 s",
            {"profile": "constant-vus", "vus": 1, "duration": 5},
        ),
        Preset(
            "quick",
            "1,000 iterations shared by 50 VUs (seed 004 --quick)",
            {"profile": "shared-iterations", "vus": 50, "iterations": 1000},
        ),
        Preset(
            "stress",
            "10,000 iterations shared by 200 VUs (seed 004 --stress)",
            {"profile": "shared-iterations", "vus": 200, "iterations": 10_000},
        ),
        Preset(
            "extreme",
            "50,000 iterations shared by 500 VUs (seed 004 --extreme)",
            {"profile": "shared-iterations", "vus": 500, "iterations": 50_000},
        ),
        Preset(
            "spike",
            "10 VUs, a sudden jump to 500 held 30 s, a drop back to 10 to watch recovery (seed 001)",
            {
                "profile": "ramping-vus",
                "start_vus": 10,
                "stages": ["10s:10", "2s:500", "30s:500", "2s:10", "20s:10"],
            },
        ),
        Preset(
            "soak",
            "20 VUs for 1 h: leaks, growth, slow degradation (seed 000)",
            {"profile": "constant-vus", "vus": 20, "duration": 3600},
        ),
        Preset(
            "endurance",
            "10,000 iterations, one every 50 ms (seed 001)",
            {"profile": "constant-rate", "rate": 20, "duration": 500, "max_vus": 200},
        ),
        Preset(
            "ramp-up",
            "0 -> 500 VUs over 60 s (seed 001 ramp-up template)",
            {"profile": "ramping-vus", "start_vus": 0, "stages": ["60s:500"]},
        ),
        Preset(
            "burst",
            "3 bursts of 5,000 iterations at 500/s with 20 s pauses between (seed 004)",
            {
                "profile": "ramping-rate",
                "start_rate": 500,
                "max_vus": 500,
                "stages": [
                    "10s:500",
                    "0s:0",
                    "20s:0",
                    "0s:500",
                    "10s:500",
                    "0s:0",
                    "20s:0",
                    "0s:500",
                    "10s:500",
                ],
            },
        ),
        Preset(
            "sustained",
            "1,000 iterations, one every 100 ms (seed 001)",
            {"profile": "constant-rate", "rate": 10, "duration": 100, "max_vus": 100},
        ),
    )
}


def preset_config(name: str) -> dict[str, Any]:
    preset = PRESETS.get(name)
    if preset is None:
        raise BadInput(f"unknown preset {name!r}{did_you_mean(name, list(PRESETS))}")
    return dict(preset.config)


@dataclass(frozen=True, slots=True)
class Overrides:
    """Values given on the command line; None means 'keep the profile's'."""

    vus: int | None = None
    rate: float | None = None
    duration_s: float | None = None
    iterations: int | None = None
    stages: tuple[str, ...] = ()
    max_vus: int | None = None

    @property
    def empty(self) -> bool:
        return self == Overrides()


def _peak_vus(config: dict[str, Any]) -> int:
    if config.get("profile") == "ramping-vus":
        targets = [
            float(parse_stage(s)["target"]) if isinstance(s, str) else float(s["target"])
            for s in config.get("stages", [])
        ]
        return int(max(targets, default=10)) or 10
    return int(config.get("vus") or config.get("max_vus") or 10)


def apply_overrides(config: dict[str, Any], o: Overrides) -> dict[str, Any]:
    """The profile config with the command line's values applied.

    Flags that do not fit the profile switch it to the nearest one that takes them: ``--rate`` makes a
    VU profile open (constant-rate, or ramping-rate with ``--stage``), ``--iterations`` makes an open or
    timed profile shared-iterations, ``--stage`` makes a constant profile ramping. A stage's TARGET is in
    the profile family's unit — VUs, or iterations/s for a rate profile or with ``--rate`` — and may say
    so (``30s:100vus``, ``30s:100/s``); a unit that contradicts the family is BadInput, never reread.
    """
    if o.empty:
        return dict(config)
    cfg = dict(config)
    name = cfg.get("profile")
    if name not in PROFILES:
        return cfg  # the registry reports it with the right location
    family = PROFILES[name].family
    keep: dict[str, Any] = {k: cfg[k] for k in ("start", "graceful_stop") if k in cfg}
    if o.rate is not None and o.iterations is not None:
        raise BadInput(
            "--rate and --iterations do not go together: give a rate and a duration, or iterations"
        )
    if o.stages:
        open_model = o.rate is not None or (family == "open" and o.vus is None)
        stages = _stages_in(o.stages, open_model, name, o.rate is not None)
        if open_model:
            # With --rate the ramp starts from that rate (it would otherwise be silently ignored).
            cfg = {"profile": "ramping-rate", "start_rate": o.rate or 0, "stages": stages, **keep}
            cfg["max_vus"] = o.max_vus or o.vus or config.get("max_vus", 100)
        else:
            cfg = {"profile": "ramping-vus", "start_vus": 0, "stages": stages, **keep}
        if o.duration_s is not None:
            raise BadInput("--duration and --stage do not go together: the stages set the duration")
        return cfg
    duration = o.duration_s
    if o.rate is not None:
        dur = duration or cfg.get("duration") or cfg.get("max_duration") or 30
        max_vus = o.max_vus or o.vus or cfg.get("max_vus") or max(_peak_vus(cfg), 100)
        return {"profile": "constant-rate", "rate": o.rate, "duration": dur, "max_vus": max_vus, **keep}
    if o.iterations is not None:
        vus = o.vus or (cfg.get("vus") if family == "closed" else None) or _peak_vus(cfg)
        out = {"profile": "shared-iterations", "vus": vus, "iterations": o.iterations, **keep}
        if name == "per-vu-iterations":
            out = {"profile": "per-vu-iterations", "vus": vus, "iterations": o.iterations, **keep}
        if duration is not None:
            out["max_duration"] = duration
        return out
    if name in ("ramping-vus", "ramping-rate"):
        if o.vus is not None or duration is not None:
            # Keep the ramp's shape, stretched to the new peak and length.
            cfg = dict(cfg)
            new_peak = o.vus if name == "ramping-vus" else None
            if new_peak is not None and cfg.get("start_vus"):
                cfg["start_vus"] = min(int(cfg["start_vus"]), new_peak)
            cfg["stages"] = _rescale(cfg.get("stages", []), new_peak, duration)
            if name == "ramping-rate" and o.vus is not None:
                cfg["max_vus"] = o.vus
        if o.max_vus is not None and name == "ramping-rate":
            cfg["max_vus"] = o.max_vus
        return cfg
    if o.vus is not None:
        cfg["max_vus" if family == "open" else "vus"] = o.vus
    if o.max_vus is not None and family == "open":
        cfg["max_vus"] = o.max_vus
    if duration is not None:
        cfg["max_duration" if name in ("shared-iterations", "per-vu-iterations") else "duration"] = duration
    return cfg


def _stages_in(stages: tuple[str, ...], open_model: bool, profile: str, by_rate: bool) -> list[str]:
    """The --stage values without their units, once every unit agrees with the model they will ramp."""
    want = "/s" if open_model else "vus"
    out = []
    for text in stages:
        stage, unit = split_stage_unit(text)
        if unit is not None and unit != want:
            family = "a rate profile" if open_model else "a VU profile"
            why = f"the profile {profile!r} is {family}"
            if by_rate:
                why = "--rate makes the stages arrival rates"
            other = "ramping-vus" if unit == "vus" else "ramping-rate"
            raise BadInput(
                f"--stage {text!r} is in {STAGE_UNITS[unit]}, but {why}: its stages are in "
                f"{STAGE_UNITS[want]} (write {stage}{want}), or choose --profile {other}"
            )
        out.append(stage)
    return out


def _rescale(stages: list[Any], peak: int | None, duration_s: float | None) -> list[dict[str, float]]:
    try:
        parsed = [Stage.model_validate(parse_stage(s)) for s in stages]
    except (ValueError, ValidationError) as exc:
        raise BadInput(f"stages: {exc}") from None
    total = sum(s.duration for s in parsed) or 1.0
    top = max((s.target for s in parsed), default=1.0) or 1.0
    k_t = duration_s / total if duration_s is not None else 1.0
    k_v = peak / top if peak is not None else 1.0
    return [{"duration": s.duration * k_t, "target": round(s.target * k_v, 6)} for s in parsed]
