"""Results files from anywhere: size capped before decompression ends, the whole schema validated, and
``report`` / ``show`` / ``compare`` print one line and exit 2, never a traceback (issue 10, item 7)."""

from __future__ import annotations

import copy
import gzip
import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.outputs.files import write_results
from loadpulse.results.file import read_results
from loadpulse.store.history import RunStore
from tests.conftest import CliResult
from tests.results.results_factory import synthetic_results


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    return synthetic_results(seconds=3, error_share=0.1).to_dict()


def broken(good: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> bytes:
    doc = copy.deepcopy(good)
    change(doc)
    return json.dumps(doc).encode()  # json writes NaN as NaN, as a careless writer would


def assert_one_line_exit_2(cli: Callable[..., CliResult], path: Path, fragment: str, tmp_path: Path) -> None:
    for args in (
        ("report", str(path), "--html", str(tmp_path / "x.html")),
        ("show", str(path)),
        ("compare", str(path), str(path)),
    ):
        r = cli(*args)
        assert r.code == 2, (args, r.err)
        assert fragment in r.err and len(r.err.strip().splitlines()) == 1, (args, r.err)
        assert "Traceback" not in r.err
    assert not (tmp_path / "x.html").exists()


def test_a_gzip_bomb_is_refused_at_the_cap_without_expanding_it(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b'{"schema": "loadpulse.results/1", "pad": "' + b"0" * (32 << 20) + b'"}'))
    assert bomb.stat().st_size < 100_000
    start = time.monotonic()
    with pytest.raises(BadInput, match="larger than 1 MiB once decompressed"):
        read_results(bomb, max_bytes=1 << 20)
    assert time.monotonic() - start < 1
    monkeypatch.setenv("LOADPULSE_RESULTS_MAX_MB", "1")
    assert_one_line_exit_2(cli, bomb, "larger than 1 MiB once decompressed", tmp_path)


def test_a_plain_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048 + b"{}")
    with pytest.raises(BadInput, match="larger than"):
        read_results(big, max_bytes=1024)


def test_a_bad_cap_setting_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOADPULSE_RESULTS_MAX_MB", "lots")
    with pytest.raises(BadInput, match="LOADPULSE_RESULTS_MAX_MB 'lots' is not a number"):
        read_results(tmp_path / "any.json")


def test_deep_nesting_is_one_line_not_a_recursion_error(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    assert_one_line_exit_2(cli, deep, "nested too deeply", tmp_path)
    inside = tmp_path / "inside.json.gz"
    inside.write_bytes(
        gzip.compress(
            b'{"schema": "loadpulse.results/1", "settings": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        )
    )
    with pytest.raises(BadInput, match="nested too deeply"):
        read_results(inside)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def _extra_bucket(doc: dict[str, Any]) -> None:
    doc["histograms"]["total"]["latency"]["n"].append(5)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (_set("series.1.requests", 1e30), "series.1.requests: Input should be a valid integer"),
        (_set("histograms.total.requests", 10**30), "histograms.total.requests: Input should be less than"),
        (_set("summary.duration_s", float("nan")), "summary.duration_s: Input should be a finite number"),
        (_set("series.0.rate", float("inf")), "series.0.rate: Input should be a finite number"),
        (_extra_bucket, "bucket list has"),
        (_set("histograms.total.latency.total", 1), "not the total 1"),
        (
            _set("histograms.total.latency.idx.0", 10**9),
            "histograms.total.latency.idx.0: Input should be less",
        ),
        (_set("summary.run_id", 5), "summary.run_id: Input should be a valid string"),
        (_set("summary.requests", "many"), "summary.requests: Input should be a valid dictionary"),
        (_set("summary.verdict", "GREAT"), "summary.verdict: Input should be 'PASS'"),
        (_set("series", {"0": 1}), "series: Input should be a valid list"),
        (_set("histograms.total.statuses", {"abc": 1}), "status code 'abc' is not a number"),
        (_set("histograms.total.errors", {"reset": -1}), "histograms.total.errors.reset"),
        (_set("metrics", {"m": {"kind": "gauge"}}), "metrics.m.kind"),
        (_set("metrics", {"m": {"kind": "rate", "true": 5, "total": 2}}), "rate metric has 5 true of 2"),
        (_set("summary.thresholds", [{"expression": "p95 < 1s"}]), "summary.thresholds.0"),
    ],
    ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", "change"),
)
def test_schema_violations_are_named_by_their_path(
    cli: Callable[..., CliResult],
    tmp_path: Path,
    good: dict[str, Any],
    change: Callable[[dict[str, Any]], None],
    fragment: str,
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(broken(good, change))
    with pytest.raises(BadInput, match="is not a valid results file") as info:
        read_results(path)
    assert fragment in str(info.value)
    assert_one_line_exit_2(cli, path, fragment, tmp_path)


def test_every_file_loadpulse_writes_passes_the_check(tmp_path: Path) -> None:
    for name in ("r.json", "r.json.gz"):
        write_results(synthetic_results(seconds=4, error_share=0.2), tmp_path / name)
        assert read_results(tmp_path / name).total.requests > 0


def test_a_corrupt_history_row_is_one_line(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    store = RunStore(f"sqlite:///{db}").open()
    store.save(synthetic_results(seconds=2, run_id="20261123T000000Z-aaaaaa"), None, [], None)
    bomb = gzip.compress(b"[" * 200_000)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE loadpulse_runs SET results = ?", (bomb,))
    r = cli("show", "20261123T000000Z-aaaaaa", "--store", f"sqlite:///{db}")
    assert r.code == 2 and "nested too deeply" in r.err and len(r.err.strip().splitlines()) == 1
