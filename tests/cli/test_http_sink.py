"""`loadpulse http URL --sink SPEC`: each request carries a tracked id ({{ track }}) or the response gives
one (--track-from), checked against a real SQLite sink; bad combinations are one line, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.integration.test_yaml_pipeline_run import LOST_NTH, Ingest, assert_known_counts, ingest
from tests.scenario.test_bad_scenarios import assert_bad

__all__ = ["ingest"]

QUIET = ("--no-history", "--quiet", "--json", "-", "--drain-timeout", "1s")


def _pipeline(r: CliResult) -> dict[str, Any]:
    assert r.code == 0, r.err
    pipeline: dict[str, Any] = r.summary()["pipeline"]
    return pipeline


@pytest.mark.parametrize(
    "where",
    [
        ("--json-body", '{"id": "{{ track }}", "note": "{{ vu }} stays as written"}'),
        ("-H", "X-Item: {{track}}"),
    ],
    ids=["json_body", "header"],
)
def test_a_fresh_id_per_request(
    cli: Callable[..., CliResult], ingest: Ingest, where: tuple[str, str]
) -> None:
    r = cli(
        "http",
        f"{ingest.url}/items",
        "-m",
        "POST",
        "-n",
        "10",
        "-c",
        "3",
        *where,
        "--sink",
        ingest.sink,
        *QUIET,
    )
    stored = ingest.stored()
    assert_known_counts(_pipeline(r), stored)
    assert r.summary()["requests"]["total"] == 10
    assert len(set(stored)) == 9


def test_a_fresh_id_in_the_url_at_a_steady_rate(cli: Callable[..., CliResult], ingest: Ingest) -> None:
    url = f"{ingest.url}/items/{{{{ track }}}}"
    lossless = ("--threshold", "pipeline.lost.count == 0")
    r = cli("http", url, "-m", "POST", "--rate", "100", "-n", "10", "--sink", ingest.sink, *lossless, *QUIET)
    assert r.code == 1 and r.summary()["verdict"] == "FAIL", r.err  # one item lost by construction
    assert_known_counts(r.summary()["pipeline"], ingest.stored())
    assert list(r.summary()["by_name"]) == ["POST /items/{{ track }}"]  # one name, not one per id


def test_ids_the_system_assigns(cli: Callable[..., CliResult], ingest: Ingest) -> None:
    r = cli(
        "http", f"{ingest.url}/assign", "--json-body", '{"content": "hi"}', "-n", "10", "-c", "2",
        "--track-from", "$.id", "--sink", ingest.sink, *QUIET,
    )  # fmt: skip
    pipeline = _pipeline(r)
    assert_known_counts(pipeline, ingest.stored())
    assert pipeline["lost_ids"] == [str(1000 + LOST_NTH)]


def test_against_the_demo_target_every_accepted_message_counts_as_sent(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Any
) -> None:
    """The demo answers 202 {"id": n}; an empty table as the sink finds none of them: all lost."""
    import sqlite3

    db = tmp_path / "empty.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT)")
    r = cli(
        "http", f"{demo_url}/api/messages", "--json-body", '{"channel_id": 1, "content": "x"}',
        "-n", "6", "-c", "2", "--track-from", "$.id", "--sink", f"sql:sqlite:///{db}#SELECT id FROM items",
        "--no-history", "--quiet", "--json", "-", "--drain-timeout", "0s",
    )  # fmt: skip
    pipeline = _pipeline(r)
    assert (pipeline["sent"], pipeline["delivered"], pipeline["lost"]["count"]) == (6, 0, 6)


def test_without_a_sink_the_fast_path_runs_and_reports_no_pipeline(
    cli: Callable[..., CliResult], ingest: Ingest
) -> None:
    r = cli(
        "http",
        f"{ingest.url}/assign",
        "-m",
        "POST",
        "-n",
        "4",
        "-c",
        "1",
        "--no-history",
        "--quiet",
        "--json",
        "-",
    )
    assert r.code == 0, r.err
    assert "pipeline" not in r.summary() and r.summary()["requests"]["total"] == 4


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--sink", "webhook:0"], "--sink needs each request to carry its item: put {{ track }} in the URL"),
        (["--track-from", "$.id"], "--track-from needs --sink"),
        (["--json-body", '{"id": "{{ track }}"}'], "{{ track }} is filled in only with --sink"),
        (["--sink", "webhook:0", "--track-from", "id"], "--track-from: JSON path 'id' must start with '$'"),
        (["--sink", "webhook:0", "--track-from", "$.a["], "--track-from: JSON path '$.a['"),
        (["--sink", "webhook:0", "--track-from", "$.id", "--drain-timeout", "soon"], "--drain-timeout"),
        (["--drain-timeout", "5s"], "need a sink"),
        (["--sink", "sqll:sqlite:///x.db#SELECT id FROM t", "--track-from", "$.id"], "did you mean 'sql'"),
    ],
)
def test_bad_sink_input(cli: Callable[..., CliResult], args: list[str], fragment: str) -> None:
    assert_bad(cli("http", "http://127.0.0.1:9/items", *args), fragment)


def test_a_placeholder_in_the_host_is_bad_input(cli: Callable[..., CliResult]) -> None:
    assert_bad(
        cli("http", "http://{{ track }}.example:9/", "--sink", "webhook:0"), "goes in the URL's path or query"
    )


def test_help_says_a_sink_runs_through_the_scenario_engine(cli: Callable[..., CliResult]) -> None:
    out = " ".join(cli("http", "--help").out.split())
    assert "--sink" in out and "--track-from" in out and "scenario engine" in out
