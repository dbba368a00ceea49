"""Probes declared on the command line (``--probe NAME=KIND:TARGET``) and in scenario files, as a sampler."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.probes.sources import CallableSource, ProbeError, Source, make_source
from loadpulse.probes.spec import parse_probe


def build_sampler(
    specs: Iterable[str],
    declared: Mapping[str, Any] | None = None,
    warn: Callable[[str], None] | None = None,
) -> ProbeSampler | None:
    """``specs``: NAME=KIND:TARGET strings; ``declared``: a scenario file's ``probes`` mapping of names to
    spec strings (without the NAME=) or to callables. None when there is no probe at all."""
    sources: list[Source] = []
    names: set[str] = set()
    entries: list[tuple[str, Any]] = [(s, None) for s in specs]
    entries += [(name, value) for name, value in (declared or {}).items()]
    for key, value in entries:
        if value is None:
            spec = parse_probe(key)
            name = spec.name
        elif callable(value):
            name = key
        elif isinstance(value, str):
            spec = parse_probe(f"{key}={value}")
            name = spec.name
        else:
            raise BadInput(f"probe {key!r} must be a spec string like 'http:URL#$.path' or a function")
        if name in names:
            raise BadInput(f"probe {name!r} is declared twice")
        names.add(name)
        try:
            sources.append(CallableSource(name, value) if callable(value) else make_source(spec))
        except ProbeError as exc:
            raise BadInput(f"probe {name!r}: {exc}") from None
    if not sources:
        return None
    return ProbeSampler(sources, warn)
