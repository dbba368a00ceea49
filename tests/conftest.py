"""Shared fixtures: loopback-only helpers and the in-process CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from loadpulse.cli.app import main
from tests.browser import browser
from tests.databases import postgres_url, redis_url
from tests.services import demo_url, nginx

__all__ = [
    "browser",
    "demo_url",
    "nginx",
    "postgres_url",
    "redis_url",
]  # session fixtures for every test folder


@pytest.fixture(autouse=True, scope="session")
def _history_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs save to the history by default: keep the suite's runs out of the user's data directory."""
    import os

    path = tmp_path_factory.mktemp("history") / "history.sqlite"
    os.environ["LOADPULSE_STORE"] = f"sqlite:///{path}"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def summary(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `loadpulse ARGS...` in this process; returns exit code and captured output."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def json_path(tmp_path: Path) -> Path:
    return tmp_path / "summary.json"
