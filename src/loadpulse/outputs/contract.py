"""The one contract every output of a run follows: start, add an interval, stop (k6's ``output/types.go``).

Consumers of a run's stream are all outputs: the abort-on-fail watch over the thresholds, the live ones
(progress line, dashboard, Prometheus endpoint) and the reports (console summary, Summary JSON, results
file, HTML, CSV, JUnit, Markdown, the history row, the comparison with a baseline). Each is built by name
from :mod:`loadpulse.outputs.registry`; adding a format is one module with a ``create`` function and one
line in that table.

Lifecycle, driven by :class:`loadpulse.outputs.output_set.OutputSet`:

- ``create(params)`` (the module's factory): cheap, no I/O; None when the command did not ask for it.
- :meth:`Output.start`: before any load is sent. A BadInput here (a port in use, a history store that
  cannot be written, a baseline not found) is exit 2 with nothing run.
- :meth:`Output.add`: every interval (1/s), on the event loop: keep it short.
- :meth:`Output.on_fault`: when a chaos fault starts, ends or the run recovers from it (issue 13).
- :meth:`Output.stop`: once the run is over, with its results. A ``live`` output is stopped as soon as the
  outcome is known, while the run's services still serve (the dashboard shows the final summary during its
  linger); the others after the run, in registry order. Problems are returned as lines, never raised:
  one output failing never costs the others or the history row.
- :meth:`Output.close`: always, last, even when the run raised.

``loadpulse report`` drives the same outputs from a saved results file: ``params.run`` is None then, and
only outputs that work from :class:`~loadpulse.results.document.Results` alone take part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Console

from loadpulse.engine.run import Service
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.results.document import Results
from loadpulse.results.outcome import RunOutcome
from loadpulse.thresholds.threshold import Threshold
from loadpulse.thresholds.verdict import ThresholdResult


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a run is about to do, for outputs that show it while it goes."""

    title: str
    """The URL or scenario file, secrets redacted."""
    planned_s: float | None
    planned_requests: int | None = None
    planned_iterations: int | None = None


@dataclass(frozen=True, slots=True)
class OutputParams:
    """What an output is built from: the command's flags and what the run shares."""

    flags: Mapping[str, Any]
    """The command's options by parameter name (``html``, ``json_out``, ``dashboard`` ...); an option the
    command does not have reads as absent (see :meth:`flag`)."""
    human: Console
    """Where people read the result (stderr when the Summary JSON goes to stdout)."""
    err: Console
    run: RunInfo | None = None
    """None when regenerating reports from a saved results file (``loadpulse report``)."""
    thresholds: Sequence[Threshold] = ()
    secrets: tuple[str, ...] = ()
    """Values every output replaces with [redacted]."""

    def flag(self, name: str, default: Any = None) -> Any:
        return self.flags.get(name, default)

    @property
    def quiet(self) -> bool:
        return bool(self.flag("quiet", False))


@dataclass(frozen=True, slots=True)
class Interval:
    """One interval of a run: its snapshot, its row in the series, the aggregate so far, and every
    threshold evaluated on that aggregate (once, for all outputs)."""

    snapshot: Snapshot
    row: SeriesRow
    aggregate: Aggregate
    verdicts: Sequence[ThresholdResult] = ()


@dataclass(frozen=True, slots=True)
class Finished:
    """A finished run as reports see it: its results (summary included), secrets redacted, and the
    outcome when the run just happened (None when regenerating from a saved file)."""

    results: Results
    outcome: RunOutcome | None = None

    @property
    def summary(self) -> dict[str, Any]:
        return self.results.summary


FAULT_PHASES = ("start", "end", "recovered", "warning")
"""What :meth:`Output.on_fault` reports: a fault began; it ended (a kill ends when it starts: ``end``
follows ``start`` at the same ``t_s``); the run's objectives held again after it (``t_s`` is when: the
recovery time is ``t_s`` less the end's); something about it to say (``detail``: a kill that matched no
process, a restart command that failed)."""


class Output:
    """Base of every output: each step does nothing unless overridden."""

    live: ClassVar[bool] = False
    """Shows the run while it goes: stopped as soon as the outcome is known, while services still run."""
    services: Sequence[Service] = ()
    """Servers that live inside the run's event loop (dashboard, Prometheus endpoint), set by start."""
    target: tuple[str, str | None] | None = None
    """(flag, path) of a file output: every path is checked together before the load (one file per
    output, folders exist and take a new file)."""

    def start(self, run: RunInfo) -> None:
        """Before the load; BadInput here is exit 2 with nothing run."""

    def add(self, interval: Interval) -> str | None:
        """Every interval. Returns a reason to stop the run (ended_by 'aborted'), or None."""
        return None

    def draining(self, aggregate: Aggregate, waited_s: float) -> None:
        """Every interval after the load while a pipeline's last items are awaited (its backlog)."""

    def on_fault(self, name: str, kind: str, phase: str, t_s: float, detail: str = "") -> None:
        """A fault on the run's timeline (chaos) changed: ``phase`` is one of :data:`FAULT_PHASES`,
        ``t_s`` seconds from the load's start, ``kind`` the Summary JSON's (proxy, kill, pause, run).
        Called on the event loop whenever it happens, between intervals: keep it short."""

    def stop(self, finished: Finished) -> Sequence[str]:
        """Once the run is over. Returns what could not be done, one line each (exit 2 afterwards)."""
        return ()

    def close(self) -> None:
        """Always called last, even when the run raised: release what start took."""
