"""The results file: round trip, gzip, and every way a file can be wrong (exit 2, one line)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from loadpulse.errors import BadInput
from loadpulse.outputs.csv_export import series_csv
from loadpulse.outputs.files import write_results
from loadpulse.results.file import read_results
from tests.conftest import CliResult
from tests.results.results_factory import synthetic_results


@pytest.mark.parametrize("name", ["r.json", "r.json.gz"])
def test_round_trip_keeps_everything(tmp_path: Path, name: str) -> None:
    r = synthetic_results(seconds=5, error_share=0.1)
    write_results(r, tmp_path / name)
    if name.endswith(".gz"):
        assert (tmp_path / name).read_bytes()[:2] == b"\x1f\x8b"
    back = read_results(tmp_path / name)
    assert back.summary == json.loads(json.dumps(r.summary))
    assert len(back.series) == 5 and back.series[2] == r.series[2]
    assert back.total.latency.percentile(99) == r.total.latency.percentile(99)
    assert back.names["GET /"].errors == r.names["GET /"].errors
    assert back.settings["kind"] == "http"


def test_csv_has_one_row_per_interval_and_error_columns() -> None:
    text = series_csv(synthetic_results(seconds=4, error_share=0.2))
    lines = text.splitlines()
    assert lines[0].startswith("t_s,interval_s,requests,ok,failed,rate,p50_ms")
    assert lines[0].endswith("errors.http_5xx")
    assert len(lines) == 5
    assert int(lines[1].split(",")[-1]) > 0


def write(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'{"schema": "loadpulse.results/1", "summary": {', "truncated or corrupt"),
        (gzip.compress(b'{"schema": "loadpulse.results/1"}')[:-9], "truncated or corrupt"),
        (b"\x00\x01binary", "truncated or corrupt"),
        (b'{"schema": "loadpulse.results/7", "summary": {}}', "newer loadpulse (schema loadpulse.results/7)"),
        (b'{"schema": "loadpulse.summary/1"}', "not a loadpulse results file"),
        (b'{"schema": "loadpulse.results/1", "summary": {}}', "not a valid results file: summary.requests"),
        (b"[1, 2]", "not a loadpulse results file"),
    ],
)
def test_bad_results_files(cli: Callable[..., CliResult], tmp_path: Path, data: bytes, fragment: str) -> None:
    path = write(tmp_path, "bad.json", data)
    with pytest.raises(BadInput, match=None) as info:
        read_results(path)
    assert fragment in str(info.value)
    r = cli("report", path, "--html", str(tmp_path / "x.html"))
    assert r.code == 2 and fragment in r.err and len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_missing_results_file(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    r = cli("report", str(tmp_path / "nope.json"), "--html", str(tmp_path / "x.html"))
    assert r.code == 2 and "not found" in r.err


def test_report_needs_an_output(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    r = cli("report", "last")
    assert r.code == 2 and "--html PATH" in r.err
