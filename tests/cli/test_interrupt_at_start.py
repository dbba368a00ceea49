"""Ctrl-C at any moment of the command's start (importing, parsing, connecting) ends it with 130 and no
traceback: the console script's entry catches the interrupt before the command line is even imported."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("after_s", [0.15, 0.3, 0.6])
def test_ctrl_c_while_starting_is_an_interrupt_without_a_traceback(after_s: float) -> None:
    script = Path(sys.executable).with_name("loadpulse")  # the console script pyproject installs
    # Port 9 on loopback refuses: if the interrupt lands after the start, it stops a run of refusals.
    proc = subprocess.Popen(
        [str(script), "http", "http://127.0.0.1:9/", "-d", "5s", "-q", "--no-history"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a test suite started in the background (CI) has SIGINT ignored, and a child
        # inherits that, so Python would never raise KeyboardInterrupt while importing.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(after_s)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
