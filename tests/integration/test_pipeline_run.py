"""A run checks its pipeline: what ctx.track() sent against what a real sink holds (SQLite here)."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from loadpulse.engine.execute import execute_plan
from loadpulse.results.summary import build_summary
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan
from tests.conftest import CliResult

SCENARIO = """
import sqlite3, time
from loadpulse import task

DB = {db!r}
profile = {{"profile": "per-vu-iterations", "vus": 2, "iterations": 10}}
pipeline = {{"sink": "sql:sqlite:///" + DB + "#SELECT id, at, worker FROM items WHERE at >= :since",
             "drain_timeout": "1s", "workers": 2}}

def store(item, worker, copies):
    with sqlite3.connect(DB) as db:
        for _ in range(copies):
            db.execute("INSERT INTO items VALUES (?, ?, ?)", (item, time.time(), worker))

@task
async def send(ctx):
    item = ctx.track()
    n = ctx.vu.iteration
    copies = 0 if n == 5 else 2 if n == 7 else 1  # one lost and one duplicated per VU
    await ctx.call("store", store, item, f"w{{ctx.vu.id}}", copies)
"""


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "items.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT, at REAL, worker TEXT)")
    return db


def test_lost_duplicated_and_delivered_items_are_counted(tmp_path: Path) -> None:
    db = _db(tmp_path)
    path = tmp_path / "pipe.py"
    path.write_text(textwrap.dedent(SCENARIO.format(db=str(db))))
    plan = build_plan(load_scenario(str(path)), RunOptions())
    outcome = execute_plan(plan, handle_signals=False)
    pipeline = outcome.aggregate.pipeline
    assert pipeline is not None
    assert (pipeline["sent"], pipeline["delivered"]) == (20, 18)
    assert pipeline["lost"]["count"] == 2 and len(pipeline["lost_ids"]) == 2
    assert pipeline["duplicates"]["count"] == 2
    assert pipeline["by_worker"] == {"w1": 9, "w2": 9} and pipeline["fairness_pct"] == 0
    assert pipeline["e2e_ms"]["max"] is not None and pipeline["e2e_ms"]["max"] < 5_000
    assert pipeline["drained"] is False  # two never arrive: the drain gave up after its timeout
    stored = {row[0] for row in sqlite3.connect(db).execute("SELECT id FROM items")}
    assert not stored & set(pipeline["lost_ids"])
    assert build_summary(outcome).get("pipeline", pipeline) == pipeline


def test_a_sink_that_cannot_answer_is_bad_input_before_the_load(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "pipe.py"
    path.write_text(textwrap.dedent(SCENARIO.format(db=str(tmp_path / "missing.db"))))
    r = cli("run", str(path), "--no-history", "--quiet")
    assert r.code == 2 and "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1, r.err


def test_ctx_track_without_a_sink_says_how_to_give_one(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = tmp_path / "nosink.py"
    path.write_text(
        "from loadpulse import task\n"
        "profile = {'profile': 'per-vu-iterations', 'vus': 1, 'iterations': 1}\n"
        "@task\nasync def t(ctx):\n    ctx.track()\n"
    )
    r = cli("run", str(path), "--no-history", "--quiet", "--json", "-")
    assert r.code == 0, r.err
    (message,) = r.summary()["scenarios"]["default"]["script_error_messages"].values()
    assert "pipeline = {'sink': ...}" in message and "--sink" in message


def test_bad_pipeline_input_is_one_line_and_exit_2(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    task = "from loadpulse import task\n@task\nasync def t(ctx):\n    pass\n"
    cases = {
        "pipeline = {'sinc': 'sql:x'}\n": "unknown key 'sinc'",
        "pipeline = {'drain_timeout': '1s'}\n": "needs a 'sink'",
        "pipeline = {'sink': 'sqll:sqlite:///x.db#SELECT 1'}\n": "did you mean 'sql'",
        "pipeline = {'sink': 'webhook:0', 'workers': 0}\n": "workers",
    }
    for i, (head, fragment) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.py"
        path.write_text(head + task)
        r = cli("run", str(path), "--no-history", "--quiet")
        assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and fragment in r.err, (head, r.err)
    path = tmp_path / "ok.py"
    path.write_text(task)
    r = cli("run", str(path), "--drain-timeout", "5s", "--no-history", "--quiet")
    assert r.code == 2 and "need a sink" in r.err
    r = cli("run", str(path), "--sink", "redis:redis://127.0.0.1:1/0#k", "--no-history", "--quiet")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_items_still_on_their_way_during_the_load_are_not_lost(tmp_path: Path) -> None:
    from loadpulse.engine.pipeline_check import PipelineCheck
    from loadpulse.scenario.pipeline_spec import PipelineSpec

    db = _db(tmp_path)
    check = PipelineCheck(PipelineSpec((f"sql:sqlite:///{db}#SELECT id FROM items",), drain_timeout_s=0.2))
    try:
        check.check()
        item = check.tracker.new_id(1)
        check.tracker.accepted(item)
        during = check.poll()
        assert during["sent"] == 1 and during["lost"]["count"] == 0 and during["lost_ids"] == []
        check.reconciler.load_ended(2)
        # While the drain waits, the item is still awaited (the live outputs show it as backlog) ...
        assert check.poll()["lost"]["count"] == 0
        # ... and lost once the drain is over.
        asyncio.run(check.drain(asyncio.Event()))
        assert check.latest is not None and check.latest["lost_ids"] == [item]
        assert check.latest["lost"]["count"] == 1
    finally:
        check.close()


def test_waiting_for_the_last_items_is_not_counted_as_load_time(tmp_path: Path) -> None:
    """The drain (here its whole 1 s timeout: two items never arrive) comes after the load: the run's
    duration and every rate are over the load alone."""
    db = _db(tmp_path)
    path = tmp_path / "pipe.py"
    path.write_text(textwrap.dedent(SCENARIO.format(db=str(db))))
    plan = build_plan(load_scenario(str(path)), RunOptions())
    outcome = execute_plan(plan, handle_signals=False)
    summary = build_summary(outcome)
    assert summary["pipeline"]["drained"] is False and summary["pipeline"]["drain_s"] >= 1.0
    # 20 local calls take milliseconds; with the drain counted the run would last more than a second.
    assert summary["duration_s"] < 0.9, summary["duration_s"]
    assert summary["requests"]["rate"] > summary["requests"]["total"]


SLOW_SINK = """
import time
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 2, "iterations": 5}
_arrived = []


