"""The pytest plugin, exercised by pytester: a load test written as an ordinary test."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_plugin_fixture_passes_and_fails_readably(pytester: pytest.Pytester, nginx: object) -> None:
    url = nginx.url  # type: ignore[attr-defined]
    pytester.makepyfile(
        f"""
        def test_fast(loadpulse_run):
            result = loadpulse_run("{url}", requests=300, connections=4,
                                   thresholds=["p95 < 1s", "errors.rate < 1%"])
            result.assert_passed()
            assert result.verdict == "PASS"
            assert result.requests.total == 300 and result.latency.p95 < 1000
            assert result.errors == {{}}

        def test_too_strict(loadpulse_run):
            result = loadpulse_run("{url}", requests=100, connections=2, thresholds=["requests.count > 1000"])
            assert result.verdict == "FAIL"
            result.assert_passed()
        """
    )
    out = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    out.assert_outcomes(passed=1, failed=1)
    out.stdout.fnmatch_lines(
        [
            "*loadpulse verdict FAIL: 1 of 1 thresholds failed*",
            "*requests.count > 1000: measured 100 (FAIL)*",
        ]
    )


def test_plugin_runs_a_scenario_file(pytester: pytest.Pytester, demo_url: str) -> None:
    pytester.makefile(
        ".yaml",
        flows="scenarios:\n  - requests:\n      - {url: /health, check: {status: 200}}\n",
    )
    pytester.makepyfile(
        f"""
        def test_scenario(loadpulse_run):
            result = loadpulse_run("flows.yaml", base_url="{demo_url}", vus=2, iterations=20,
                                   thresholds=["checks.rate == 100%"])
            result.assert_passed()
            assert result.summary["scenarios"]["default"]["iterations"] == 20
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
