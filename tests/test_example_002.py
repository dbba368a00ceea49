"""examples/002_sqlite_batching (seed 002) at smoke scale: writers and readers straight against SQLite
through ctx.timed and ctx.call, the guide's flags as --env values, its targets as thresholds."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import CliResult

FOLDER = Path(__file__).resolve().parent.parent / "examples" / "002_sqlite_batching"
SCENARIO = FOLDER / "scenario.py"


def scenario_module() -> ModuleType:
    sys.path.insert(0, str(FOLDER))
    try:
        spec = importlib.util.spec_from_file_location("example_002_scenario", SCENARIO)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(FOLDER))


@pytest.mark.parametrize(("writers", "readers"), [(10, 5), (20, 10), (100, 30), (1, 0), (0, 3), (2, 1)])
def test_vus_split_into_exactly_the_guides_writers_and_readers(writers: int, readers: int) -> None:
    is_writer = scenario_module().is_writer
    roles = [is_writer(vu, writers, readers) for vu in range(1, writers + readers + 1)]
    assert roles.count(True) == writers and roles.count(False) == readers


def test_smoke_run_evaluates_the_guides_targets(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    db = tmp_path / "loadtest.db"
    js = tmp_path / "s.json"
    r = cli(
        "run", str(SCENARIO), "-d", "2s", "--vus", "3", "--no-history", "--quiet", "--json", str(js),
        "-e", "writers=2", "-e", "readers=1", "-e", "batch_size=20", "-e", "batch_timeout=5ms",
        "-e", f"db={db}",
    )  # fmt: skip
    s = json.loads(js.read_text())
    by = {t["metric"]: t for t in s["thresholds"]}
    assert set(by) == {
        "requests{name=write}.rate",
        "http{name=write}.p95",
        "http{name=write}.p99",
        "probe.store.queue_utilization.max",
        "errors.rate",
    }
    assert all(t["actual"] is not None for t in s["thresholds"]), s["thresholds"]
    assert by["errors.rate"]["verdict"] == "PASS" and by["errors.rate"]["actual"] == 0
    assert r.code == (1 if s["verdict"] == "FAIL" else 0), r.err
    write, read = s["by_name"]["write"], s["by_name"]["read"]
    assert write["requests"]["ok"] > 0 and read["requests"]["ok"] > 0
    # Every acknowledged write is in the file, from the two writer VUs, in batches (a write cut off by
    # the end of the run may be committed without being acknowledged: at most one per writer).
    ok = write["requests"]["ok"]
    with sqlite3.connect(db) as con:
        rows, writers = con.execute("SELECT count(*), count(DISTINCT writer) FROM logs").fetchone()
    assert ok <= rows <= ok + 2 and writers == 2
    store = s["probes"]
    assert ok <= store["store.rows"]["last"] <= rows and 0 < store["store.batches"]["last"] <= rows


def test_default_database_lives_in_a_temp_dir_and_is_removed(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = sorted(p.name for p in FOLDER.iterdir())
    r = cli("run", str(SCENARIO), "-d", "1s", "--vus", "2", "--no-history", "--quiet")
    assert r.code in (0, 1), r.err
    assert sorted(p.name for p in FOLDER.iterdir() if p.name != "__pycache__") == [
        n for n in before if n != "__pycache__"
    ]
    assert not list(tmp_path.glob("loadpulse-002-*"))  # made for the run, removed by teardown()


def test_a_bad_env_value_is_one_line_and_exit_2(cli: Callable[..., CliResult]) -> None:
    r = cli("run", str(SCENARIO), "-d", "1s", "--no-history", "--quiet", "-e", "writers=many")
    assert r.code == 2 and "--env writers='many' is not a whole number" in r.err
