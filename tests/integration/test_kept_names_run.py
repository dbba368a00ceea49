"""A threshold on a request that first shows up after the name cap is full still sees its data."""

from __future__ import annotations

import textwrap
from pathlib import Path

from loadpulse.engine.execute import execute_plan
from loadpulse.results.summary import build_summary
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.verdict import evaluate

SCENARIO = """
from loadpulse import task

scenarios = {
    "crawl": {"profile": "per-vu-iterations", "vus": 2, "iterations": 650},
    "checkout": {"profile": "per-vu-iterations", "vus": 1, "iterations": 3, "start": "1s"},
}
thresholds = ["requests{name=checkout}.count == 3", "checks{name=paid}.rate == 100%"]

@task(scenario="crawl")
async def crawl(ctx):
    await ctx.http.get(f"/item/{ctx.vu.id}/{ctx.vu.iteration}")
    ctx.check(True, f"seen {ctx.vu.id}/{ctx.vu.iteration}")

@task(scenario="checkout")
async def checkout(ctx):
    r = await ctx.http.get("/health", name="checkout")
    ctx.check(r.status == 200, "paid")
"""


def test_late_names_that_thresholds_point_at_are_not_grouped(tmp_path: Path, demo_url: str) -> None:
    path = tmp_path / "late.py"
    path.write_text(textwrap.dedent(SCENARIO))
    plan = build_plan(load_scenario(str(path)), RunOptions(base_url=demo_url))
    outcome = execute_plan(plan, handle_signals=False)
    summary = build_summary(outcome)
    assert "(other)" in summary["by_name"]  # the cap was full before checkout began
    assert summary["by_name"]["checkout"]["requests"]["total"] == 3
    assert summary["checks"]["paid"]["passed"] == 3
    verdicts = evaluate(parse_thresholds(plan.thresholds), outcome.aggregate)
    assert [v.verdict for v in verdicts] == ["PASS", "PASS"]
