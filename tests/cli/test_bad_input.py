"""Every bad input: exit 2, one line naming the problem, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

URL = "http://127.0.0.1:9/"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["http", "not a url"], "invalid URL"),
        (["http", "/health"], "absolute URL"),
        (["http", "ftp://127.0.0.1/"], "unsupported scheme"),
        (["http", "http://no-such-host.invalid/", "-n", "1"], "does not resolve"),
        (["http", URL, "-H", "NoColon"], "'Name: value'"),
        (["http", URL, "-n", "0"], "-n/--requests must be greater than zero"),
        (["http", URL, "-n", "-5"], "-n/--requests must be greater than zero"),
        (["http", URL, "-c", "0"], "-c/--connections must be greater than zero"),
        (["http", URL, "--rate", "-1"], "--rate must be greater than zero"),
        (["http", URL, "--rate", "0"], "--rate must be greater than zero"),
        (["http", URL, "--rate", "inf"], "--rate must be a finite number"),
        (["http", URL, "--rate", "nan"], "rate"),
        (["http", URL, "--rate", "1e12"], "cannot be honoured"),
        (["http", URL, "-c", "200000"], "at most 100,000"),
        (["http", URL, "--rate", "10", "--max-in-flight", "5000000"], "at most 1,000,000"),
        (["http", URL, "-d", "10x"], "is not a duration"),
        (["http", URL, "-d", "-3s"], "must be greater than zero"),
        (["http", URL, "--timeout", "soon"], "--timeout 'soon' is not a duration"),
        (["http", URL, "-n", "10", "-d", "5s"], "not both"),
        (["http", URL, "--max-in-flight", "10"], "only applies with --rate"),
        (["http", URL, "-b", "@/no/such/file.json"], "does not exist"),
        (["http", URL, "--json-body", "{not json"], "not valid JSON"),
        (["http", URL, "-b", "x", "--json-body", "{}"], "not both"),
        (["http", URL, "-m", "GTE"], "unknown method 'GTE'"),
        (["http", URL, "-n", "abc"], "Invalid value for '-n'"),
        (["http", URL, "--no-such-flag"], "no such option"),
        (["http"], "Missing argument"),
        (["nonsense"], "No such command"),
        (["target", "demo", "--port", "70000"], "--port 70000"),
        (["target", "demo", "--error-rate", "2"], "--error-rate must be between 0 and 1"),
        (["demo", "-d", "forever"], "is not a duration"),
        (["http", URL, "-n", "1", "--no-history", "--dashboard-linger", "soon"], "--dashboard-linger 'soon'"),
        (["http", URL, "-n", "1", "--no-history", "--dashboard=abc"], "Invalid value for '--dashboard'"),
        (
            ["http", URL, "-n", "1", "--no-history", "--dashboard", "--bind", "999.1.1.1"],
            "give --dashboard-token",
        ),
        (
            [
                "http",
                URL,
                "-n",
                "1",
                "--no-history",
                "--dashboard",
                "--bind",
                "999.1.1.1",
                "--dashboard-token",
                "t",
            ],
            "cannot listen on 999.1.1.1",
        ),
        (["http", URL, "-n", "1", "--baseline", "/no/such/base.json"], "not found"),
        (["http", URL, "-n", "1", "--no-history", "--baseline", "last"], "needs the run history"),
        (["history", "--limit", "0"], "--limit must be greater than zero"),
        (["show", "no-such-run-id"], "no run 'no-such-run-id'"),
        (["compare", "a.json", "b.json"], "results file 'a.json' not found"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli: Callable[..., CliResult], args: list[str], fragment: str) -> None:
    result = cli(*args)
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("loadpulse: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.err and result.out == ""


def test_body_from_file_is_read(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    # An existing @file passes validation; the (refused) run then completes normally.
    body = tmp_path / "b.json"
    body.write_text('{"a": 1}')
    result = cli("http", URL, "-n", "1", "--json-body", f"@{body}", "--json", "-", "--quiet")
    assert result.code == 0
    assert result.summary()["errors"] == {"connect_refused": 1}


def test_version_and_help(cli: Callable[..., CliResult]) -> None:
    assert cli("--version").out.startswith("loadpulse ")
    for args in (
        ["--help"],
        ["http", "--help"],
        ["run", "--help"],
        ["demo", "--help"],
        ["report", "--help"],
        ["history", "--help"],
        ["show", "--help"],
        ["compare", "--help"],
        ["target", "demo", "--help"],
    ):
        result = cli(*args)
        assert result.code == 0 and "Usage" in result.out, args
