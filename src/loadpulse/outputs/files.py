"""The one path every output file takes: checked before the load, written atomically, failures collected.

A run can last hours; finding out afterwards that ``--html`` points into a missing folder (or that the disk
is full) must not cost the run. So:

- :func:`check_writable` runs before the load: each path's folder exists and takes a new file, the path is
  not a folder, and no two outputs name the same file. Any problem is BadInput (exit 2, nothing run).
- :func:`write_atomic` writes a temporary file beside the target and renames it over the target, so a
  reader never sees half a report and a failure leaves no empty or truncated file behind. A symlink is
  followed first (the link stays a link; the file it names is replaced), and a target that is not a
  regular file (``/dev/null``, a FIFO, ``/dev/stdout`` on a terminal or pipe, ``>(jq .)``) is written
  straight into: renaming over it would turn a device into a plain file, and a reader of a pipe would
  never see the data.
- :class:`OutputBatch` writes every output of a finished run even when one of them fails, and keeps one
  line per failure for the caller to print (and to exit 2 with) after the history row is saved.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.results.document import Results
from loadpulse.results.file import results_bytes

STDOUT = "-"
"""``--json -``: the Summary JSON goes to stdout, which is never checked or written atomically."""


def _umask() -> int:
    # os.umask can only be read by setting it; done once, at the first write, and set straight back.
    current = os.umask(0o022)
    os.umask(current)
    return current


def _stat(path: str) -> os.stat_result | None:
    """``path``'s status, symlinks (and /proc/self/fd magic links) followed; None when nothing is there.

    A symlink loop is an OSError naming it, not pathlib's RuntimeError."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "it is a symlink loop", path) from None
        raise


def _is_stream(status: os.stat_result | None) -> bool:
    """A device, FIFO or socket: written into as it is, never replaced."""
    return status is not None and not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode)


def _resolved(path: str) -> Path:
    """The file a write to ``path`` replaces: ``~`` expanded and every symlink followed."""
    return Path(os.path.realpath(os.path.expanduser(path)))


def check_writable(paths: Iterable[tuple[str, str | None]]) -> None:
    """BadInput naming the flag and the problem unless every ``(flag, path)`` can be written.

    A path of None is an output not asked for; ``-`` is stdout. The check creates and removes a temporary
    file in each file's folder (permission bits alone say nothing about read-only mounts or root), but
    never beside a device or FIFO: those are only checked for write permission."""
    seen: dict[Path, str] = {}
    for flag, path in paths:
        if path is None or path == STDOUT:
            continue
        if not path.strip():
            raise BadInput(f"{flag} needs a file path, got an empty one")
        given = os.path.expanduser(path)
        try:
            status = _stat(given)
        except OSError as exc:
            raise BadInput(f"{flag} {path!r}: {exc.strerror or exc}") from None
        target = _resolved(path)
        if target in seen:
            raise BadInput(f"{seen[target]} and {flag} both write {path!r}: give each output its own file")
        seen[target] = flag
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise BadInput(f"{flag} {path!r} is a folder: give a file path inside it")
        if _is_stream(status):
            if not os.access(given, os.W_OK):
                raise BadInput(f"{flag} {path!r}: cannot write to it (permission denied)")
            continue
        folder = target.parent
        if not folder.is_dir():
            raise BadInput(f"{flag} {path!r}: folder {str(folder)!r} does not exist (create it first)")
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".loadpulse-check-"):
                pass
        except OSError as exc:
            raise BadInput(
                f"{flag} {path!r}: cannot write in {str(folder)!r} ({exc.strerror or exc})"
            ) from None


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    The file gets the mode a plain ``open(path, "w")`` would give it (0666 less the umask, or the mode of
    the file it replaces), not the 0600 of a temporary file. A symlink is followed and the file it names
    replaced; a device, FIFO or socket is written into directly (see the module docstring)."""
    given = os.path.expanduser(str(path))
    status = _stat(given)
    if _is_stream(status):
        _write_into(given, data)
        return
    target = _resolved(given)
    mode = status.st_mode & 0o777 if status is not None else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_into(path: str, data: bytes) -> None:
    # No O_CREAT: had the device or FIFO gone since the check, a regular file must not appear in its
    # place (in /dev, say). No O_TRUNC: a stream has nothing to truncate.
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def summary_json(summary: dict[str, Any]) -> str:
    """The Summary JSON as written to ``--json``: indented, one trailing newline."""
    return json.dumps(summary, indent=2) + "\n"


def write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def failure_line(flag: str, path: str, exc: BaseException) -> str:
    """One line naming the output, the file and what went wrong (no traceback)."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
    return f"could not write {flag} {path!r}: {reason}"


@dataclass(slots=True)
class OutputBatch:
    """Writes a finished run's outputs one by one; one failing never stops the others."""

    failures: list[str] = field(default_factory=list)

    def write(self, flag: str, path: str | None, produce: Callable[[], bytes]) -> None:
        """Write ``produce()`` to ``path`` (stdout for ``-``), recording a failure instead of raising."""
        if path is None:
            return
        try:
            data = produce()
            if path == STDOUT:
                write_stdout(data.decode("utf-8"))
            else:
                write_atomic(path, data)
        except (OSError, ValueError) as exc:
            # ValueError: a report that could not be rendered (an encoding problem) is an output failure
            # like a full disk, not a reason to lose the other outputs or the history row.
            self.failures.append(failure_line(flag, path, exc))

    def append(self, what: str, path: str, text: str) -> None:
        """Append ``text`` to a file that others also write (GITHUB_STEP_SUMMARY): never replaced."""
        try:
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            self.failures.append(failure_line(what, path, exc))


def write_results(results: Results, path: str | Path) -> None:
    """The results file (``--out``), written atomically."""
    write_atomic(path, results_bytes(results, path))
