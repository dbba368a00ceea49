"""Process faults: finding the processes a kill target names, signalling them, restarting a killed one.

``process:NAME`` matches a process whose name, executable or script (the first argument that is not an
option, after an interpreter: ``python -u worker.py``) is ``NAME``, with or without its extension, or
that runs module NAME (``python -m app.worker``: ``app.worker`` or ``worker``);
``cmd:SUBSTRING`` any process whose command line contains it (``cmd:A & B``: contains each, in any
order); ``pid:N`` that one process.

loadpulse's own processes never match: itself, the processes it runs under (its parent shell, pytest),
and its machinery — its ``--workers`` processes and multiprocessing's helpers (resource tracker,
forkserver), theirs included. Processes the run started *for the user* can, wherever they run: the demo
target, what ``setup()`` starts (in each ``--workers`` process too), ``restart:`` and ``run:`` commands
(seed 000's random kills go on killing the restarted workers). Restarted processes run in their own
process group and session, so the run's end can stop them and everything they started.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import psutil

from loadpulse.faults.spec import KillTarget

SIGNAL_OF = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM, "STOP": signal.SIGSTOP}
STOP_WAIT_S = 3.0
"""How long the run's end waits for a restarted process group to end on SIGTERM before SIGKILL."""


MANY_MATCHES = 10
"""A kill target matching more processes than this (without ``random``) is worth a warning."""
_MACHINERY = ("multiprocessing.spawn", "multiprocessing.resource_tracker", "multiprocessing.forkserver",
              "--multiprocessing-fork", "loadpulse.engine.worker_process")  # fmt: skip
"""In a child's command line: one multiprocessing started (a worker, a helper), not the user."""


def _machinery_pids() -> set[int]:
    """Children this process started through multiprocessing (known to it by pid)."""
    pids = {p.pid for p in multiprocessing.active_children() if p.pid is not None}
    # Private, but the only place these helpers' pids are known; absent, the command line still tells.
    from multiprocessing import forkserver, resource_tracker

    for helper in (
        getattr(resource_tracker, "_resource_tracker", None),
        getattr(forkserver, "_forkserver", None),
    ):
        pid = getattr(helper, "_pid", None) or getattr(helper, "_forkserver_pid", None)
        if isinstance(pid, int):
            pids.add(pid)
    return pids


def _is_machinery(child: psutil.Process, known: set[int]) -> bool:
    if child.pid in known:
        return True
    try:
        cmd = " ".join(child.cmdline())
    except psutil.Error:
        return False
    return any(mark in cmd for mark in _MACHINERY)


def own_processes() -> set[int]:
    """loadpulse's own processes (see the module): never a kill target, whatever the pattern."""
    out = {os.getpid()}
    try:
        me = psutil.Process()
        out.update(p.pid for p in me.parents())
        known = _machinery_pids()
        for child in me.children():
            if _is_machinery(child, known):
                out.add(child.pid)
                # A worker's own helpers (its resource tracker) are loadpulse's too; what the user's code
                # started under a worker (setup()'s processes) is not, so it stays a target.
                out.update(d.pid for d in child.children(recursive=True) if _is_machinery(d, known))
    except psutil.Error:
        pass
    return out


def own_pid(target: KillTarget) -> bool:
    """Whether ``target`` is ``pid:N`` naming one of loadpulse's own processes (never signalled)."""
    return target.mode == "pid" and int(target.value) in own_processes()


def _names_of(proc: psutil.Process) -> list[str]:
    names: list[str] = []
    try:
        names.append(proc.name())
        cmd = proc.cmdline()
    except psutil.Error:
        return names
    if cmd:
        names.append(Path(cmd[0]).name)
        # The script an interpreter runs: its first argument that is not an option (python -u w.py), or
        # the module it runs (python -m app.worker: app.worker and worker).
        args = iter(cmd[1:])
        for arg in args:
            if arg == "-c":
                break
            if arg == "-m":
                module = next(args, "")
                names += [module, module.rsplit(".", 1)[-1]]
                break
            if not arg.startswith("-"):
                names.append(Path(arg).name)
                break
    return names


def _matches_name(proc: psutil.Process, name: str) -> bool:
    return any(candidate == name or Path(candidate).stem == name for candidate in _names_of(proc))


CMD_AND = " & "
"""Between the pieces of a ``cmd:`` target that must all be in the command line, in any order."""


def _matches_cmd(proc: psutil.Process, text: str) -> bool:
    try:
        line = " ".join(proc.cmdline())
    except psutil.Error:
        return False
    # `cmd:worker.py & --queue jobs`: each piece anywhere, so the arguments' order does not matter
    return all(piece.strip() in line for piece in text.split(CMD_AND))


def find(target: KillTarget) -> list[psutil.Process]:
    """The processes ``target`` names now, by pid; one at random for a ``random`` target."""
    mine = own_processes()
    if target.mode == "pid":
        pid = int(target.value)
        try:
            proc = psutil.Process(pid)
            alive = proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return []
        return [proc] if alive and pid not in mine else []
    found: list[psutil.Process] = []
    for proc in psutil.process_iter():
        if proc.pid in mine:
            continue
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
        except psutil.Error:
            continue
        hit = (
            _matches_name(proc, target.value)
            if target.mode == "process"
            else _matches_cmd(proc, target.value)
        )
        if hit:
            found.append(proc)
    found.sort(key=lambda p: p.pid)
    if target.random and found:
        return [random.choice(found)]
    return found


def send(procs: list[psutil.Process], sig: str) -> tuple[list[int], list[str]]:
    """Signal each process; (pids signalled, one line per process that could not be)."""
    done: list[int] = []
    problems: list[str] = []
    for proc in procs:
        try:
            proc.send_signal(SIGNAL_OF[sig])
            done.append(proc.pid)
        except psutil.NoSuchProcess:
            problems.append(f"pid {proc.pid} had already ended")
        except psutil.AccessDenied:
            problems.append(f"pid {proc.pid}: not allowed to signal it (another user's process?)")
    return done, problems


def ended(pids: list[int]) -> list[int]:
    """Those of ``pids`` that have ended (a zombie included: a paused process killed meanwhile)."""
    out: list[int] = []
    for pid in pids:
        try:
            gone = psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            gone = True
        except psutil.Error:
            gone = False
        if gone:
            out.append(pid)
    return out


def resume(pids: list[int]) -> None:
    """SIGCONT to paused processes (those still there)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGCONT)


def wait_gone(pids: list[int], timeout_s: float) -> None:
    """Until every pid has ended (reaped or not), at most ``timeout_s``; blocking: call off the loop."""
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.Error:
            continue
    deadline = time.monotonic() + timeout_s
    while procs and time.monotonic() < deadline:
        procs = [p for p in procs if _alive(p)]
        if procs:
            time.sleep(0.02)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def start_command(command: str) -> subprocess.Popen[bytes]:
    """``command`` through the shell in its own session (process group), output discarded."""
    return subprocess.Popen(
        command,
        shell=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_group(proc: subprocess.Popen[bytes], wait_s: float = STOP_WAIT_S) -> None:
    """End a command started by :func:`start_command` and everything it started: SIGTERM to its group,
    SIGKILL after ``wait_s``. Blocking: call off the loop."""
    if proc.poll() is not None:
        _kill_group(proc.pid, signal.SIGKILL)  # children it left behind
        return
    _kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(wait_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid, signal.SIGKILL)
        proc.wait(wait_s)
    _kill_group(proc.pid, signal.SIGKILL)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
