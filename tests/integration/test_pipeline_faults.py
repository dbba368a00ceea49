"""A pipeline check whose sink misbehaves: failing, hanging, returning rows that are not items, or a user
who stops the wait. The verdict must never call unchecked items lost (or pass them), and the run must end."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from loadpulse.engine import pipeline_check
from loadpulse.engine.execute import execute_plan
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.results.outcome import RunOutcome
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan

SCENARIO = """
import time
from loadpulse import task

profile = {{"profile": "per-vu-iterations", "vus": 2, "iterations": 10}}
_sent = []
_calls = [0]


def sink():
    _calls[0] += 1
    {behaviour}


pipeline = {{"sink": sink, "drain_timeout": "{drain}"}}


@task
async def send(ctx):
    _sent.append(ctx.track())
    async with ctx.timed("send"):
        pass
"""


def _run(tmp_path: Path, behaviour: str, drain: str = "1s", **kw: object) -> RunOutcome:
    path = tmp_path / "pipe.py"
    path.write_text(SCENARIO.format(behaviour=behaviour, drain=drain))
    return execute_plan(build_plan(load_scenario(str(path)), RunOptions()), **kw)  # type: ignore[arg-type]


def test_a_sink_failing_after_the_load_leaves_its_items_unverified_not_lost(tmp_path: Path) -> None:
    outcome = _run(
        tmp_path,
        "if _calls[0] > 2:\n        raise ConnectionError('sink down')\n    return []",
        handle_signals=False,
    )
    p = outcome.aggregate.pipeline
    assert p is not None
    assert (p["sent"], p["delivered"], p["lost"]["count"], p["unverified"]) == (20, 0, 0, 20), p
    assert any("sink down" in w and "unverified" in w for w in outcome.warnings), outcome.warnings


def test_one_row_that_is_not_an_item_does_not_cost_the_rest(tmp_path: Path) -> None:
    """A foreign row with an 'at' that is no time is left out with a warning; the items beside it count."""
    outcome = _run(
        tmp_path,
        "rows = [{'id': i} for i in _sent] + [{'id': 'foreign', 'at': 'yesterday'}]\n"
        "    _sent.clear()\n    return rows",
        handle_signals=False,
    )
    p = outcome.aggregate.pipeline
    assert p is not None
    assert (p["sent"], p["delivered"], p["lost"]["count"]) == (20, 20, 0), p
    assert any("left out" in w and "foreign" in w for w in outcome.warnings), outcome.warnings


def test_a_hung_sink_ends_the_run_with_its_items_unverified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sink stuck (a query waiting on a lock) from its third call: the drain gives up on it, the verdict
    is made from the tracker (every item unverified, none lost) and the run returns."""
    monkeypatch.setattr(pipeline_check, "DRAIN_POLL_S", 0.05)
    monkeypatch.setattr(pipeline_check, "FINAL_WAIT_S", 0.5)
    outcome = _run(
        tmp_path,
        "if _calls[0] > 2:\n        time.sleep(60)\n    return []",
        drain="0.3s",
        handle_signals=False,
    )
    p = outcome.aggregate.pipeline
    assert p is not None
    assert (p["sent"], p["lost"]["count"], p["unverified"], p["drained"]) == (20, 0, 20, False), p
    assert any("did not finish in time" in w for w in outcome.warnings), outcome.warnings


def test_ctrl_c_during_the_drain_ends_it_and_nothing_unseen_is_lost(tmp_path: Path) -> None:
    def interrupt(agg: Aggregate, waited_s: float) -> None:
        os.kill(os.getpid(), signal.SIGINT)

    outcome = _run(tmp_path, "return []", drain="30s", handle_signals=True, on_drain=interrupt)
    p = outcome.aggregate.pipeline
    assert outcome.ended_by == "interrupted"
    assert p is not None and p["lost"]["count"] == 0 and p["unverified"] == 20 and not p["drained"], p


def test_persist_times_before_the_send_or_in_milliseconds_are_said(tmp_path: Path) -> None:
    """A sink clock an hour behind (a naive local time) would read as 0 ms latency, and 'at' in ms as an
    hour: both are warnings, never a quiet e2e PASS."""
    outcome = _run(
        tmp_path,
        "rows = [{'id': i, 'at': time.time() - 3600 if n % 2 else time.time() * 1000} "
        "for n, i in enumerate(_sent)]\n    _sent.clear()\n    return rows",
        handle_signals=False,
    )
    early = [w for w in outcome.warnings if "persisted before they were sent" in w]
    late = [w for w in outcome.warnings if "more than an hour after" in w]
    assert early and early[0].startswith("10 items") and late and late[0].startswith("10 items"), (
        outcome.warnings
    )
