"""The CSV's pipeline columns: each interval at the sink poll nearest its end, the drain's polls after."""

from __future__ import annotations

import csv
import io
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

from loadpulse.engine.execute import execute_plan
from loadpulse.outputs.csv_export import BASE_COLUMNS, PIPELINE_COLUMNS, series_csv
from loadpulse.results.document import Results, results_of
from loadpulse.results.summary import build_summary
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan
from tests.results.pipeline_factory import pipeline_dict
from tests.results.results_factory import synthetic_results


def _rows(results: Results) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(series_csv(results))))


def _with_timeline(timeline: dict[str, Any] | None) -> Results:
    """Three one-second intervals (t_s 1, 2, 3) and a pipeline whose polls are ``timeline``."""
    results = synthetic_results(seconds=3, rate=50)
    pipeline = pipeline_dict()
    if timeline is None:
        del pipeline["timeline"]  # as in a results file written before it was kept
    else:
        pipeline["timeline"] = timeline
    results.summary["pipeline"] = pipeline
    return results


def test_intervals_take_the_poll_nearest_their_end_and_the_drain_follows() -> None:
    # Polls run just after each tick (the first at the load's start), then every 0.25 s in the drain.
    t_s = [0.01, 1.03, 2.02, 3.004, 3.25, 3.5]
    sent = [0, 40, 90, 140, 140, 140]
    total = [0, 30, 70, 120, 135, 140]
    timeline = {
        "t_s": t_s,
        "delivered": [b - a for a, b in zip([0, *total], total, strict=False)],
        "sent": sent,
        "delivered_total": total,
        "backlog": [s - d for s, d in zip(sent, total, strict=True)],
    }
    rows = _rows(_with_timeline(timeline))
    assert list(rows[0])[-4:] == list(PIPELINE_COLUMNS)
    assert [r["t_s"] for r in rows] == ["1.0", "2.0", "3.0", "3.25", "3.5"]
    assert [r["pipeline.sent"] for r in rows] == ["40", "90", "140", "140", "140"]
    assert [r["pipeline.delivered"] for r in rows] == ["30", "40", "50", "15", "5"]
    assert [r["pipeline.delivered_total"] for r in rows] == ["30", "70", "120", "135", "140"]
    assert [r["pipeline.backlog"] for r in rows] == ["10", "20", "20", "5", "0"]
    drain = rows[3:]
    assert [r["interval_s"] for r in drain] == ["0.25", "0.25"]
    assert all(r[c] == "" for r in drain for c in BASE_COLUMNS[2:])  # no requests measured there
    assert rows[2]["requests"] != ""


def test_an_interval_before_the_first_poll_is_a_gap_and_a_late_poll_is_not_pulled_back() -> None:
    timeline = {"t_s": [1.8, 3.9], "delivered": [5, 5], "sent": [10, 20], "delivered_total": [5, 10],
                "backlog": [5, 10]}  # fmt: skip
    rows = _rows(_with_timeline(timeline))
    # 1.8 s is nearest the tick at 2 s; 3.9 s is past the run's last interval: a drain row.
    assert [r["pipeline.sent"] for r in rows] == ["", "10", "10", "20"]
    assert [r["pipeline.delivered"] for r in rows] == ["", "5", "0", "5"]
    assert rows[-1]["t_s"] == "3.9" and rows[-1]["interval_s"] == "0.9"


def test_no_pipeline_columns_without_a_timeline() -> None:
    plain = series_csv(synthetic_results(seconds=2))
    assert "pipeline." not in plain
    old = _rows(_with_timeline(None))
    assert len(old) == 3 and not any(k.startswith("pipeline.") for k in old[0])


SCENARIO = """
import sqlite3, time
from loadpulse import task

DB = {db!r}
profile = {{"profile": "per-vu-iterations", "vus": 2, "iterations": 10}}
pipeline = {{"sink": "sql:sqlite:///" + DB + "#SELECT id, at, worker FROM items WHERE at >= :since",
             "drain_timeout": "1s"}}

def store(item, worker, keep):
    if keep:
        with sqlite3.connect(DB) as db:
            db.execute("INSERT INTO items VALUES (?, ?, ?)", (item, time.time(), worker))

@task
async def send(ctx):
    item = ctx.track()
    await ctx.call("store", store, item, f"w{{ctx.vu.id}}", ctx.vu.iteration != 3)  # one lost per VU
"""


def test_a_real_runs_csv_ends_at_its_verdict(tmp_path: Path) -> None:
    db = tmp_path / "items.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT, at REAL, worker TEXT)")
    path = tmp_path / "pipe.py"
    path.write_text(textwrap.dedent(SCENARIO.format(db=str(db))))
    outcome = execute_plan(build_plan(load_scenario(str(path)), RunOptions()), handle_signals=False)
    results = results_of(outcome, build_summary(outcome))
    pipeline = results.summary["pipeline"]
    assert (pipeline["sent"], pipeline["delivered"]) == (20, 18)
    rows = _rows(results)
    last = rows[-1]
    assert (last["pipeline.sent"], last["pipeline.delivered_total"], last["pipeline.backlog"]) == (
        "20",
        "18",
        "2",
    )
    assert sum(int(r["pipeline.delivered"] or 0) for r in rows) == 18
    times = [float(r["t_s"]) for r in rows]
    assert times == sorted(times)
