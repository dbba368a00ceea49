"""The live progress line as an output: redrawn on every interval, gone once the run is over."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from loadpulse.live.progress import ProgressLine
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.outputs.contract import Finished, Interval, Output, OutputParams, RunInfo


class ProgressOutput(Output):
    live = True

    def __init__(self, console: Console) -> None:
        self.console = console
        self.line: ProgressLine | None = None

    def start(self, run: RunInfo) -> None:
        self.line = ProgressLine(self.console, run.planned_s, run.planned_requests, run.planned_iterations)
        self.line.__enter__()

    def add(self, interval: Interval) -> str | None:
        if self.line is not None:
            self.line.update(interval.snapshot, interval.row, interval.aggregate)
        return None

    def draining(self, aggregate: Aggregate, waited_s: float) -> None:
        if self.line is not None:
            self.line.draining(aggregate, waited_s)

    def stop(self, finished: Finished) -> Sequence[str]:
        self.close()
        return ()

    def close(self) -> None:
        if self.line is not None:
            self.line.__exit__(None, None, None)
            self.line = None


def create(params: OutputParams) -> ProgressOutput | None:
    if params.run is None or params.flag("no_progress", False) or params.quiet:
        return None
    return ProgressOutput(params.err)
