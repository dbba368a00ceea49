"""The history keeps each run's pipeline figures (schema version 4), lists and shows them, and compares
them; real runs with a SQLite sink, and a store written before version 4 upgrading in place."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from loadpulse.store.history import RunStore
from loadpulse.store.schema import PIPELINE_COLUMNS, SCHEMA_VERSION
from tests.conftest import CliResult
from tests.results.results_factory import synthetic_results
from tests.store.test_compare_pipeline import pipeline

SCENARIO = """
import sqlite3, time
from loadpulse import task

DB = {db!r}
profile = {{"profile": "per-vu-iterations", "vus": 1, "iterations": 40}}
pipeline = {{"sink": "sql:sqlite:///" + DB + "#SELECT id, at FROM items", "drain_timeout": "0.5s"}}

def store(item, keep):
    if keep:
        with sqlite3.connect(DB) as db:
            db.execute("INSERT INTO items VALUES (?, ?)", (item, time.time()))

@task
async def send(ctx):
    item = ctx.track()
    await ctx.call("store", store, item, {lose_every} == 0 or ctx.vu.iteration % {lose_every} != 0)
"""


def scenario(tmp_path: Path, name: str, lose_every: int) -> Path:
    db = tmp_path / f"{name}.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT, at REAL)")
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(SCENARIO.format(db=str(db), lose_every=lose_every)))
    return path


def test_runs_keep_list_show_and_compare_their_pipeline(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'h.sqlite'}"
    for name, lose_every in (("good", 0), ("lossy", 4)):  # the lossy run loses 10 of its 40 items
        r = cli("run", str(scenario(tmp_path, name, lose_every)), "--quiet", "--store", store, "--tag", name)
        assert r.code == 0, r.err
    listed = {r["tags"][0]: r for r in json.loads(cli("history", "--store", store, "--json").out)}
    good, lossy = listed["good"], listed["lossy"]
    assert (good["pipeline_sent"], good["pipeline_delivered"], good["pipeline_lost"]) == (40, 40, 0)
    assert (lossy["pipeline_sent"], lossy["pipeline_delivered"], lossy["pipeline_lost"]) == (40, 30, 10)
    assert lossy["pipeline_loss_rate"] == 0.25 and good["pipeline_duplicates"] == 0
    assert 0 < good["pipeline_e2e_p95_ms"] < 60_000

    table = cli("history", "--store", store).out
    assert "e2e p95" in table and "25.00%" in table and "0.00%" in table
    shown = cli("show", "tag:lossy", "--store", store).out
    assert "pipeline" in shown and "lost 10" in shown

    cmp = cli("compare", "tag:good", "tag:lossy", "--store", store, "--json", "--fail-on-regression")
    deltas = {d["metric"]: d for d in json.loads(cmp.out)["deltas"]}
    assert deltas["pipeline loss rate"]["baseline"] == 0 and deltas["pipeline loss rate"]["candidate"] == 0.25
    assert deltas["pipeline loss rate"]["verdict"] == "regression" and cmp.code == 1
    assert deltas["pipeline e2e p95"]["verdict"] == "untested"
    table = cli("compare", "tag:good", "tag:lossy", "--store", store).out
    assert "pipeline loss rate" in table and "+25.000 pt" in table and "untested" in table


def test_a_run_without_a_pipeline_has_empty_pipeline_columns_and_none_listed(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    s = RunStore(f"sqlite:///{tmp_path / 'h.sqlite'}").open()
    s.save(synthetic_results(seconds=3, run_id="20261123T1000-plain"), None, [], None)
    (row,) = s.list()
    assert all(getattr(row, c) is None for c in PIPELINE_COLUMNS)
    table = cli("history", "--store", s.url).out
    assert "20261123T1000-plain" in table and "e2e p95" not in table and "lost" not in table


@pytest.fixture(params=["sqlite", "postgresql"])
def version3_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    """A store as loadpulse wrote it before pipeline columns (schema version 3), holding one run with a
    pipeline and one without."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    s = RunStore(url).open()
    with s.engine.begin() as conn:
        conn.execute(text("DELETE FROM loadpulse_runs"))
    with_pipeline = synthetic_results(seconds=3, run_id="20261123T0900-old")
    with_pipeline.summary["pipeline"] = pipeline(2_000, 20, 80.0)
    s.save(with_pipeline, None, [], None)
    s.save(synthetic_results(seconds=3, run_id="20261123T0901-plain"), None, [], None)
    with s.engine.begin() as conn:
        for column in PIPELINE_COLUMNS:
            conn.execute(text(f"ALTER TABLE loadpulse_runs DROP COLUMN {column}"))
        conn.execute(text("UPDATE loadpulse_meta SET value = '3'"))
    s.engine.dispose()
    yield RunStore(url)
    with s.engine.begin() as conn:
        conn.execute(text("DELETE FROM loadpulse_runs"))
    s.engine.dispose()


