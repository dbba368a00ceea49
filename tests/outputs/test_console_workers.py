"""The console's per-worker table: from a constructed summary (a lost worker, a hostile reason, many
workers) and from a real `loadpulse run --workers 2` against the demo target."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from loadpulse.outputs.console_workers import MAX_WORKERS_SHOWN, imbalance_pct, print_workers
from loadpulse.results.format import NO_DATA, markup_safe
from tests.conftest import CliResult

REASON = "its process ended (killed by SIGKILL)"


def _worker(index: int, requests: int, **changes: Any) -> dict[str, Any]:
    w: dict[str, Any] = {
        "index": index, "state": "done", "requests": requests, "iterations": requests, "dropped": 0,
        "peak_vus": 16, "cpu_pct": 58.2, "max_rss_mb": 65.0, "share": 0.5,
    }  # fmt: skip
    w.update(changes)
    return w


def _lost(index: int, requests: int, why: str = REASON, **changes: Any) -> dict[str, Any]:
    return _worker(
        index, requests, state="lost", cpu_pct=None, max_rss_mb=None, lost_at_s=3.0, lost_why=why, **changes
    )


def _render(per_worker: list[dict[str, Any]], width: int = 100) -> tuple[list[str], str]:
    """The section's lines as shown, and as ANSI (to see the styles)."""
    lost = [w["index"] for w in per_worker if w["state"] == "lost"]
    summary = {
        "workers": {"count": len(per_worker), "backend": "local", "lost": lost, "per_worker": per_worker}
    }
    console = Console(record=True, width=width, force_terminal=True, color_system="standard")
    print_workers(console, markup_safe(summary))
    ansi = console.export_text(styles=True, clear=False)
    return console.export_text().splitlines(), ansi


def test_a_lost_worker_is_named_in_red_with_when_and_why() -> None:
    lines, ansi = _render([_worker(1, 50211, cpu_pct=97.0), _lost(2, 20877)])
    assert lines[0].strip().startswith("workers   2 processes (local)  ") and lines[0].endswith("  1 lost")
    assert "imbalance" not in lines[0]  # one worker left: nothing to compare
    assert lines[1].split() == [
        "worker",
        "state",
        "requests",
        "req",
        "share",
        "planned",
        "iterations",
        "dropped",
        "CPU",
        "peak",
        "mem",
    ]
    assert lines[2].split() == [
        "1", "of", "2", "ok", "50,211", "70.6%", "50.0%", "50,211", "0", "97%", "65", "MB"
    ]  # fmt: skip
    assert lines[3].split() == [
        "2",
        "of",
        "2",
        "lost",
        "at",
        "3.0",
        "s",
        "20,877",
        "29.4%",
        "50.0%",
        "20,877",
        "0",
        NO_DATA,
        NO_DATA,
    ]
    assert lines[4] == f"  worker 2 lost at 3.0 s: {REASON}"  # why under the table: in the row it is too wide
    assert f"\x1b[31mworker 2 lost at 3.0 s: {REASON}\x1b[0m" in ansi  # red
    assert "\x1b[33m97%\x1b[0m" in ansi  # a saturated generator stands out


def test_imbalance_is_against_each_workers_share_and_leaves_the_lost_out() -> None:
    assert imbalance_pct([_worker(1, 60), _worker(2, 40)]) == 20.0
    assert imbalance_pct([_worker(1, 60, share=0.75), _worker(2, 20, share=0.25)]) == 0.0
    assert imbalance_pct([_worker(1, 50, share=1 / 3), _worker(2, 50, share=1 / 3), _lost(3, 1)]) == 0.0
    assert imbalance_pct([_worker(1, 50), _lost(2, 1)]) is None  # nothing left to compare
    assert imbalance_pct([_worker(1, 0), _worker(2, 0)]) is None


def test_a_hostile_reason_is_shown_as_written_and_cut() -> None:
    why = "[bold]boom[/bold] \\" + "x" * 200
    lines, ansi = _render([_worker(1, 10), _lost(2, 5, why=why)])
    said = "".join(line.strip() for line in lines[4:])  # a long reason wraps
    assert said.startswith("worker 2 lost at 3.0 s: [bold]boom[/bold]\\xxx") and said.endswith("x…")
    assert said.count("x") < 150
    assert "\x1b[1mboom" not in ansi


def test_workers_stopped_while_they_set_up_read_not_started() -> None:
    lines, _ = _render([_worker(1, 0, state="starting", cpu_pct=None), _worker(2, 0, state="ready")])
    assert [line.split()[3:5] for line in lines[2:4]] == [["not", "started"], ["not", "started"]]


def test_the_coordinators_imbalance_is_shown_over_one_from_the_rows() -> None:
    """The coordinator judges it scenario by scenario (a 1-VU scenario beside a split rate is not one)."""
    rows = [_worker(1, 27_072, share=0.502), _worker(2, 101, share=0.498)]
    summary = {
        "workers": {"count": 2, "backend": "local", "lost": [], "per_worker": rows, "imbalance_pct": 1.0}
    }
    console = Console(width=120, record=True, color_system=None)
    print_workers(console, summary)
    assert "imbalance 1.0%" in console.export_text()


def test_eight_workers_fit_in_100_columns() -> None:
    rows = [_worker(i, 1_234_567 + i, share=1 / 8, dropped=12_345, max_rss_mb=1234.5) for i in range(1, 8)]
    rows.append(_lost(8, 3, why="it sent nothing for 2 intervals and then some more words", share=1 / 8))
    lines, _ = _render(rows, width=200)
    assert len(lines) == 11 and max(len(line.rstrip()) for line in lines) <= 100


def test_past_16_workers_the_busiest_and_the_idlest_and_every_lost_one_show() -> None:
    rows = [_worker(i, 1000 + i, share=1 / 40) for i in range(1, 41)]
    rows[19] = _lost(20, 1020, share=1 / 40)  # a lost worker in the middle of the pack still shows
    lines, _ = _render(rows)
    shown = [line.split()[0] for line in lines[2:] if " of 40" in line]
    half = MAX_WORKERS_SHOWN // 2
    assert shown[:half] == [str(i) for i in range(40, 40 - half, -1)]
    assert "20" in shown and shown[-1] == "1" and len(shown) == MAX_WORKERS_SHOWN
    assert any("… 24 more" in line for line in lines)


def test_a_single_process_run_has_no_workers_section() -> None:
    console = Console(record=True, width=100)
    print_workers(console, {})
    assert console.export_text() == ""


def test_a_real_two_worker_run_shows_both_workers(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    scenario = tmp_path / "scenario.py"
    scenario.write_text(
        "from loadpulse import task\n\n"
        'profile = {"profile": "per-vu-iterations", "vus": 4, "iterations": 25}\n\n'
        "@task\nasync def hit(ctx):\n    await ctx.http.get('/health', name='health')\n"
    )
    summary_path = tmp_path / "summary.json"
    res = cli(
        "run", str(scenario), "-u", demo_url, "--workers", "2", "--json", str(summary_path), "--no-history"
    )
    assert res.code == 0, res.err
    out = res.out + res.err
    assert "2 processes (local)" in out and "imbalance 0.0%" in out
    for index in (1, 2):
        row = next(line for line in out.splitlines() if line.startswith(f"{index} of 2"))
        assert row.split()[3:6] == ["ok", "50", "50.0%"]
    per_worker = json.loads(summary_path.read_text())["workers"]["per_worker"]
    assert [w["requests"] for w in per_worker] == [50, 50]
