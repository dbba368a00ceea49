"""Arguments an adversarial tester tried: an empty run reference, a --limit past any integer the store
holds, a command group without its command. Each is one clear line, exit 2, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult


def _one_line(r: CliResult) -> str:
    assert r.code == 2
    assert r.err.startswith("loadpulse: error: ") and r.err.count("\n") == 1, r.err
    assert "Traceback" not in r.err
    return r.err


@pytest.mark.parametrize("limit", ["99999999999999999999", "1000001"])
def test_history_limit_past_the_bound_is_one_line(
    cli: Callable[..., CliResult], tmp_path: Path, limit: str
) -> None:
    r = cli("history", "--limit", limit, "--store", f"sqlite:///{tmp_path / 'h.sqlite'}")
    assert "--limit" in _one_line(r) and "at most 1,000,000" in r.err


def test_history_limit_at_the_bound_lists(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    r = cli("history", "--limit", "1000000", "--store", f"sqlite:///{tmp_path / 'h.sqlite'}")
    assert r.code == 0 and "no runs" in r.out


@pytest.mark.parametrize(
    "args", [["show", ""], ["show", "  "], ["report", "", "--json", "-"], ["compare", "", "last"]]
)
def test_an_empty_run_reference_says_it_is_empty(
    cli: Callable[..., CliResult], tmp_path: Path, args: list[str]
) -> None:
    r = cli(*args, "--store", f"sqlite:///{tmp_path / 'h.sqlite'}")
    assert "the run to load is empty" in _one_line(r)
    assert "folder" not in r.err


def test_target_without_a_command_shows_help_and_names_the_commands(cli: Callable[..., CliResult]) -> None:
    r = cli("target")
    assert "Usage: loadpulse target" in r.out
    assert _one_line(r) == "loadpulse: error: target: name a command (demo); see the help above\n"


def test_no_command_at_all_shows_help_and_says_so(cli: Callable[..., CliResult]) -> None:
    r = cli()
    assert "Usage: loadpulse" in r.out
    assert _one_line(r).startswith("loadpulse: error: name a command (http, grpc, run, ")
