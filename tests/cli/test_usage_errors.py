"""Usage errors are one clean line: no doubled program name (issue 10, item 25)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["frobnicate"], "loadpulse: error: No such command 'frobnicate'; see --help"),
        (["http"], "loadpulse: error: http: Missing argument 'url'; see --help"),
        (["target", "nope"], "loadpulse: error: target: No such command 'nope'; see --help"),
    ],
)
def test_usage_errors_are_one_line_without_a_doubled_prefix(
    cli: Callable[..., CliResult], argv: list[str], line: str
) -> None:
    r = cli(*argv)
    assert r.code == 2 and r.err == line + "\n"
