"""The plan file: keys, values and files checked whole, errors as ``file:line: path: problem``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from loadpulse.errors import BadInput
from loadpulse.scenario.plan_file import load_plan

SCENARIO = "from loadpulse import task\n\n@task\nasync def ping(ctx):\n    await ctx.http.get('/health')\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "ping.py").write_text(SCENARIO)
    return tmp_path


def write(folder: Path, text: str) -> str:
    path = folder / "plan.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return str(path)


def error(path: str) -> str:
    with pytest.raises(BadInput) as exc:
        load_plan(path)
    return str(exc.value)


def test_runs_take_the_defaults_and_add_up_lists(folder: Path) -> None:
    path = write(
        folder,
        """
        name: nightly
        defaults:
          base_url: http://127.0.0.1:9
          thresholds: ["errors.rate < 1%"]
          env: {A: "1", B: "2"}
          connections: 7
        runs:
          - name: quick
            scenario: ping.py
            preset: quick
            thresholds: ["p95 < 200ms"]
            env: {B: "3"}
            stop_on_fail: true
          - pause: 30s
          - pause: 1m
          - url: /health
            duration: 2
        """,
    )
    plan = load_plan(path)
    assert plan.name == "nightly"
    quick, health = plan.runs
    assert (quick.kind, quick.target) == ("scenario", str(folder / "ping.py"))
    assert quick.options["thresholds"] == ["errors.rate < 1%", "p95 < 200ms"]
    assert quick.options["env"] == {"A": "1", "B": "3"}
    assert quick.options["base_url"] == "http://127.0.0.1:9"
    assert "connections" not in quick.options  # a url run's default, not a scenario's
    assert quick.stop_on_fail and quick.pause_before_s == 0
    assert (health.kind, health.target, health.name) == (
        "url",
        "http://127.0.0.1:9/health",
        "127.0.0.1:9/health",
    )
    assert health.pause_before_s == 90
    assert health.options["connections"] == 7 and health.options["duration"] == "2s"
    assert not health.stop_on_fail


def test_the_command_lines_base_url_wins(folder: Path) -> None:
    path = write(
        folder, "defaults: {base_url: 'http://127.0.0.1:9'}\nruns: [{url: /x}, {scenario: ping.py}]\n"
    )
    plan = load_plan(path, base_url="http://127.0.0.1:8")
    assert plan.runs[0].target == "http://127.0.0.1:8/x"
    assert plan.runs[1].options["base_url"] == "http://127.0.0.1:8"
    assert plan.name == "plan"  # the file's stem


def test_an_unknown_key_names_its_line_and_a_close_key(folder: Path) -> None:
    path = write(
        folder,
        """
        runs:
          - scenario: ping.py
          - scenario: ping.py
            stop_on_fial: true
        """,
    )
    assert error(path) == f"{path}:4: runs[1].stop_on_fial: unknown key; did you mean 'stop_on_fail'?"


def test_an_unknown_key_in_the_defaults_and_at_the_top(folder: Path) -> None:
    path = write(folder, "defaults:\n  treshold: ['p95 < 1s']\nruns: [{scenario: ping.py}]\n")
    assert error(path) == f"{path}:2: defaults.treshold: unknown key; did you mean 'thresholds'?"
    path = write(folder, "run: [{scenario: ping.py}]\n")
    assert error(path) == f"{path}:1: run: unknown key; did you mean 'runs'?"


def test_a_missing_scenario_in_any_run_is_found_before_running(folder: Path) -> None:
    path = write(
        folder, "runs:\n  - scenario: ping.py\n  - url: http://127.0.0.1:9/\n  - scenario: gone.py\n"
    )
    msg = error(path)
    assert msg.startswith(f"{path}:4: runs[2].scenario: file 'gone.py' not found")


@pytest.mark.parametrize(
    "text",
    ["runs: []\n", "name: x\n", "runs:\n  - pause: 3s\n", "# nothing\n"],
)
def test_a_plan_without_runs(folder: Path, text: str) -> None:
    path = write(folder, text)
    msg = error(path)
    assert "the plan has no runs" in msg or "top level must be a mapping" in msg
    assert msg.startswith(f"{path}:")


@pytest.mark.parametrize(
    ("run", "problem"),
    [
        (
            "{scenario: ping.py, url: 'http://127.0.0.1:9/'}",
            "give either scenario: (a .py or .yaml file) or url:",
        ),
        ("{name: x}", "give either scenario:"),
        (
            "{url: 'http://127.0.0.1:9/', vus: 3}",
            "runs[0].vus: applies to scenario runs, not to a url run (use connections)",
        ),
        (
            "{scenario: ping.py, connections: 3}",
            "runs[0].connections: applies to url runs, not to a scenario run",
        ),
        (
            "{scenario: ping.py, preset: strss}",
            "runs[0].preset: unknown preset 'strss'; did you mean 'stress'?",
        ),
        ("{scenario: ping.py, vus: 0}", "runs[0].vus: must be more than 0, got the number 0"),
        ("{scenario: ping.py, vus: many}", "runs[0].vus: expected a whole number, got the text 'many'"),
        ("{scenario: ping.py, vus: 1.5}", "runs[0].vus: expected a whole number, got the number 1.5"),
        ("{scenario: ping.py, thresholds: p95}", "runs[0].thresholds: expected a list (- item, or [a, b])"),
        ("{scenario: ping.py, env: [a]}", "runs[0].env: expected a mapping (key: value), got a list"),
        ("{url: 'http://127.0.0.1:9/', insecure: maybe}", "runs[0].insecure: expected true or false"),
        ("{scenario: ping.py, name: ''}", "runs[0].name: must not be empty"),
        ("[1, 2]", "runs[0]: expected a mapping (key: value), got a list"),
        ("{scenario: ping.py, duration: soon}", "runs[0].duration: duration 'soon'"),
        ("{url: /health}", "runs[0].url: '/health' is relative: give defaults.base_url"),
        ("{pause: 2s, name: x}", "runs[0]: a pause entry holds only pause:"),
        ("just-a-string", "runs[0]: expected a mapping (key: value), got the text 'just-a-string'"),
    ],
)
def test_bad_runs(folder: Path, run: str, problem: str) -> None:
    path = write(folder, f"runs:\n  - {run}\n")
    msg = error(path)
    assert msg.startswith(f"{path}:2: "), msg
    assert problem in msg, msg


def test_no_message_uses_pydantics_wording(folder: Path) -> None:
    for text in ("defaults: [1]\nruns: []\n", "runs: {a: 1}\n", "name: [x]\nruns: []\n"):
        msg = error(write(folder, text))
        assert "Input should" not in msg and "expected " in msg, msg
    assert error(write(folder, "defaults: [1]\n")).endswith(
        "defaults: expected a mapping (key: value), got a list"
    )


def test_a_plan_of_more_than_200_runs_is_refused_in_one_line(folder: Path) -> None:
    runs = "".join(f"  - {{url: 'http://127.0.0.1:9/', requests: 1, name: r{i}}}\n" for i in range(201))
    msg = error(write(folder, "runs:\n" + runs))
    assert msg.endswith(
        "runs: the plan has 201 runs, at most 200; split it into several plans (each its own report)"
    )
    assert "\n" not in msg
    assert len(load_plan(write(folder, "runs:\n" + runs.split("\n", 1)[1])).runs) == 200


def test_two_runs_may_not_share_a_name_but_default_names_are_numbered(folder: Path) -> None:
    path = write(folder, "runs:\n  - {scenario: ping.py, name: a}\n  - {scenario: ping.py, name: a}\n")
    assert error(path) == f"{path}:3: runs[1].name: 'a' names runs[0] already; give each run its own name"
    path = write(
        folder, "runs:\n  - {scenario: ping.py, preset: quick}\n  - {scenario: ping.py, preset: quick}\n"
    )
    assert [r.name for r in load_plan(path).runs] == ["ping quick", "ping quick #2"]


def test_a_missing_plan_file() -> None:
    assert error("/nonexistent/plan.yaml") == "plan file '/nonexistent/plan.yaml' not found"


def test_a_urls_default_name_never_holds_its_password(folder: Path) -> None:
    path = write(folder, "runs:\n  - url: 'http://user:hunter2@127.0.0.1:9/health?q=a@b'\n")
    assert load_plan(path).runs[0].name == "127.0.0.1:9/health"
