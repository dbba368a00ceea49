"""A child of the example target ends when its launcher is gone, even one killed with SIGKILL: nothing of
the target outlives a crashed or killed ``target.py`` (no process left holding the port or the queue)."""

from __future__ import annotations

import os
import signal
import threading
import time


def exit_with_parent(poll_s: float = 0.5) -> None:
    """Send this process SIGTERM (its own graceful stop) once its parent has gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()
