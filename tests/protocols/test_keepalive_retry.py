"""Keep-alive closes are not errors: a request that meets the server closing a reused connection before
any response byte is resent once on a new connection (idempotent methods only)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from tests.conftest import CliResult
from tests.engine import fault_servers as fs


def run_json(cli: Callable[..., CliResult], url: str, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli("http", url + "/", *args, "--json", "-", "--quiet", "--no-history")
    assert result.code == 0, result.err
    return result.summary()


def test_server_closing_after_every_response_gives_no_errors(cli: Callable[..., CliResult]) -> None:
    # No "Connection: close": the client learns of each close only when its next request meets it.
    with fs.serve_apart("one_per_connection") as url:
        s = run_json(cli, url, "-n", "20000", "-c", "8")
    assert s["requests"]["ok"] == 20000 and s["errors"] == {}


def test_requests_per_connection_limit_gives_no_false_errors(cli: Callable[..., CliResult]) -> None:
    with fs.serve_apart("limit_per_connection", "100") as url:
        s = run_json(cli, url, "-n", "20000", "-c", "8")
    assert s["requests"]["ok"] == 20000 and s["errors"] == {}


def test_open_model_resends_on_closed_keepalive_connections(cli: Callable[..., CliResult]) -> None:
    with fs.serve_apart("limit_per_connection", "3") as url:
        s = run_json(cli, url, "--rate", "1000", "-d", "1s", "-c", "4", "--grace", "1s")
    assert s["requests"]["ok"] >= 950 and s["errors"] == {}


def test_post_is_not_resent_after_a_keepalive_close(cli: Callable[..., CliResult]) -> None:
    # A POST may have been processed before the close: resending it could double its effect, so the
    # close race is counted (as what it was on the wire), never hidden.
    with fs.serve_apart("one_per_connection") as url:
        s = run_json(cli, url, "-n", "200", "-c", "2", "-m", "POST", "-b", "x")
    assert s["requests"]["total"] == 200 and s["requests"]["ok"] >= 2
    assert set(s["errors"]) <= {"reset", "premature_eof"} and s["errors"]


def test_scripted_client_resends_idempotent_requests_on_closed_keepalive_connections() -> None:
    async def go(url: str) -> tuple[list[int], dict[str, int]]:
        recorder = Recorder()
        session = HttpSession(url, recorder)
        session.start()
        client = HttpClient(session)
        statuses = [(await client.get("/", name="g")).status for _ in range(50)]
        session.close()
        return statuses, recorder.for_name("g").errors

    with fs.serve_apart("one_per_connection") as url:
        statuses, errors = asyncio.run(go(url))
    assert statuses == [200] * 50 and errors == {}
