"""The console's pipeline section, printed from the Summary JSON ``pipeline`` object (built by the real
pipeline core), and nothing of it for a run without sinks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from loadpulse.outputs.console import print_summary
from loadpulse.outputs.files import write_results
from loadpulse.results.document import Results
from loadpulse.results.format import NO_DATA
from tests.conftest import CliResult
from tests.results.pipeline_factory import pipeline_dict
from tests.results.results_factory import scenario_results, synthetic_results

RED = "\x1b[31m"


def summary_with(pipeline: dict[str, Any] | None, scenario: bool = False) -> dict[str, Any]:
    summary = (scenario_results(seconds=2) if scenario else synthetic_results(seconds=2)).summary
    summary = dict(json.loads(json.dumps(summary)))  # a copy: the factory's summary stays as built
    if pipeline is not None:
        summary["pipeline"] = pipeline
    return summary


def printed(summary: dict[str, Any], color: bool = False) -> str:
    console = Console(
        record=True, width=200, force_terminal=color, color_system="standard" if color else None
    )
    print_summary(console, summary)
    return console.export_text(styles=color)


def line(text: str, head: str) -> str:
    found = [ln for ln in text.splitlines() if ln.strip().startswith(head)]
    assert len(found) == 1, (head, text)
    return found[0]


def test_the_section_shows_every_figure() -> None:
    text = printed(summary_with(pipeline_dict(lost=8, duplicates=2, unexpected=1, stuck=2, rejected=1)))
    counts = line(text, "pipeline")
    for part in ("sent 100", "delivered 90", "lost 8 (8.00%)", "duplicates 2", "unexpected 1", "rejected 1"):
        assert part in counts, counts
    assert "p50 40.00 ms  p95 40.00 ms  p99 40.00 ms  max 40.00 ms" in line(text, "e2e")
    assert "to the poll that first saw each item" in line(text, "e2e")
    assert "not drained after 2.00 s (8 never seen, 2 still in progress)" in line(text, "drain")
    workers = line(text, "workers")
    assert "w1 45  w2 45" in workers and "fairness 0.0%" in workers
    assert line(text, "stuck").split(None, 1)[1] == "run1-8, run1-9"
    assert line(text, "lost ids").endswith("run1-0, run1-1, run1-2, run1-3, run1-4 … (8 in all)")


def test_a_drained_pipeline_shows_its_drain_time_and_no_trouble_lines() -> None:
    text = printed(summary_with(pipeline_dict()))
    assert "drain     29.00 ms (load end to the last arrival)" in text
    assert "lost 0  duplicates 0" in line(text, "pipeline")
    assert "stuck" not in text and "lost ids" not in text and "unverified" not in text


def test_trouble_is_red_and_a_clean_run_is_not() -> None:
    bad = printed(summary_with(pipeline_dict(lost=1, duplicates=1, stuck=1)), color=True)
    assert f"{RED}lost 1" in bad and f"{RED}duplicates 1" in bad and f"{RED}stuck" in bad
    assert f"{RED}not drained" in bad
    good = printed(summary_with(pipeline_dict()), color=True)
    assert RED not in line(good, "pipeline") + line(good, "drain")


def test_unverified_items_and_an_unfinished_load_are_said() -> None:
    text = printed(summary_with(pipeline_dict(lost=2, sink_failed=True, load_ended=False, workers=())))
    assert "unverified 2 (not checked: sink failed or hung, or wait stopped)" in line(text, "pipeline")
    assert f"drain     {NO_DATA} (the load had not ended)" in text
    assert "workers" not in text and "lost ids" not in text


def test_at_most_ten_workers_busiest_and_idlest() -> None:
    names = tuple(f"w{i:02d}" for i in range(14))
    text = printed(summary_with(pipeline_dict(sent=140 - 4, workers=names)))
    workers = line(text, "workers")
    assert len(re.findall(r"\bw\d\d \d+", workers)) == 10 and "… 4 more …" in workers
    assert workers.index("w00 10") < workers.index("… 4 more …") < workers.index("w13 9")


def test_names_from_the_sink_are_escaped() -> None:
    pipeline = pipeline_dict(lost=1, workers=("[bold]w\x1b[2J",))
    pipeline["lost_ids"] = ["[red]id\nverdict PASS"]
    text = printed(summary_with(pipeline))
    assert "[bold]w\\x1b[2J 99" in line(text, "workers")
    assert line(text, "lost ids").endswith("[red]id\\nverdict PASS")


def test_no_section_without_a_pipeline() -> None:
    for scenario in (False, True):
        text = printed(summary_with(None, scenario))
        assert "pipeline" not in text and "drain" not in text and "e2e" not in text


def test_a_run_without_http_requests_shows_its_pipeline() -> None:
    assert "delivered 100" in line(printed(summary_with(pipeline_dict(), scenario=True)), "pipeline")


def test_show_prints_the_section_from_a_results_file(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    doc = synthetic_results(seconds=2).to_dict()
    doc["summary"]["pipeline"] = pipeline_dict(lost=1)
    write_results(Results.from_dict(doc), tmp_path / "r.json")
    r = cli("show", str(tmp_path / "r.json"))
    assert r.code == 0, r.err
    assert "lost 1 (1.00%)" in r.out and "run1-0" in r.out


def test_a_hostile_worker_name_is_cut_in_the_console() -> None:
    text = printed(summary_with(pipeline_dict(workers=("w" * 5000, "w2"))))
    assert "w" * 47 + "…" in line(text, "workers") and "w" * 49 not in text
