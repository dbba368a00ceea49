"""What a run says about its pipeline check: where tracked items show up and how long to wait for them.

Declared in a Python scenario (``pipeline = {"sink": "sql:…", "drain_timeout": "30s"}``) and on the command
line (``--sink``, ``--drain-timeout``, ``--stuck-after``). The sink specs stay as written here (strings
or the file's functions); the engine parses and opens them (``probes/sink_spec.py``), so a bad one is
still one line and exit 2 before the load.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.units import duration_value

DEFAULT_DRAIN_TIMEOUT_S = 30.0
DEFAULT_STUCK_AFTER_S = 60.0
_KEYS = ("sink", "sinks", "drain_timeout", "stuck_after", "workers")


@dataclass(frozen=True, slots=True)
class PipelineSpec:
    sinks: tuple[str | Callable[[], Any], ...]
    drain_timeout_s: float = DEFAULT_DRAIN_TIMEOUT_S
    """After the load, how long to wait for every sent item to arrive (part of the run's deadline)."""
    stuck_after_s: float = DEFAULT_STUCK_AFTER_S
    """An item seen in a non-final status and unchanged this long is stuck."""
    workers: int | None = None
    """How many workers should share the items, so one that got none counts against fairness."""
    origins: tuple[str, ...] = ()
    """Where each sink was given (``flows.yaml:3: pipeline.sink``, ``--sink``), for its messages; () is
    ``--sink`` for all."""

    def origin(self, i: int) -> str:
        return self.origins[i] if i < len(self.origins) else "--sink"


def pipeline_from_file(value: Any, path: str) -> PipelineSpec | None:
    """The ``pipeline`` mapping of a scenario file, checked (None when the file declares none)."""
    if value is None:
        return None
    where = f"{path}: pipeline"
    if not isinstance(value, Mapping):
        raise BadInput(f"{where} must be a mapping like {{'sink': 'sql:sqlite:///db#SELECT id FROM t'}}")
    unknown = [k for k in value if k not in _KEYS]
    if unknown:
        raise BadInput(f"{where}: unknown key {unknown[0]!r}; use {', '.join(_KEYS)}")
    sinks = value.get("sinks", [])
    if "sink" in value:
        sinks = [value["sink"], *sinks]
    if isinstance(sinks, str) or callable(sinks):
        sinks = [sinks]
    if not isinstance(sinks, list | tuple) or not sinks:
        raise BadInput(f"{where} needs a 'sink' (a spec string like 'sql:URL#QUERY', or a function)")
    for sink in sinks:
        if not (isinstance(sink, str) or callable(sink)):
            raise BadInput(f"{where}: a sink is a spec string or a function, not {sink!r}")
    workers = value.get("workers")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise BadInput(f"{where}.workers must be a whole number of workers, at least 1, not {workers!r}")
    return PipelineSpec(
        tuple(sinks),
        duration_value(value.get("drain_timeout", DEFAULT_DRAIN_TIMEOUT_S), f"{where}.drain_timeout"),
        duration_value(value.get("stuck_after", DEFAULT_STUCK_AFTER_S), f"{where}.stuck_after"),
        workers,
        tuple(f"{where}.sink" for _ in sinks),
    )


def with_command_line(
    spec: PipelineSpec | None,
    sinks: tuple[str, ...],
    drain_timeout_s: float | None,
    stuck_after_s: float | None,
) -> PipelineSpec | None:
    """The file's pipeline with ``--sink`` added and ``--drain-timeout`` / ``--stuck-after`` applied."""
    if spec is None and not sinks:
        if drain_timeout_s is not None or stuck_after_s is not None:
            raise BadInput(
                "--drain-timeout and --stuck-after need a sink: give --sink or pipeline in the file"
            )
        return None
    base = spec or PipelineSpec(())
    return PipelineSpec(
        (*base.sinks, *sinks),
        base.drain_timeout_s if drain_timeout_s is None else drain_timeout_s,
        base.stuck_after_s if stuck_after_s is None else stuck_after_s,
        base.workers,
        (*(base.origin(i) for i in range(len(base.sinks))), *("--sink" for _ in sinks)),
    )
