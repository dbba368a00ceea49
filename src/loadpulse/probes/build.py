"""Probes declared on the command line (``--probe NAME=KIND:TARGET``) and in scenario files, as a sampler."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from loadpulse.errors import BadInput
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.probes.sources import CallableSource, ProbeError, Source, make_source
from loadpulse.probes.spec import parse_probe

if TYPE_CHECKING:
    from loadpulse.thresholds.threshold import Threshold


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


def check_probe_thresholds(thresholds: Iterable[Threshold], sampler: ProbeSampler | None) -> None:
    """BadInput for the first threshold naming a probe series that no declared probe produces
    (``probe.qeue.max`` when the probe is ``queue``), with the closest name: found before the load, not
    as a FAIL with no data after it."""
    from loadpulse.profiles.registry import did_you_mean

    exact: set[str] = set()
    prefixes: set[str] = set()
    for s in sampler.sources if sampler is not None else []:
        series = s.series()
        if series is None:  # a callable: its own name, or NAME.KEY for each key of the mapping it returns
            exact.add(s.name)
            prefixes.add(s.name + ".")
        else:
            exact.update(series)
    for o in thresholds:
        if o.metric.source != "probe":
            continue
        name = o.metric.subject or ""
        if name in exact or any(name.startswith(p) for p in prefixes):
            continue
        if not exact:
            raise BadInput(
                f"threshold {o.expression!r}: no probe is declared; add --probe {name}=KIND:TARGET "
                "or a probes: entry in the scenario file"
            )
        raise BadInput(
            f"threshold {o.expression!r}: no probe series {name!r}{did_you_mean(name, sorted(exact))}"
        )
