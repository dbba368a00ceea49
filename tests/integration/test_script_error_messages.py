"""What a script error said reaches the user: console, Summary JSON and results file, secrets redacted."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

from loadpulse.results.file import read_results
from tests.conftest import CliResult

MISTYPED = """
from loadpulse import task

profile = {"profile": "shared-iterations", "vus": 2, "iterations": 6}

@task
async def t(ctx):
    await ctx.htp.get("/")
"""


def test_a_mistyped_ctx_attribute_says_what_to_write(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = tmp_path / "mis_htp.py"
    path.write_text(textwrap.dedent(MISTYPED))
    out, summary = tmp_path / "r.json", tmp_path / "s.json"
    r = cli("run", str(path), "-u", demo_url, "--json", str(summary), "--out", str(out), "--no-history")
    assert r.code == 0, r.err
    hint = "ctx has no attribute 'htp'; did you mean ctx.http?"
    block = json.loads(summary.read_text())["scenarios"]["default"]
    assert block["script_errors"] == {"AttributeError at mis_htp.py:8": 6}  # unchanged shape
    assert block["script_error_messages"] == {"AttributeError at mis_htp.py:8": hint}
    assert f"AttributeError at mis_htp.py:8 x6: {hint}" in r.out
    assert read_results(out).scenarios["default"].script_error_messages == {
        "AttributeError at mis_htp.py:8": hint
    }


def test_a_relative_url_with_no_base_url_says_how_to_give_one(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = tmp_path / "nobase.py"
    path.write_text(
        textwrap.dedent(
            """
            from loadpulse import task

            profile = {"profile": "shared-iterations", "vus": 1, "iterations": 2}

            @task
            async def t(ctx):
                await ctx.http.get("/x")
            """
        )
    )
    r = cli("run", str(path), "--json", "-", "--no-history", "--quiet")
    assert r.code == 0, r.err
    (message,) = r.summary()["scenarios"]["default"]["script_error_messages"].values()
    assert message == "relative URL '/x' needs a base URL (--base-url or base_url in the file)"


def test_a_secret_in_a_script_error_is_redacted_everywhere(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = tmp_path / "leak.py"
    path.write_text(
        textwrap.dedent(
            """
            from loadpulse import task

            profile = {"profile": "shared-iterations", "vus": 1, "iterations": 2}

            @task
            async def t(ctx):
                raise RuntimeError("login with s3cr3t-t0ken refused [bold]")
            """
        )
    )
    out, summary = tmp_path / "r.json", tmp_path / "s.json"
    args = ("--json", str(summary), "--out", str(out), "--no-history", "--secret", "s3cr3t-t0ken")
    r = cli("run", str(path), "-u", demo_url, *args)
    assert r.code == 0, r.err
    assert "s3cr3t-t0ken" not in summary.read_text() and "s3cr3t-t0ken" not in r.out + r.err
    assert "s3cr3t-t0ken" not in out.read_text()
    (message,) = json.loads(summary.read_text())["scenarios"]["default"]["script_error_messages"].values()
    assert message == "login with [redacted] refused [bold]"
    assert "login with [redacted] refused [bold]" in r.out  # shown as written, not taken as markup
