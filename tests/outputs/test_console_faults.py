"""The console's faults: the summary table (Summary JSON ``faults``) in an 80-column terminal, recovered and
never-recovered faults told apart by colour and text, hostile names shown as text; and the lines printed
while the run goes as faults start, end and are recovered from."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from loadpulse.outputs.console import ConsoleSummary
from loadpulse.outputs.console_faults import MAX_FAULTS_SHOWN, print_faults
from loadpulse.results.format import markup_safe


def fault(
    name: str, kind: str = "proxy", start: float = 10.0, end: float = 14.0, **changes: Any
) -> dict[str, Any]:
    f: dict[str, Any] = {
        "name": name, "kind": kind, "target": "db", "detail": "latency 200ms", "start_s": start,
        "end_s": end, "recovery_s": 1.25, "recovered": True,
        "impact": {"requests": 400, "errors": 12, "error_rate": 0.03, "dropped": 0, "p99_ms": 251.0},
        "warnings": [],
    }  # fmt: skip
    f.update(changes)
    return f


def FAULTS() -> list[dict[str, Any]]:
    return [
        fault("kill-worker", "kill", 5.0, 5.0, target="random process:worker.py", recovery_s=0.4,
              impact={"requests": 90, "errors": 0, "error_rate": 0.0, "dropped": 0, "p99_ms": 12.5}),
        fault("db-latency"),
        fault("core-down", "kill", 20.0, 20.0, target="process:api.py", recovery_s=None, recovered=False,
              warnings=["restart command exited 1"]),
    ]  # fmt: skip


def _render(faults: list[dict[str, Any]], width: int = 80) -> tuple[list[str], str]:
    console = Console(record=True, width=width, force_terminal=True, color_system="standard")
    print_faults(console, markup_safe({"faults": faults}))
    ansi = console.export_text(styles=True, clear=False)
    return console.export_text().splitlines(), ansi


def test_the_table_fits_80_columns_with_window_recovery_and_impact() -> None:
    lines, _ = _render(FAULTS())
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0].split() == [
        "faults",
        "3",
        "injected",
        "recovery",
        "max",
        "1.2",
        "s",
        "1",
        "never",
        "recovered",
    ]
    assert lines[1].split() == ["fault", "kind", "target", "when", "recovery", "errors", "p99"]
    kill, latency, core = lines[2], lines[3], lines[4]
    assert kill.split()[:2] == ["kill-worker", "kill"] and "at 5.0s" in kill and "400 ms" in kill
    assert "random process…" in kill  # the target cut, the JSON keeps it whole
    assert "10.0-14.0s" in latency and "1.2 s" in latency and "12 (3.0%)" in latency and "251 ms" in latency
    assert "at 20.0s" in core and "never" in core
    assert lines[5].strip() == "core-down: restart command exited 1"


def test_never_recovered_is_red_and_recovered_green() -> None:
    _, ansi = _render(FAULTS())
    assert "\x1b[32m400 ms\x1b[0m" in ansi and "\x1b[32m1.2 s\x1b[0m" in ansi
    assert "\x1b[31mnever\x1b[0m" in ansi and "\x1b[31mcore-down\x1b[0m" in ansi


def test_a_run_without_faults_prints_nothing() -> None:
    assert _render([])[0] == []


def test_a_hostile_name_is_text_not_markup_or_control() -> None:
    lines, ansi = _render([fault("[bold red]x\x1b[2J", target="[/]")])
    assert lines[2].startswith("[bold red]x\\x") and " [/] " in lines[2] and "\x1b[2J" not in ansi


def test_many_faults_keep_the_never_recovered_ones() -> None:
    many = [fault(f"f{i}", start=float(i), end=float(i) + 0.5) for i in range(30)]
    many[27] = fault("stuck", start=27.0, end=28.0, recovered=False, recovery_s=None)
    lines, _ = _render(many)
    names = [line.split()[0] for line in lines[2 : 2 + MAX_FAULTS_SHOWN]]
    assert "stuck" in names and len(names) == MAX_FAULTS_SHOWN
    assert "10 more faults" in lines[2 + MAX_FAULTS_SHOWN]


def test_live_lines_for_start_end_and_recovery() -> None:
    err = Console(record=True, width=100, force_terminal=False)
    out = ConsoleSummary(Console(record=True), err)
    out.on_fault("db-latency", "proxy", "start", 10.0, "latency 200ms on db")
    out.on_fault("db-latency", "proxy", "end", 14.0, "latency 200ms on db")
    out.on_fault("db-latency", "proxy", "recovered", 15.25, "after 1.2 s")
    out.on_fault("kill-worker", "kill", "start", 20.0, "SIGKILL pid 4242 (worker.py)")
    out.on_fault("kill-worker", "kill", "end", 20.0)  # a kill ends as it starts: no second line
    out.on_fault("kill-worker", "kill", "warning", 20.5, "restart command exited 1")
    assert err.export_text().splitlines() == [
        "  10.0s  fault db-latency (proxy) started: latency 200ms on db",
        "  14.0s  fault db-latency ended",
        # Said once its settling window held (later than 15.2 s): no time column out of order.
        "         fault db-latency recovered at 15.2s (after 1.2 s)",
        "  20.0s  fault kill-worker (kill) started: SIGKILL pid 4242 (worker.py)",
        "  20.5s  fault kill-worker: restart command exited 1",
    ]


def test_a_recovery_not_measurable_is_told_apart_from_never() -> None:
    faults = [
        fault("late", recovered=None, recovery_s=0.0, warnings=["recovery not measurable: ... did not fit"]),
        fault("gone", recovered=None, recovery_s=None),
        fault("stuck", recovered=False, recovery_s=None),
    ]
    lines, _ = _render(faults)
    assert "1 never recovered" in lines[0] and "2 not measurable (window too short)" in lines[0]
    rows = {line.split()[0]: line for line in lines[2:5]}
    assert "~0 s?" in rows["late"] and "n/m" in rows["gone"] and "never" in rows["stuck"]
    assert "never" not in rows["late"] + rows["gone"]
