"""Terminal consoles shared by the commands. rich honours NO_COLOR and drops colour when not a TTY."""

from __future__ import annotations

import sys

from rich.console import Console

from loadpulse.redaction import redact_text

PIPE_WIDTH = 120
"""Width when writing to a file or pipe: wide enough that summary tables never wrap in CI logs."""


def _console(stream: object) -> Console:
    console = Console(file=stream, highlight=False)  # type: ignore[arg-type]
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


def stdout_console() -> Console:
    return _console(sys.stdout)


def stderr_console() -> Console:
    return _console(sys.stderr)


def fail(message: str, detail: str = "") -> None:
    """One plain line on stderr for bad input, prefixed with the program name (then ``detail``, if any).
    A URL's password in the message (a bad target or store URL echoed back) is redacted."""
    message, detail = redact_text(message), redact_text(detail)
    sys.stderr.write(f"loadpulse: error: {message}\n" + (f"{detail}\n" if detail else ""))
    sys.stderr.flush()
