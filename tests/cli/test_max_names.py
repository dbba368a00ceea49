"""--max-names sets the memory bound on distinct request names; names past it go under '(other)'."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

CRAWL = """
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 1, "iterations": 12}

@task
async def t(ctx):
    await ctx.http.get(f"/item/{ctx.vu.iteration}")
"""


def test_max_names_groups_the_rest_under_other(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = tmp_path / "crawl.py"
    path.write_text(CRAWL)
    r = cli("run", str(path), "-u", demo_url, "--max-names", "5", "--json", "-", "--quiet", "--no-history")
    assert r.code == 0, r.err
    summary = r.summary()
    assert len(summary["by_name"]) == 6 and summary["by_name"]["(other)"]["requests"]["total"] == 7
    assert any("12 distinct request names; past the first 5" in w for w in summary["warnings"])


@pytest.mark.parametrize("value", ["0", "-3", "100001"])
def test_max_names_out_of_range_is_bad_input(
    cli: Callable[..., CliResult], tmp_path: Path, value: str
) -> None:
    path = tmp_path / "crawl.py"
    path.write_text(CRAWL)
    r = cli("run", str(path), "-u", "http://127.0.0.1:9", "--max-names", value, "--no-history")
    assert r.code == 2 and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1 and "--max-names" in r.err
