"""Profiles by name, built from plain mappings (CLI, YAML, Python scenario files) with one-line errors."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from loadpulse.errors import BadInput
from loadpulse.profiles.base import ProfileConfig
from loadpulse.profiles.constant_rate import ConstantRate
from loadpulse.profiles.constant_vus import ConstantVus
from loadpulse.profiles.iterations import PerVuIterations, SharedIterations
from loadpulse.profiles.ramping_rate import RampingRate
from loadpulse.profiles.ramping_vus import RampingVus

PROFILES: dict[str, type[ProfileConfig]] = {
    cls.name: cls
    for cls in (ConstantVus, RampingVus, ConstantRate, RampingRate, SharedIterations, PerVuIterations)
}


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; choose one of {', '.join(choices)}"


def format_loc(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a path: ('scenarios', 1, 'method') -> 'scenarios[1].method'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_message(exc: ValidationError, where: str) -> str:
    """The most telling error as one line. An unknown key comes first (it is usually a typo of a key
    reported missing beside it, which is then suggested)."""
    errors = exc.errors()
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    err = extra[0] if extra else errors[0]
    path = format_loc(tuple(err["loc"]))
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        parent, key = tuple(err["loc"][:-1]), str(err["loc"][-1])
        missing = [
            str(e["loc"][-1]) for e in errors if e["type"] == "missing" and tuple(e["loc"][:-1]) == parent
        ]
        close = difflib.get_close_matches(key, missing, n=1, cutoff=0.5)
        msg = f"unknown key; did you mean {close[0]!r}?" if close else "unknown key"
    full = f"{where}.{path}" if where and path else (where or path)
    return f"{full}: {msg}" if full else msg


def profile_class(name: str, where: str = "profile") -> type[ProfileConfig]:
    cls = PROFILES.get(name)
    if cls is None:
        raise BadInput(f"{where}: unknown profile {name!r}{did_you_mean(name, list(PROFILES))}")
    return cls


def build_profile(config: Mapping[str, Any], where: str = "profile") -> ProfileConfig:
    """``{"profile": NAME, **params}`` validated into that profile's config."""
    params = dict(config)
    name = params.pop("profile", None)
    if not isinstance(name, str):
        raise BadInput(f"{where}: says no 'profile' name; choose one of {', '.join(PROFILES)}")
    cls = profile_class(name, f"{where}.profile")
    try:
        return cls(**params)
    except ValidationError as exc:
        raise BadInput(validation_message(exc, where)) from None
