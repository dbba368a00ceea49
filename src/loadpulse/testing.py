"""Load tests as ordinary pytest tests (a pytest plugin, registered through the ``pytest11`` entry point).

    def test_health_is_fast(loadpulse_run):
        result = loadpulse_run("http://127.0.0.1:8000/health", requests=2000, connections=20,
                               thresholds=["p95 < 50ms", "errors.rate < 1%"])
        result.assert_passed()          # readable failure: which threshold, what was measured
        assert result.latency.p99 < 200

``loadpulse_run`` runs in-process, on its own event loop (so not from inside a running asyncio loop), a URL
(the one-liner) or a scenario file (``.py``/``.yaml``) under a profile, preset and overrides. It returns a
:class:`LoadResult` over Summary JSON v1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from loadpulse.engine.execute import execute, execute_plan
from loadpulse.profiles.presets import Overrides
from loadpulse.results.summary import build_summary
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec, validated
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.verdict import evaluate


class LoadResult:
    """A finished run: ``verdict``, ``latency.p95`` (ms), ``requests.rate``, ``errors``, ``checks``."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        self.verdict: str = summary["verdict"]
        self.latency = SimpleNamespace(
            **{k.replace("p999", "p99_9"): v for k, v in summary["latency_ms"].items()}
        )
        self.requests = SimpleNamespace(**summary["requests"])
        self.errors: dict[str, int] = dict(summary["errors"])
        self.checks: dict[str, dict[str, Any]] = dict(summary.get("checks", {}))
        self.thresholds: list[dict[str, Any]] = list(summary["thresholds"])

    @property
    def passed(self) -> bool:
        return self.verdict in ("PASS", "WARN", "NONE")

    def failures(self, fail_on_warn: bool = False) -> list[dict[str, Any]]:
        bad = ("FAIL", "WARN") if fail_on_warn else ("FAIL",)
        return [t for t in self.thresholds if t["verdict"] in bad]

    def assert_passed(self, fail_on_warn: bool = False) -> None:
        """AssertionError naming every threshold that failed and what was measured."""
        failed = self.failures(fail_on_warn)
        if failed:
            lines = [
                f"loadpulse verdict {self.verdict}: {len(failed)} of {len(self.thresholds)} thresholds failed"
            ]
            lines += [f"  {t['expression']}: measured {t['actual_text']} ({t['verdict']})" for t in failed]
            raise AssertionError("\n".join(lines))

    def __repr__(self) -> str:
        return f"<LoadResult {self.verdict} {self.requests.total} requests, p95 {self.latency.p95} ms>"


def run_load(
    target: str | Path,
    *,
    thresholds: Sequence[str] = (),
    requests: int | None = None,
    duration: float | None = None,
    connections: int = 10,
    rate: float | None = None,
    method: str = "GET",
    base_url: str | None = None,
    profile: str | None = None,
    vus: int | None = None,
    iterations: int | None = None,
    stages: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> LoadResult:
    """Run a URL or a scenario file with thresholds and return the result (never raises on FAIL)."""
    target = str(target)
    if Path(target).suffix.lower() in (".py", ".yaml", ".yml"):
        plan = build_plan(
            load_scenario(target),
            RunOptions(
                profile=profile,
                overrides=Overrides(
                    vus=vus, rate=rate, duration_s=duration, iterations=iterations, stages=tuple(stages)
                ),
                base_url=base_url,
                env=dict(env or {}),
                extra_thresholds=tuple(thresholds),
            ),
        )
        parsed_thresholds = parse_thresholds(plan.thresholds, plan.metrics)
        outcome = execute_plan(plan, handle_signals=False)
    else:
        spec = validated(
            RunSpec,
            requests=(validated(RequestSpec, url=target, method=method),),
            load=validated(
                LoadSpec, connections=connections, requests=requests, duration_s=duration, rate=rate
            ),
        )
        parsed_thresholds = parse_thresholds(thresholds)
        outcome = execute(spec, handle_signals=False)
    return LoadResult(build_summary(outcome, evaluate(parsed_thresholds, outcome.aggregate)))


@pytest.fixture
def loadpulse_run() -> Callable[..., LoadResult]:
    """The :func:`run_load` function, as a fixture."""
    return run_load
