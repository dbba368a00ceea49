from __future__ import annotations

import subprocess
import sys

import pytest

import loadpulse
from tests.services import Nginx


def test_import_is_cheap_and_runs_nothing() -> None:
    code = "import sys, loadpulse; print(sorted(m for m in ('numpy', 'asyncio', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError):
        loadpulse.nothing_here  # noqa: B018


def test_run_from_python(nginx: Nginx) -> None:
    spec = loadpulse.RunSpec(
        requests=(loadpulse.RequestSpec(url=nginx.url + "/"),),
        load=loadpulse.LoadSpec(connections=4, requests=200),
    )
    outcome = loadpulse.execute(spec, handle_signals=False)
    summary = loadpulse.build_summary(outcome)
    assert summary["requests"]["ok"] == 200 and summary["ended_by"] == "requests"
