"""The outputs of one run, driven together: started before the load, fed every interval, stopped at the
end. It is what the engine sees (one snapshot listener, the services, the outcome hook)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType

from loadpulse.engine.run import Service
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.outputs.contract import Finished, Interval, Output, RunInfo
from loadpulse.outputs.files import check_writable
from loadpulse.results.outcome import RunOutcome
from loadpulse.thresholds.threshold import Threshold
from loadpulse.thresholds.verdict import evaluate


class OutputSet:
    def __init__(
        self,
        outputs: Sequence[Output],
        thresholds: Sequence[Threshold] = (),
        finish: Callable[[RunOutcome], Finished] | None = None,
    ) -> None:
        self.outputs = list(outputs)
        self.thresholds = list(thresholds)
        self._finish = finish
        self.finished: Finished | None = None
        """Set once the outcome is known (by :meth:`on_outcome`)."""
        self._problems: list[str] = []

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def services(self) -> list[Service]:
        return [s for o in self.outputs for s in o.services]

    def check_files(self) -> None:
        """BadInput unless every file output can be written (and no two share a file)."""
        check_writable(o.target for o in self.outputs if o.target is not None)

    def start(self, run: RunInfo) -> None:
        """Before the load (after :meth:`check_files`): BadInput from an output is exit 2, nothing run."""
        for o in self.outputs:
            o.start(run)

    def listener(self, snap: Snapshot, row: SeriesRow, agg: Aggregate) -> str | None:
        """The engine's snapshot listener: thresholds evaluated once, every output fed; the first reason
        to abort wins."""
        interval = Interval(snap, row, agg, evaluate(self.thresholds, agg) if self.thresholds else ())
        reason = None
        for o in self.outputs:
            said = o.add(interval)
            reason = reason or said
        return reason

    def on_fault(self, name: str, kind: str, phase: str, t_s: float, detail: str = "") -> None:
        """The chaos timeline's hook: a fault started, ended or was recovered from (see
        :data:`loadpulse.outputs.contract.FAULT_PHASES`)."""
        for o in self.outputs:
            o.on_fault(name, kind, phase, t_s, detail)

    def on_drain(self, agg: Aggregate, waited_s: float) -> None:
        """The engine's drain hook: after the load, while a pipeline's last items are awaited."""
        for o in self.outputs:
            o.draining(agg, waited_s)

    def on_outcome(self, outcome: RunOutcome) -> None:
        """The engine's outcome hook, called while services still run: live outputs stop here."""
        assert self._finish is not None
        self.finished = self._finish(outcome)
        for o in self.outputs:
            if o.live:
                self._problems.extend(o.stop(self.finished))

    def stop(self, finished: Finished) -> list[str]:
        """Stop every output not stopped yet, in order; every problem, one line each."""
        for o in self.outputs:
            if not o.live or self.finished is None:
                self._problems.extend(o.stop(finished))
        return self._problems

    def close(self) -> None:
        for o in self.outputs:
            o.close()
