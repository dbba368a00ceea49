"""Output targets that are not plain files: a device, a FIFO or a symlink is written through, never
replaced (``--json /dev/null`` as root must not turn /dev/null into a regular file), and a symlink loop is
one line, exit 2."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loadpulse.errors import BadInput
from loadpulse.outputs.files import OutputBatch, check_writable, write_atomic
from tests.conftest import CliResult


class FifoReader:
    """A FIFO in tmp_path with a thread reading everything written to it (opening it for writing blocks
    until a reader is there, as with ``>(jq .)``)."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.data = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as f:
            self.data = f.read()

    def received(self) -> bytes:
        self._thread.join(timeout=30)
        assert not self._thread.is_alive(), "nothing closed the FIFO"
        return self.data


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[FifoReader]:
    reader = FifoReader(tmp_path / "pipe")
    yield reader
    if reader._thread.is_alive():  # unblock the reader when a test failed before writing
        with open(reader.path, "wb"):
            pass


def test_a_fifo_target_is_written_into_and_stays_a_fifo(fifo: FifoReader) -> None:
    check_writable([("--json", str(fifo.path))])
    assert [p.name for p in fifo.path.parent.iterdir()] == ["pipe"]  # no temporary file beside it
    write_atomic(fifo.path, b'{"ok": true}\n')
    assert fifo.received() == b'{"ok": true}\n'
    assert stat.S_ISFIFO(fifo.path.lstat().st_mode)
    assert [p.name for p in fifo.path.parent.iterdir()] == ["pipe"]


def test_a_symlink_to_a_file_stays_a_link_and_the_file_it_names_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real" / "s.json"
    real.parent.mkdir()
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    check_writable([("--json", str(link))])
    write_atomic(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new" and real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real"]
    assert [p.name for p in real.parent.iterdir()] == ["s.json"]


def test_a_dangling_symlink_stays_a_link_and_its_file_is_created(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "later.json")
    write_atomic(link, b"data")
    assert link.is_symlink() and (tmp_path / "later.json").read_bytes() == b"data"


def test_two_outputs_through_a_symlink_to_one_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "link.json").symlink_to(tmp_path / "s.json")
    with pytest.raises(BadInput, match="--json and --html both write"):
        check_writable([("--json", str(tmp_path / "s.json")), ("--html", str(tmp_path / "link.json"))])


def test_dev_null_stays_a_character_device(tmp_path: Path) -> None:
    check_writable([("--json", "/dev/null")])
    write_atomic("/dev/null", b"discarded")
    batch = OutputBatch()
    batch.write("--html", "/dev/null", lambda: b"<html></html>")
    assert batch.failures == []
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_a_symlink_loop_is_refused_before_the_load(tmp_path: Path) -> None:
    loop = tmp_path / "loop1"
    loop.symlink_to(loop)
    with pytest.raises(BadInput, match=r"--json '.*loop1': it is a symlink loop"):
        check_writable([("--json", str(loop))])


def test_a_symlink_loop_after_the_check_is_one_failure_line(tmp_path: Path) -> None:
    loop = tmp_path / "loop1"
    loop.symlink_to(loop)
    batch = OutputBatch()
    batch.write("--csv", str(loop), lambda: b"a,b\n")
    assert batch.failures == [f"could not write --csv '{loop}': it is a symlink loop"]


def test_run_writes_its_summary_json_into_a_fifo(
    cli: Callable[..., CliResult], demo_url: str, fifo: FifoReader
) -> None:
    r = cli("http", f"{demo_url}/health", "-n", "20", "-c", "2", "-q", "--no-history",
            "--json", str(fifo.path))  # fmt: skip
    assert r.code == 0, r.err
    assert json.loads(fifo.received())["requests"]["total"] == 20
    assert stat.S_ISFIFO(fifo.path.lstat().st_mode)


def test_run_into_dev_null_leaves_it_a_character_device(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    r = cli("http", f"{demo_url}/health", "-n", "10", "-q", "--no-history",
            "--json", "/dev/null", "--html", str(tmp_path / "r.html"))  # fmt: skip
    assert r.code == 0, r.err
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.mark.parametrize("flag", ["--json", "--html", "--csv", "--junit", "--markdown"])
def test_report_into_a_symlink_loop_is_one_line_exit_2(
    cli: Callable[..., CliResult], tmp_path: Path, flag: str
) -> None:
    loop = tmp_path / "loop1"
    loop.symlink_to(loop)
    r = cli("report", "last", flag, str(loop))
    assert r.code == 2
    assert r.err == f"loadpulse: error: {flag} '{loop}': it is a symlink loop\n"


def test_run_into_a_symlink_loop_is_one_line_exit_2_before_any_load(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    loop = tmp_path / "loop1"
    loop.symlink_to(loop)
    r = cli("http", "http://127.0.0.1:9/", "-d", "30s", "--no-history", "--json", str(loop))
    assert r.code == 2 and r.out == ""
    assert r.err == f"loadpulse: error: --json '{loop}': it is a symlink loop\n"
