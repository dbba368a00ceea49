"""A scenario requesting 10,000 distinct URLs without name= keeps its memory bounded (issue 16, item 1).

Before the sparse histograms and the name cap, each distinct path cost five dense 184 KiB histograms per
interval: a thousand paths took 1.6 GB and ten VUs for 8 s took a 24 GB machine down.
"""

from __future__ import annotations

import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

from loadpulse.engine.execute import execute_plan
from loadpulse.metrics.cardinality import MAX_NAMES, OTHER
from loadpulse.results.summary import build_summary
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan

REQUESTS = 10_000


def traced_run(tmp_path: Path, base_url: str, distinct: int) -> tuple[dict[str, Any], int]:
    """Summary and peak traced memory growth of ``REQUESTS`` requests over ``distinct`` paths."""
    path = tmp_path / f"paths_{distinct}.py"
    path.write_text(
        textwrap.dedent(
            f"""
            from loadpulse import task

            profile = {{"profile": "shared-iterations", "vus": 10, "iterations": {REQUESTS}}}
            sent = 0

            @task
            async def item(ctx):
                global sent
                sent += 1
                await ctx.http.get(f"/item/{{sent % {distinct}}}")
            """
        )
    )
    plan = build_plan(load_scenario(str(path)), RunOptions(base_url=base_url))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        summary = build_summary(execute_plan(plan, handle_signals=False))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return summary, peak


def test_ten_thousand_distinct_paths_stay_within_a_small_factor_of_ten(tmp_path: Path, demo_url: str) -> None:
    few, few_peak = traced_run(tmp_path, demo_url, 10)
    many, many_peak = traced_run(tmp_path, demo_url, REQUESTS)

    assert few["requests"]["total"] == many["requests"]["total"] == REQUESTS
    assert len(few["by_name"]) == 10 and few["warnings"] == []
    # What is left growing with the URL space is small per name (caches of a few hundred bytes); the
    # per-name statistics themselves stop at the cap. Unbounded, the ratio was in the thousands.
    assert many_peak < 20 * few_peak, (many_peak, few_peak)

    assert len(many["by_name"]) == MAX_NAMES + 1
    other = many["by_name"][OTHER]
    assert other["requests"]["total"] == REQUESTS - MAX_NAMES
    assert sum(b["requests"]["total"] for b in many["by_name"].values()) == REQUESTS
    (warning,) = [w for w in many["warnings"] if OTHER in w]
    assert warning.startswith(f"{REQUESTS:,} distinct request names")
    assert "use name= to group URLs, e.g. name='GET /item/{id}'" in warning