def slow():
    global _arrived
    time.sleep(1.5)  # longer than a drain poll may take (shortened to 1 s by the test)
    rows, _arrived = _arrived, []
    return rows


pipeline = {"sink": slow, "drain_timeout": "0s"}


@task
async def send(ctx):
    _arrived.append(ctx.track())
    async with ctx.timed("send"):
        pass
"""


def test_the_verdict_includes_a_drain_poll_that_outlived_its_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drain stops waiting for a slow poll, but the poll goes on in its thread: the result must be
    the one after it, not the poll before (which saw none of the items)."""
    from loadpulse.engine import pipeline_check

    monkeypatch.setattr(pipeline_check, "DRAIN_POLL_S", 0.05)
    path = tmp_path / "slow.py"
    path.write_text(SLOW_SINK)
    outcome = execute_plan(build_plan(load_scenario(str(path)), RunOptions()), handle_signals=False)
    pipeline = outcome.aggregate.pipeline
    assert pipeline is not None
    assert (pipeline["sent"], pipeline["delivered"], pipeline["lost"]["count"]) == (10, 10, 0), pipeline


def test_live_outputs_hear_how_the_drain_goes(tmp_path: Path) -> None:
    """After the load the progress line must keep moving while the last items are awaited: the engine
    calls on_drain every interval with the refreshed pipeline (missing items still backlog, not lost)."""
    from loadpulse.live.progress import ProgressLine
    from loadpulse.metrics.aggregate import Aggregate

    db = _db(tmp_path)
    path = tmp_path / "pipe.py"
    path.write_text(textwrap.dedent(SCENARIO.format(db=str(db))).replace('"1s"', '"1.6s"'))
    heard: list[tuple[dict[str, object], float]] = []

    switch: list[float] = []

    def on_drain(agg: Aggregate, waited_s: float) -> None:
        assert agg.pipeline is not None
        heard.append((dict(agg.pipeline), waited_s))
        switch.append(sys.getswitchinterval())

    before = sys.getswitchinterval()
    plan = build_plan(load_scenario(str(path)), RunOptions())
    outcome = execute_plan(plan, handle_signals=False, on_drain=on_drain)
    assert heard, "no drain update in a 1.6 s drain"
    # The sink's poll thread gets 1 ms turns at the interpreter during the run, the caller's setting after.
    assert switch[0] <= 0.001 and sys.getswitchinterval() == before
    pipeline, waited = heard[-1]
    assert pipeline["lost"] == {"count": 0, "rate": 0.0} and waited >= 0.9
    assert outcome.aggregate.pipeline is not None and outcome.aggregate.pipeline["lost"]["count"] == 2
    agg = Aggregate()
    agg.pipeline = pipeline
    from rich.console import Console

    line = ProgressLine(Console(width=200), None, None).render_drain(agg, waited, 200).plain
    assert line.startswith("load done, waiting for the pipeline") and "backlog 2" in line, line


HEAVY_SINK = """
from loadpulse import task

DB = {db!r}
profile = {{"profile": "constant-rate", "rate": 300, "duration": "3s", "pre_allocated_vus": 20}}
# No :since: every poll re-reads the whole table (40,000 rows written before the run, then the items).
pipeline = {{"sink": "sql:sqlite:///" + DB + "#SELECT id, at FROM items", "drain_timeout": "2s"}}


@task
async def send(ctx):
    item = ctx.track()
    async with ctx.timed("send"):
        pass
"""


def test_a_heavy_sink_poll_does_not_disturb_scheduled_arrivals(tmp_path: Path) -> None:
    """Each poll reads 40,000 rows in a thread of the generator: the open model must still start every
    arrival on time (none dropped, the count exact) — the issue's "constant rate held with a sink"."""
    db = _db(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO items VALUES (?, 1.0, 'w')", ((f"old-{i}",) for i in range(40_000)))
    path = tmp_path / "heavy.py"
    path.write_text(HEAVY_SINK.format(db=str(db)))
    outcome = execute_plan(build_plan(load_scenario(str(path)), RunOptions()), handle_signals=False)
    summary = build_summary(outcome)
    scenario = summary["scenarios"]["default"]
    assert scenario["dropped"] == 0 and scenario["iterations"] == 900, scenario
    assert summary["pipeline"]["sent"] == 900