def test_a_version_3_store_upgrades_and_keeps_its_runs(version3_store: RunStore) -> None:
    s = version3_store.open()
    with s.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM loadpulse_meta")).scalar_one() == str(SCHEMA_VERSION)
    old = {r.run_id: r for r in s.list()}
    assert set(old) == {"20261123T0900-old", "20261123T0901-plain"}
    # Saved before version 4: no columns, but the stored results still hold the pipeline.
    assert old["20261123T0900-old"].pipeline_loss_rate is None
    assert s.load("20261123T0900-old").summary["pipeline"]["lost"]["count"] == 20
    new = synthetic_results(seconds=3, run_id="20261123T1000-new")
    new.summary["pipeline"] = pipeline(2_000, 2, 95.0)
    s.save(new, None, [], None)
    row = s.list(limit=1)[0]
    assert (row.run_id, row.pipeline_sent, row.pipeline_lost, row.pipeline_e2e_p95_ms) == (
        "20261123T1000-new",
        2_000,
        2,
        95.0,
    )
    assert row.pipeline_loss_rate == pytest.approx(0.001)


def test_compare_reads_the_pipeline_of_a_run_saved_before_version_4(
    cli: Callable[..., CliResult], version3_store: RunStore
) -> None:
    new = synthetic_results(seconds=3, run_id="20261123T1000-new")
    new.summary["pipeline"] = pipeline(2_000, 2, 95.0)
    version3_store.open().save(new, None, [], None)
    cmp = cli("compare", "20261123T0900-old", "last", "--store", version3_store.url, "--json")
    deltas: dict[str, Any] = {d["metric"]: d for d in json.loads(cmp.out)["deltas"]}
    assert (
        deltas["pipeline loss rate"]["baseline"] == 0.01
        and deltas["pipeline loss rate"]["verdict"] == "improvement"
    )
    assert deltas["pipeline e2e p95"]["baseline"] == 80.0 and deltas["pipeline e2e p95"]["candidate"] == 95.0


def test_a_narrow_terminal_drops_the_e2e_column_before_the_loss_rate(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from loadpulse.cli.history import history_table

    s = RunStore(f"sqlite:///{tmp_path / 'h.sqlite'}").open()
    r = synthetic_results(seconds=3, run_id="20261123T1000-pipe")
    r.summary["pipeline"] = pipeline(2_000, 50, 1_500.0)
    s.save(r, "ingest", ["nightly"], None)

    def shown(width: int) -> str:
        out = io.StringIO()
        Console(file=out, width=width).print(history_table(s.list(), width))
        return out.getvalue()

    wide = shown(160)
    assert "e2e p95" in wide and "1.50 s" in wide and "2.50%" in wide
    narrow = shown(72)
    assert "2.50%" in narrow and "e2e p95" not in narrow
    assert all(len(line) <= 72 for line in narrow.splitlines()) and "20261123T1000-pipe" in narrow
