"""One output-writing path: paths checked before the load, atomic writes, a failing output never loses
the others or the history row (issue 10, item 17)."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loadpulse.errors import BadInput
from loadpulse.outputs import files
from loadpulse.outputs.files import OutputBatch, check_writable, write_atomic
from tests.conftest import CliResult

BLACKHOLE = "http://127.0.0.1:9/"
"""Nothing listens there: a load that ran would show connect errors and a summary, and take its -d."""


@pytest.fixture
def full_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder whose disk is full: a 16 KiB tmpfs when we may mount one (root), else writes into it
    fail with ENOSPC the way a full disk makes them fail."""
    folder = tmp_path / "full"
    folder.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], capture_output=True
        )
        if mounted.returncode == 0:
            try:
                yield folder
            finally:
                subprocess.run(["umount", str(folder)], check=True)
            return
    real = files.write_atomic

    def full(path: str | Path, data: bytes) -> None:
        if Path(path).parent == folder and len(data) > 16 * 1024:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(files, "write_atomic", full)
    yield folder


# ---- before the load ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("paths", "fragment"),
    [
        ([("--html", "{tmp}/missing/x.html")], "folder '.*/missing' does not exist"),
        ([("--html", "{tmp}")], "is a folder"),
        ([("--json", "{tmp}/a.json"), ("--out", "{tmp}/a.json")], "--json and --out both write"),
        ([("--csv", "")], "--csv needs a file path"),
    ],
)
def test_bad_output_paths_are_refused_before_anything_runs(
    tmp_path: Path, paths: list[tuple[str, str]], fragment: str
) -> None:
    with pytest.raises(BadInput, match=fragment):
        check_writable([(flag, p.format(tmp=tmp_path)) for flag, p in paths])


def test_stdout_and_absent_outputs_are_not_checked(tmp_path: Path) -> None:
    check_writable([("--json", "-"), ("--html", None), ("--csv", str(tmp_path / "s.csv"))])
    assert not list(tmp_path.iterdir())  # the check leaves nothing behind


def test_a_read_only_folder_is_refused_before_the_load(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        with pytest.raises(BadInput, match="cannot write in"):
            check_writable([("--html", str(ro / "x.html"))])
    # root writes through permission bits; a read-only file system stops everyone
    with pytest.raises(BadInput, match="cannot write in '/proc'"):
        check_writable([("--junit", "/proc/x.xml")])


def test_html_into_a_missing_folder_is_exit_2_before_any_load(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    start = time.monotonic()
    r = cli("http", BLACKHOLE, "-d", "30s", "--no-history", "--json", str(tmp_path / "s.json"),
            "--html", str(tmp_path / "missing" / "x.html"))  # fmt: skip
    assert r.code == 2 and time.monotonic() - start < 5
    missing = tmp_path / "missing"
    expected = f"--html '{missing / 'x.html'}': folder '{missing}' does not exist (create it first)"
    assert r.err == f"loadpulse: error: {expected}\n"
    assert not (tmp_path / "s.json").exists() and r.out == ""


# ---- writing -----------------------------------------------------------------------------------------
def test_atomic_write_replaces_whole_and_keeps_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    write_atomic(target, b"first")
    assert target.read_bytes() == b"first"
    assert target.stat().st_mode & 0o777 == 0o666 & ~files._umask()
    target.chmod(0o640)
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second" and target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


def test_a_failed_write_leaves_neither_an_empty_file_nor_a_temporary_one(full_dir: Path) -> None:
    old = full_dir / "report.html"
    old.write_bytes(b"the previous report")
    with pytest.raises(OSError) as info:
        files.write_atomic(old, b"x" * 64 * 1024)
    assert info.value.errno == errno.ENOSPC
    assert old.read_bytes() == b"the previous report"
    with pytest.raises(OSError):
        files.write_atomic(full_dir / "new.html", b"x" * 64 * 1024)
    assert sorted(p.name for p in full_dir.iterdir()) == ["report.html"]


def test_one_failing_output_does_not_stop_the_others(tmp_path: Path) -> None:
    batch = OutputBatch()

    def broken() -> bytes:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    batch.write("--html", str(tmp_path / "a.html"), broken)
    batch.write("--junit", str(tmp_path / "j.xml"), lambda: b"<testsuite/>")
    batch.write("--csv", None, broken)  # not asked for: never produced
    assert batch.failures == [f"could not write --html '{tmp_path / 'a.html'}': No space left on device"]
    assert (tmp_path / "j.xml").read_bytes() == b"<testsuite/>"
    assert not (tmp_path / "a.html").exists()


def test_a_full_disk_after_the_load_is_one_line_exit_2_and_every_other_output_and_the_history_row_are_written(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path, full_dir: Path
) -> None:
    db = tmp_path / "h.sqlite"
    out = {name: tmp_path / name for name in ("s.json", "r.json.gz", "s.csv", "j.xml", "s.md")}
    r = cli("http", f"{demo_url}/health", "-n", "200", "-c", "2", "--quiet", "--store", f"sqlite:///{db}",
            "--json", str(out["s.json"]), "--out", str(out["r.json.gz"]), "--csv", str(out["s.csv"]),
            "--junit", str(out["j.xml"]), "--markdown", str(out["s.md"]),
            "--html", str(full_dir / "report.html"))  # fmt: skip
    assert r.code == 2, r.err
    lines = [line for line in r.err.splitlines() if line.startswith("loadpulse: error")]
    assert lines == [
        f"loadpulse: error: could not write --html '{full_dir / 'report.html'}': No space left on device"
    ]
    assert "Traceback" not in r.err
    for path in out.values():
        assert path.stat().st_size > 0, path
    assert json.loads(out["s.json"].read_text())["requests"]["total"] == 200
    assert list(full_dir.iterdir()) == []  # no 0-byte report, no temporary file
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT requests FROM loadpulse_runs").fetchall() == [(200,)]
