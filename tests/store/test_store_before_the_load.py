"""The history store is proven writable and ours before a run's load (issue 10, item 18), and a run that
did not run its course is filed as INTERRUPTED / ABORTED, never as a PASS (item 5)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from loadpulse.cli.history import history_table
from loadpulse.errors import BadInput
from loadpulse.store.history import RunStore
from loadpulse.store.schema import SCHEMA_VERSION
from tests.conftest import CliResult
from tests.results.results_factory import synthetic_results

BLACKHOLE = "http://127.0.0.1:9/"


def sqlite_url(path: Path, **query: str) -> str:
    if not query:
        return f"sqlite:///{path}"
    return f"sqlite:///file:{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}&uri=true"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "h.sqlite"
    RunStore(sqlite_url(path)).open()
    return path


def test_a_read_only_database_is_refused_when_a_run_opens_it(db: Path) -> None:
    RunStore(sqlite_url(db, mode="ro")).open()  # reading (history, show) still works
    with pytest.raises(BadInput, match="opening failed: attempt to write a readonly database"):
        RunStore(sqlite_url(db, mode="ro")).open(writable=True)


def test_a_locked_database_is_refused_when_a_run_opens_it(db: Path) -> None:
    holder = sqlite3.connect(db)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(BadInput, match="database is locked"):
            RunStore(sqlite_url(db)).open(writable=True)
    finally:
        holder.rollback()
        holder.close()


def test_the_write_check_leaves_no_row(db: Path) -> None:
    RunStore(sqlite_url(db)).open(writable=True)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM loadpulse_runs").fetchone() == (0,)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(BadInput, match="opening failed: file is not a database"):
        RunStore(sqlite_url(path)).open(writable=True)


@pytest.mark.parametrize(
    ("ddl", "fragment"),
    [
        (
            ["CREATE TABLE loadpulse_runs (id INTEGER PRIMARY KEY, payload TEXT)"],
            "'loadpulse_runs' that loadpulse",
        ),
        (["CREATE TABLE loadpulse_meta (k TEXT, v TEXT)"], "'loadpulse_meta' that loadpulse did not create"),
        (
            [
                "CREATE TABLE loadpulse_meta (key TEXT PRIMARY KEY, value TEXT)",
                "INSERT INTO loadpulse_meta VALUES ('schema_version', 'v2-beta')",
            ],
            "schema version 'v2-beta' is not one loadpulse wrote",
        ),
    ],
)
def test_a_foreign_schema_is_refused_before_the_load(
    cli: Callable[..., CliResult], tmp_path: Path, ddl: list[str], fragment: str
) -> None:
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as conn:
        for statement in ddl:
            conn.execute(statement)
    with pytest.raises(BadInput, match=fragment):
        RunStore(sqlite_url(path)).open()
    start = time.monotonic()
    r = cli("http", BLACKHOLE, "-d", "30s", "--store", sqlite_url(path))
    assert r.code == 2 and fragment in r.err and len(r.err.strip().splitlines()) == 1
    assert time.monotonic() - start < 10 and r.out == ""  # refused before the 30 s load


def test_a_read_only_history_is_exit_2_before_the_load(cli: Callable[..., CliResult], db: Path) -> None:
    start = time.monotonic()
    r = cli("http", BLACKHOLE, "-d", "30s", "--store", sqlite_url(db, mode="ro"))
    assert r.code == 2 and "attempt to write a readonly database" in r.err
    assert len(r.err.strip().splitlines()) == 1 and time.monotonic() - start < 10 and r.out == ""


def test_a_version_2_database_gains_ended_by(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE loadpulse_runs DROP COLUMN ended_by")  # the state a v2 database is in
        conn.execute("UPDATE loadpulse_meta SET value = '2'")
    store = RunStore(sqlite_url(db)).open()
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM loadpulse_meta")).scalar_one() == str(SCHEMA_VERSION)
        assert "ended_by" in {row[1] for row in conn.execute(text("PRAGMA table_info(loadpulse_runs)"))}


# ---- INTERRUPTED / ABORTED ---------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    url = (
        sqlite_url(tmp_path / "s.sqlite")
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    s = RunStore(url).open(writable=True)
    with s.engine.begin() as conn:
        conn.execute(text("DELETE FROM loadpulse_runs"))
    yield s
    s.engine.dispose()


def test_interrupted_and_aborted_runs_are_never_listed_as_pass_nor_picked_as_best(store: RunStore) -> None:
    for minute, (run_id, ended_by, median) in enumerate(
        [("complete", "duration", 20.0), ("cut", "interrupted", 5.0), ("stopped", "aborted", 4.0)]
    ):
        r = synthetic_results(seconds=3, median_ms=median, run_id=run_id)
        r.summary["ended_by"] = ended_by
        r.summary["started_at"] = f"2026-11-23T10:0{minute}:00.000Z"
        store.save(r, None, [], None)
    rows = {row.run_id: row for row in store.list()}
    assert rows["cut"].verdict == "INTERRUPTED" and rows["cut"].ended_by == "interrupted"
    assert rows["stopped"].verdict == "ABORTED"
    assert rows["complete"].verdict == "NONE" and rows["complete"].ended_by == "duration"
    assert store.resolve("best") == "complete"  # the faster runs covered part of a run only


def test_history_never_cuts_a_run_id(store: RunStore) -> None:
    from io import StringIO

    from rich.console import Console

    long_id = "20261123T121409Z-a1b2c3"
    r = synthetic_results(seconds=2, run_id=long_id)
    r.summary["ended_by"] = "interrupted"
    store.save(r, "a-rather-long-run-name", ["nightly", "release-candidate"], None)
    for width in (60, 80, 120):
        out = StringIO()
        Console(file=out, width=width).print(history_table(store.list(), width))
        text_out = out.getvalue()
        assert long_id in text_out and "INTERRUPTED" in text_out, (width, text_out)
        assert "…" not in text_out
