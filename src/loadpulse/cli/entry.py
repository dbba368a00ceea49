"""The ``loadpulse`` executable's entry point, kept apart from cli/app.py so that a Ctrl-C while the command
line is still importing (typer, rich, the engine: most of a second) ends it quietly, with the exit code of
an interrupt, as one at any later moment does (cli/app.py's ``main``)."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from loadpulse.cli.app import main as run
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        # An interrupt's exit code (engine/watchdog.py's EXIT_INTERRUPTED), not imported: importing is
        # what was interrupted.
        sys.exit(130)
    run()
