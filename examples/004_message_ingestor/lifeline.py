"""A child of the example target ends when its launcher is gone, even one killed with SIGKILL: nothing of
the target outlives a crashed or killed ``target.py`` (no process left holding the port or the queue)."""

from __future__ import annotations

import os
import signal
import threading
import time

LAUNCHER_PID = "INGESTOR_LAUNCHER_PID"
"""Set by target.py for its children: the parent they must have. Asking os.getppid() at start instead would
miss a launcher killed before the child got that far (the child would watch its new parent forever)."""


def exit_with_parent(poll_s: float = 0.5) -> None:
    """Send this process SIGTERM (its own graceful stop) once its launcher has gone."""
    parent = int(os.environ.get(LAUNCHER_PID) or os.getppid())

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()
