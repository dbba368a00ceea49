"""A user-supplied Content-Length or Transfer-Encoding that would lie about the body is bad input (exit 2,
one line), not a run of requests each hanging to the timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from loadpulse.errors import BadInput
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from loadpulse.protocols.http.request import check_framing_headers
from tests.conftest import CliResult
from tests.engine import fault_servers as fs

URL = "http://127.0.0.1:9/"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-H", "Content-Length: 10"], "does not match the body (0 bytes)"),
        (["-H", "Content-Length: 10", "-b", "abc"], "does not match the body (3 bytes)"),
        (["-H", "content-length: 1", "-m", "POST"], "does not match the body"),
        (["-H", "Transfer-Encoding: chunked", "-b", "abc"], "'Transfer-Encoding' cannot be set"),
        (["-H", "Transfer-Encoding: chunked"], "'Transfer-Encoding' cannot be set"),
    ],
)
def test_lying_framing_header_is_bad_input(
    cli: Callable[..., CliResult], args: list[str], fragment: str
) -> None:
    result = cli("http", URL, "-n", "1", "--no-history", *args)
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("loadpulse: error: ") and fragment in lines[0]
    assert "Traceback" not in result.err


def test_content_length_matching_the_body_is_allowed(cli: Callable[..., CliResult]) -> None:
    with fs.serve(fs.ok_then_close) as url:
        result = cli(
            "http",
            url + "/",
            "-n",
            "3",
            "-H",
            "Content-Length: 3",
            "-b",
            "abc",
            "--json",
            "-",
            "--quiet",
            "--no-history",
        )
    assert result.code == 0, result.err
    assert result.summary()["requests"]["ok"] == 3


def test_check_framing_headers() -> None:
    check_framing_headers([("Content-Length", "0")], None)
    check_framing_headers([("Content-Length", " 2 ")], b"ab")
    with pytest.raises(BadInput):
        check_framing_headers([("Content-Length", "x")], b"ab")
    with pytest.raises(ValueError, match="Transfer-Encoding"):
        check_framing_headers([("Transfer-Encoding", "gzip")], b"ab", ValueError)


def test_scripted_request_with_a_lying_content_length_is_a_script_error() -> None:
    async def go() -> None:
        session = HttpSession(URL, Recorder())
        try:
            await HttpClient(session).post("/", body="abc", headers={"Content-Length": "10"})
        finally:
            session.close()

    with pytest.raises(ValueError, match="does not match the body"):
        asyncio.run(go())
