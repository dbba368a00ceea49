"""``--out PATH``: the results file, from which every report can be regenerated (``loadpulse report``)."""

from __future__ import annotations

from loadpulse.outputs.contract import OutputParams
from loadpulse.outputs.file_report import FileReport
from loadpulse.results.file import results_bytes


def create(params: OutputParams) -> FileReport | None:
    path = params.flag("out_file")
    return None if path is None else FileReport("--out", path, lambda r: results_bytes(r, path))
