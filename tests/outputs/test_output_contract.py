"""The output contract end to end: an output registered by name sees a real run (start, every interval,
stop), and `loadpulse report` regenerates every report format from a saved results file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from loadpulse.outputs import registry
from loadpulse.outputs.contract import Finished, Interval, Output, OutputParams, RunInfo
from tests.conftest import CliResult


class Recording(Output):
    """Keeps every call, in order."""

    instances: list[Recording] = []  # noqa: RUF012 - shared with the test by design

    def __init__(self, params: OutputParams) -> None:
        self.params = params
        self.calls: list[str] = []
        self.intervals: list[Interval] = []
        self.started: RunInfo | None = None
        self.finished: Finished | None = None
        Recording.instances.append(self)

    def start(self, run: RunInfo) -> None:
        self.calls.append("start")
        self.started = run

    def add(self, interval: Interval) -> str | None:
        self.calls.append("add")
        self.intervals.append(interval)
        return None

    def stop(self, finished: Finished) -> Sequence[str]:
        self.calls.append("stop")
        self.finished = finished
        return ()

    def close(self) -> None:
        self.calls.append("close")


def create(params: OutputParams) -> Recording:
    return Recording(params)


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> list[Recording]:
    Recording.instances.clear()
    monkeypatch.setitem(registry.OUTPUTS, "recording", f"{__name__}:create")
    return Recording.instances


def test_a_registered_output_receives_start_every_interval_and_stop(
    cli: Callable[..., CliResult], demo_url: str, recording: list[Recording], tmp_path: Path
) -> None:
    result = cli("http", f"{demo_url}/health", "-d", "2.5s", "-c", "2", "--no-history", "-q",
                 "--threshold", "p99 < 10s", "--json", str(tmp_path / "s.json"))  # fmt: skip
    assert result.code == 0, result
    [out] = recording
    assert out.calls[0] == "start" and out.calls[-2:] == ["stop", "close"]
    assert set(out.calls[1:-2]) == {"add"}
    assert out.started is not None and out.started.title == f"{demo_url}/health"
    # Every interval, in order: the run's series is exactly the rows the output was given.
    assert out.finished is not None and out.finished.outcome is not None
    series = out.finished.results.series
    assert len(out.intervals) == len(series) >= 2
    assert [i.row for i in out.intervals] == series
    assert sum(i.row.requests for i in out.intervals) == out.finished.summary["requests"]["total"]
    assert len({id(i.snapshot) for i in out.intervals}) == len(out.intervals)  # one snapshot each
    # The thresholds are evaluated once per interval and handed to every output.
    assert all([v.threshold.expression for v in i.verdicts] == ["p99 < 10s"] for i in out.intervals)
    assert out.finished.summary == json.loads((tmp_path / "s.json").read_text())


def test_an_output_that_is_not_asked_for_is_not_built(
    cli: Callable[..., CliResult], demo_url: str, recording: list[Recording]
) -> None:
    result = cli("http", f"{demo_url}/health", "-n", "5", "-c", "1", "--no-history", "-q")
    assert result.code == 0, result
    [out] = recording  # the fake is always asked for; the real ones were not: no files, no services
    assert out.params.flag("html") is None and not out.services


def test_report_regenerates_every_format_from_a_results_file(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    results = tmp_path / "run.json.gz"
    first = {f: tmp_path / f"first.{f}" for f in ("json", "html", "csv", "junit", "markdown")}
    run = cli("http", f"{demo_url}/health", "-n", "20", "-c", "2", "--no-history", "-q",
              "--threshold", "p95 < 10s", "--out", str(results),
              *(arg for f, p in first.items() for arg in (f"--{f}", str(p))))  # fmt: skip
    assert run.code == 0, run
    again = {f: tmp_path / f"again.{f}" for f in first}
    report = cli("report", str(results), *(arg for f, p in again.items() for arg in (f"--{f}", str(p))))
    assert report.code == 0, report
    for f in first:
        assert again[f].read_bytes() == first[f].read_bytes(), f


def test_report_with_nothing_to_write_says_what_it_can_write(cli: Callable[..., CliResult]) -> None:
    result = cli("report", "last")
    assert result.code == 2
    assert "--junit PATH" in result.err and "--markdown PATH" in result.err


def test_building_a_runs_outputs_imports_no_optional_server_or_database() -> None:
    """The registry imports an output's module only to build it, and a module imports its heavy
    dependencies (starlette, uvicorn, prometheus-client, SQLAlchemy) only when it starts."""
    code = """
import sys
from rich.console import Console
from loadpulse.outputs.contract import OutputParams, RunInfo
from loadpulse.outputs.registry import build_outputs
flags = {"dashboard": 0, "prometheus": 0, "no_history": False, "json_out": "s.json", "html": "r.html"}
built = build_outputs(OutputParams(flags, Console(), Console(), RunInfo("t", 1.0)))
heavy = sorted(m for m in ("starlette", "uvicorn", "prometheus_client", "sqlalchemy") if m in sys.modules)
print(len(built), heavy)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split(maxsplit=1) == ["7", "[]\n"], done.stdout
