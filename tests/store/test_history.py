"""The run history on SQLite and on a real PostgreSQL server: one code path, the same tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from loadpulse.errors import BadInput
from loadpulse.redaction import redact_url
from loadpulse.store.history import RunStore
from loadpulse.store.schema import SCHEMA_VERSION
from tests.results.results_factory import synthetic_results


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    if request.param == "sqlite":
        (tmp_path / "h").mkdir()
        url = f"sqlite:///{tmp_path / 'h' / 'history.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    s = RunStore(url).open()
    with s.engine.begin() as conn:
        conn.execute(text("DELETE FROM loadpulse_runs"))
    yield s
    s.engine.dispose()


def save(
    store: RunStore, run_id: str, median_ms: float, name: str | None, tags: list[str], minute: int
) -> None:
    r = synthetic_results(seconds=3, median_ms=median_ms, run_id=run_id)
    r.summary["started_at"] = f"2026-11-23T10:{minute:02d}:00.000Z"
    store.save(r, name, tags, "abc123")


def test_save_list_filter_and_resolve(store: RunStore) -> None:
    save(store, "20261123T1000-aaa", 10, "checkout", ["nightly"], 0)
    save(store, "20261123T1001-bbb", 5, "checkout", ["pr"], 1)
    save(store, "20261123T1002-ccc", 20, "search", ["nightly"], 2)
    assert [r.run_id for r in store.list()] == ["20261123T1002-ccc", "20261123T1001-bbb", "20261123T1000-aaa"]
    assert [r.run_id for r in store.list(name="checkout")] == ["20261123T1001-bbb", "20261123T1000-aaa"]
    assert [r.run_id for r in store.list(tag="nightly")] == ["20261123T1002-ccc", "20261123T1000-aaa"]
    row = store.list(limit=1)[0]
    assert row.git_commit == "abc123" and row.tags == ["nightly"] and row.requests > 1000
    assert store.resolve("last") == "20261123T1002-ccc"
    assert store.resolve("last", name="checkout") == "20261123T1001-bbb"
    assert store.resolve("best") == "20261123T1001-bbb"  # lowest p95
    assert store.resolve("tag:pr") == "20261123T1001-bbb"
    assert store.resolve("20261123T1000") == "20261123T1000-aaa"  # a unique prefix
    loaded = store.load("20261123T1000-aaa")
    assert loaded.summary["run_id"] == "20261123T1000-aaa" and loaded.total.latency.total > 1000


def test_unknown_and_ambiguous_ids_name_the_closest(store: RunStore) -> None:
    save(store, "20261123T1000-aaa", 10, None, [], 0)
    save(store, "20261123T1001-bbb", 10, None, [], 1)
    with pytest.raises(BadInput, match=r"no run '20261123T1000-aab'.*closest: 20261123T1000-aaa"):
        store.resolve("20261123T1000-aab")
    with pytest.raises(BadInput, match="is ambiguous"):
        store.resolve("20261123T10")
    with pytest.raises(BadInput, match="no run tagged 'nope'"):
        store.resolve("tag:nope")


def test_schema_is_versioned_and_a_newer_one_is_refused(store: RunStore) -> None:
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT value FROM loadpulse_meta")).scalar_one() == str(SCHEMA_VERSION)
        conn.execute(text(f"UPDATE loadpulse_meta SET value = '{SCHEMA_VERSION + 1}'"))
    try:
        with pytest.raises(BadInput, match="newer than this loadpulse"):
            RunStore(store.url).open()
    finally:
        with store.engine.begin() as conn:
            conn.execute(text(f"UPDATE loadpulse_meta SET value = '{SCHEMA_VERSION}'"))


def test_an_old_schema_upgrades_itself(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    url = f"sqlite:///{path}"
    RunStore(url).open()
    db = sqlite3.connect(path)
    db.execute("DROP INDEX ix_loadpulse_runs_name_started")  # the state a version-1 database is in
    db.execute("UPDATE loadpulse_meta SET value = '1'")
    db.commit()
    db.close()
    RunStore(url).open()
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM loadpulse_meta").fetchone() == (str(SCHEMA_VERSION),)
    assert db.execute(
        "SELECT name FROM sqlite_master WHERE name = 'ix_loadpulse_runs_name_started'"
    ).fetchone()
    db.close()


def test_unreachable_and_wrong_urls_are_bad_input(tmp_path: Path, postgres_url: str) -> None:
    with pytest.raises(BadInput, match="opening failed"):
        RunStore("postgresql://nobody:secret@127.0.0.1:9/nothing").open()
    with pytest.raises(BadInput) as info:
        RunStore(postgres_url.rsplit("/", 1)[0] + "/no_such_db").open()
    assert "no_such_db" in str(info.value)
    with pytest.raises(BadInput, match="not a database URL"):
        RunStore("not a url").open()
    with pytest.raises(BadInput, match="no driver"):
        RunStore("mysql+nosuchdriver://127.0.0.1/x").open()
    assert "secret" not in redact_url("postgresql://nobody:secret@127.0.0.1:9/nothing")


def test_read_only_and_locked_sqlite_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    RunStore(f"sqlite:///{path}").open()
    ro = RunStore(f"sqlite:///file:{path}?mode=ro&uri=true").open()
    with pytest.raises(BadInput, match="saving the run failed: attempt to write a readonly database"):
        ro.save(synthetic_results(seconds=2, run_id="x"), None, [], None)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(BadInput, match="database is locked"):
            RunStore(f"sqlite:///{path}").save(synthetic_results(seconds=2, run_id="y"), None, [], None)
    finally:
        holder.rollback()
        holder.close()


def test_a_store_in_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "history.sqlite"
    with pytest.raises(BadInput, match="does not exist; create it first"):
        RunStore(f"sqlite:///{missing}")
    assert not missing.parent.exists()


def test_a_sqlite_uri_creates_no_folder_named_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "h.sqlite"
    RunStore(f"sqlite:///{path}").open()
    RunStore(f"sqlite:///file:{path}?mode=ro&uri=true").open()
    assert not (tmp_path / "file:").exists()


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite:///:memory:", "sqlite://"])
def test_an_in_memory_history_is_refused(url: str) -> None:
    with pytest.raises(BadInput, match="give the sqlite file's path"):
        RunStore(url)
