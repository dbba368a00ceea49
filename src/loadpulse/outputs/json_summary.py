"""``--json PATH``: the Summary JSON v1 (docs/summary-json.md), indented; ``-`` writes it to stdout."""

from __future__ import annotations

from loadpulse.outputs.contract import OutputParams
from loadpulse.outputs.file_report import FileReport
from loadpulse.outputs.files import summary_json


def create(params: OutputParams) -> FileReport | None:
    return FileReport.asked(params, "json_out", "--json", lambda r: summary_json(r.summary).encode())
