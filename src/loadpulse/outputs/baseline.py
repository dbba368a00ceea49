"""``--baseline REF``: after the run, the comparison with an earlier run (from the history or a results
file) printed for people. The baseline is found before the load: a wrong reference is bad input, not a
finding after a 10-minute run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from loadpulse.errors import BadInput
from loadpulse.outputs.contract import Finished, Output, OutputParams, RunInfo
from loadpulse.results.document import Results
from loadpulse.results.file import read_results


class BaselineComparison(Output):
    def __init__(
        self, ref: str, history: bool, store_url: str | None, name: str | None, console: Console
    ) -> None:
        self.ref = ref
        self.history = history
        self.store_url = store_url
        self.name = name
        self.console = console
        self.baseline: Results | None = None

    def start(self, run: RunInfo) -> None:
        if Path(self.ref).exists() or self.ref.endswith((".json", ".json.gz")):
            self.baseline = read_results(self.ref)
            return
        if not self.history:
            raise BadInput("--baseline needs the run history (drop --no-history) or a results file")
        # SQLAlchemy is imported only when a baseline comes from the history.
        from loadpulse.store.history import RunStore

        self.baseline = RunStore(self.store_url).open().load(self.ref, self.name)

    def stop(self, finished: Finished) -> Sequence[str]:
        from loadpulse.outputs.comparison import print_comparison
        from loadpulse.store.compare import compare

        assert self.baseline is not None
        deltas = compare(self.baseline, finished.results)
        print_comparison(self.console, self.baseline.run_id, finished.results.run_id, deltas)
        return ()


def create(params: OutputParams) -> BaselineComparison | None:
    ref = params.flag("baseline")
    if params.run is None or ref is None:
        return None
    history = not params.flag("no_history", False)
    return BaselineComparison(ref, history, params.flag("store"), params.flag("run_name"), params.human)
