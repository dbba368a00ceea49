"""The run history as an output (on unless ``--no-history``): the store is opened and proved writable
before the load, and the run's results are saved as one row once it is over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from loadpulse.errors import BadInput
from loadpulse.outputs.contract import Finished, Output, OutputParams, RunInfo

if TYPE_CHECKING:
    from loadpulse.store.history import RunStore


class HistoryRow(Output):
    def __init__(
        self, url: str | None, name: str | None, tags: Sequence[str], announce: Console | None
    ) -> None:
        self.url = url
        self.name = name
        self.tags = tuple(tags)
        self.announce = announce
        self.store: RunStore | None = None

    def start(self, run: RunInfo) -> None:
        # SQLAlchemy is imported only when the history is on.
        from loadpulse.store.history import RunStore

        self.store = RunStore(self.url).open(writable=True)

    def stop(self, finished: Finished) -> Sequence[str]:
        from loadpulse.store.history import git_commit

        assert self.store is not None
        results = finished.results
        try:
            self.store.save(results, self.name, self.tags, git_commit())
        except BadInput as exc:
            # The run's own files are written all the same: the store failing is reported, never lost work.
            return [f"{exc} (the run's files and summary were written)"]
        if self.announce is not None:
            self.announce.print(f"saved as run {results.run_id} in {self.store.where}", highlight=False)
        return ()


def create(params: OutputParams) -> HistoryRow | None:
    if params.run is None or params.flag("no_history", True):
        return None
    announce = None if params.quiet else params.err
    return HistoryRow(params.flag("store"), params.flag("run_name"), params.flag("tag") or (), announce)
