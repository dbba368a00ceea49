"""The seed examples run against the demo target at smoke scale, with their thresholds evaluated."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_seed_001_performance_targets(cli: Callable[..., CliResult], demo_url: str) -> None:
    path = EXAMPLES / "001_performance_targets" / "scenario.py"
    r = cli("run", str(path), "-u", demo_url, "-d", "2s", "--json", "-", "--quiet")
    s = r.summary()
    assert {t["metric"] for t in s["thresholds"]} == {
        "http{name=store}.p95",
        "http{name=store}.p99",
        "requests{name=store}.rate",
        "queue_length.max",
        "checks{name=stored}.rate",
    }
    assert all(t["actual"] is not None for t in s["thresholds"]), s["thresholds"]
    by = {t["metric"]: t for t in s["thresholds"]}
    assert by["checks{name=stored}.rate"]["verdict"] == "PASS"
    assert by["requests{name=store}.rate"]["actual"] > 50
    assert r.code == (1 if s["verdict"] == "FAIL" else 0)


def test_seed_003_pass_warn_fail(cli: Callable[..., CliResult], demo_url: str) -> None:
    path = EXAMPLES / "003_pass_warn_fail" / "scenario.yaml"
    r = cli("run", str(path), "-u", demo_url, "--json", "-", "--quiet")
    s = r.summary()
    assert s["scenarios"]["default"]["iterations"] == 10
    assert [t["verdict"] for t in s["thresholds"]] == ["PASS", "PASS", "PASS"], s["thresholds"]
    assert r.code == 0 and s["verdict"] == "PASS"
