"""The console's drift lines, from a summary's ``drift`` block (grew, fell, stable, untested, not tested)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Console

from loadpulse.metrics.drift import DriftChoice, drift_block
from loadpulse.outputs.console_drift import print_drift
from loadpulse.results.format import markup_safe
from tests.metrics.test_drift import rows_of, steady


def _lines(summary: dict[str, Any]) -> list[str]:
    console = Console(width=140, record=True, color_system=None)
    print_drift(console, markup_safe(summary))
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_grew_and_stable_lines() -> None:
    n = 300
    p95 = steady(1, n) + np.linspace(0.0, 8.0, n)  # +8 ms over 5 min on ~20 ms
    queue = np.maximum(0.0, np.arange(n) - 10.0) / 2
    rows = rows_of(p95, probes={"queue[x]": queue, "rss": 100.0 + np.random.default_rng(0).normal(0, 0.3, n)})
    lines = _lines({"drift": drift_block(rows, 300.0, DriftChoice())})
    by_key = {line.split()[1] if line.startswith("  drift") else line.split()[0]: line for line in lines}
    assert lines[0].startswith("  drift     p50 ")
    assert "p95 grew 35 % over the run (+1.42 ms/min, significant, p = " in by_key["p95"]
    assert by_key["probe.queue[x]"].strip().startswith("probe.queue[x] grew 149.5 over the run (+30/min")
    assert by_key["probe.rss"].strip().startswith("probe.rss stable (")
    assert "errors.rate stable (+0 points over the run, p = 1)" in by_key["errors.rate"]
    assert "requests.rate stable (+0.0 % over the run, p = 1)" in by_key["requests.rate"]


def test_untested_series_and_untested_runs() -> None:
    rows = rows_of(steady(2, 60), probes={"late": np.r_[np.full(55, np.nan), np.ones(5)]})
    lines = _lines({"drift": drift_block(rows, 60.0, DriftChoice("on"))})
    assert any(
        "probe.late not tested: too few values over time (1 of 11 blocks have one" in line for line in lines
    )
    assert _lines({"drift": drift_block(rows, 60.0, DriftChoice())}) == []  # too short: the JSON says why
    assert _lines({}) == []  # --no-drift, or a results file from before drift


def test_a_short_forced_run_says_not_tested_once() -> None:
    rows = rows_of(steady(3, 8))  # 8 s with --drift: too few blocks for any series
    lines = _lines({"drift": drift_block(rows, 8.0, DriftChoice("on"))})
    assert len(lines) == 1 and lines[0].startswith("  drift     not tested: too few values over time")
    assert "p95" not in lines[0]


def test_untested_series_sharing_a_reason_share_a_line() -> None:
    gaps = np.r_[np.full(55, np.nan), np.ones(5)]
    rows = rows_of(steady(2, 60), probes={"a": gaps, "b": gaps})
    lines = _lines({"drift": drift_block(rows, 60.0, DriftChoice("on"))})
    untested = [line for line in lines if "not tested" in line]
    assert len(untested) == 1 and "probe.a, probe.b not tested: too few values" in untested[0]
    assert sum("stable" in line or "grew" in line or "fell" in line for line in lines) == 5
