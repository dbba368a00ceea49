"""Which processes a kill target names: by script, module, command line or pid; never loadpulse itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadpulse.chaos.processes import find
from loadpulse.faults.spec import parse_kill_target

LOOP = "import time\nwhile True:\n    time.sleep(0.2)\n"


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A script run as ``python -u NAME.py`` and as ``python -m pkg.NAME``, a name no other process has."""
    name = f"w_{uuid.uuid4().hex[:8]}"
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / f"{name}.py").write_text(LOOP)
    procs = [
        subprocess.Popen([sys.executable, "-u", str(pkg / f"{name}.py")]),
        subprocess.Popen([sys.executable, "-m", f"pkg.{name}"], cwd=tmp_path),
    ]
    time.sleep(0.3)
    try:
        yield name, procs
    finally:
        for p in procs:
            p.kill()
            p.wait(5)


def pids(target: str) -> list[int]:
    return [p.pid for p in find(parse_kill_target(target, "kill"))]


def test_targets(workers: tuple[str, list[subprocess.Popen[bytes]]]) -> None:
    name, (script, module) = workers
    assert pids(f"process:{name}.py") == [script.pid]
    assert pids(f"process:{name}") == sorted([script.pid, module.pid])
    assert pids(f"process:pkg.{name}") == [module.pid]
    assert pids(f"cmd:-m pkg.{name}") == [module.pid]
    assert pids(f"pid:{script.pid}") == [script.pid]
    assert len(pids(f"random process:{name}")) == 1
    assert pids(f"process:{name}x") == []


def test_loadpulse_itself_never_matches() -> None:
    assert os.getpid() not in pids(f"pid:{os.getpid()}")
    assert os.getpid() not in pids("cmd:python")


def test_a_cmd_target_with_pieces_matches_them_in_any_order() -> None:
    tag = f"lpfix_{uuid.uuid4().hex[:8]}"
    assert pids(f"cmd:{tag}") == []  # ours alone
    code = "import time; time.sleep(30)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, f"{tag}.py", "--redis", "r", "--queue", "q1"]),
        subprocess.Popen([sys.executable, "-c", code, f"{tag}.py", "--queue", "q1", "--redis", "r"]),
        subprocess.Popen([sys.executable, "-c", code, f"{tag}.py", "--queue", "q2"]),
    ]
    try:
        assert pids(f"cmd:{tag}.py & --queue q1") == sorted(p.pid for p in procs[:2])
        assert pids(f"cmd:--queue q1 & {tag}.py") == sorted(p.pid for p in procs[:2])
        assert pids(f"cmd:{tag}.py --queue q1") == [procs[1].pid]  # one piece: a plain substring
        assert pids(f"cmd:{tag}.py & --queue q3") == []
    finally:
        for p in procs:
            p.kill()
            p.wait(5)
