"""`loadpulse show` says what the run warned about, with its figures."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult


def test_show_prints_the_runs_warnings(cli: Callable[..., CliResult], tmp_path: Path, demo_url: str) -> None:
    out = tmp_path / "r.json.gz"
    r = cli("http", f"{demo_url}/health", "-n", "20", "-c", "1", "--quiet", "--no-history", "--out", str(out))
    assert r.code == 0, r.err
    doc = json.loads(gzip.decompress(out.read_bytes()))
    doc["summary"]["warnings"] = ["1,234 distinct request names; past the first 1,000 … \x1b[2J"]
    out.write_bytes(gzip.compress(json.dumps(doc).encode()))
    shown = cli("show", str(out))
    assert shown.code == 0, shown.err
    line = next(line for line in shown.out.splitlines() if line.startswith("warning:"))
    assert "1,234 distinct request names" in line and "\x1b" not in line
