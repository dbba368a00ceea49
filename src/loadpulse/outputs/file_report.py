"""A report written to a file (or stdout for ``-``) from a finished run's results: one output per format."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from loadpulse.outputs.contract import Finished, Output, OutputParams
from loadpulse.outputs.files import OutputBatch
from loadpulse.results.document import Results


class FileReport(Output):
    def __init__(self, flag: str, path: str, render: Callable[[Results], bytes]) -> None:
        self.flag = flag
        self.path = path
        self.render = render
        self.target = (flag, path)

    @classmethod
    def asked(
        cls, params: OutputParams, option: str, flag: str, render: Callable[[Results], bytes]
    ) -> FileReport | None:
        """The report when the command's ``option`` (the flag ``flag``) names a path, else None."""
        path = params.flag(option)
        return None if path is None else cls(flag, path, render)

    def stop(self, finished: Finished) -> Sequence[str]:
        batch = OutputBatch()
        batch.write(self.flag, self.path, lambda: self.render(finished.results))
        return batch.failures
