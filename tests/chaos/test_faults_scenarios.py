"""Faults and proxies declared in scenario files (Python and YAML), fault-only scenarios under a preset,
and bad fault input from every place: one line naming where, exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from loadpulse.errors import BadInput
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan
from tests.conftest import CliResult
from tests.ports import free_port
from tests.services import Nginx

QUIET = ("--quiet", "--no-history", "--json", "-")

PY = """
from loadpulse import Ctx, task

profile = {"profile": "constant-vus", "vus": 2, "duration": "3s"}
proxies = {"web": {"listen": "127.0.0.1:6390", "upstream": "127.0.0.1:80"}}
faults = [
    {"at": "1s", "for": "1s", "proxy": "web", "latency": "50ms"},
    {"at": "2s", "run": "true", "name": "nudge"},
]
scenarios = {
    "load": {"profile": "constant-vus", "vus": 2, "duration": "20s"},
    "chaos": {"start": "5s", "faults": [{"at": "1s", "every": "4s", "count": 2, "run": "true"}]},
}


@task(scenario="load")
async def hit(ctx: Ctx) -> None:
    await ctx.http.get("/")
"""


def test_python_faults_proxies_and_a_fault_only_scenario(tmp_path: Path) -> None:
    path = tmp_path / "chaos.py"
    path.write_text(PY)
    plan = build_plan(load_scenario(str(path)), RunOptions())
    assert [s.name for s in plan.scenarios] == ["load"]
    faults = plan.chaos.faults
    assert [(f.name, f.at_s) for f in faults] == [("proxy-web", 1.0), ("nudge", 2.0), ("run-1", 6.0)]
    assert faults[2].every_s == 4.0 and faults[2].count == 2
    assert plan.chaos.proxies["web"].listen == ("127.0.0.1", 6390)
    # A preset replaces the load scenarios' profiles and leaves the fault-only one (and its timing) alone.
    quick = build_plan(load_scenario(str(path)), RunOptions(profile="quick"))
    assert [s.name for s in quick.scenarios] == ["load"] and quick.chaos.faults == plan.chaos.faults
    assert quick.chaos.planned_by == "--preset quick"  # a fault past its end names the preset


def test_a_fault_past_a_preset_s_end_names_the_preset(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = tmp_path / "pre.yaml"
    path.write_text(
        "base_url: http://127.0.0.1:1\nprofile: {profile: constant-vus, vus: 1, duration: 10s}\n"
        "faults:\n  - {at: 7s, run: 'true'}\nscenarios:\n  - requests: [{url: /}]\n"
    )
    r = cli("run", str(path), "--preset", "smoke", *QUIET)
    assert r.code == 2, r.err
    (line,) = r.err.strip().splitlines()
    assert line.endswith("faults[0].at: fires at 7s, past the end of the 5s run set by --preset smoke"), line


def test_python_fault_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text(
        PY.replace('{"at": "2s", "run": "true", "name": "nudge"}', '{"at": "2 s", "run": "true"}')
    )
    with pytest.raises(BadInput, match=rf"^{path}:8: faults\[1\].at '2 s' is not a duration"):
        load_scenario(str(path))
    path.write_text(PY.replace('"chaos": {"start": "5s",', '"chaos": {"start": "5s", "vus": 3,'))
    with pytest.raises(BadInput, match=r"scenarios.chaos.vus: a fault-only scenario \(no tasks\) takes only"):
        build_plan(load_scenario(str(path)), RunOptions())


YAML = """\
base_url: http://127.0.0.1:1
profile: {profile: constant-vus, vus: 1, duration: 5s}
proxies:
  db: {listen: "127.0.0.1:6390", upstream: "127.0.0.1:6379"}
faults:
  - {at: 1s, for: 2s, proxy: db, latency: 200ms, name: db-slow}
  - {at: 2s, for: 2s, proxy: db, latency: 500ms}
scenarios:
  - requests: [{url: /}]
"""


def test_yaml_faults_and_their_lines(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    path = tmp_path / "flows.yaml"
    path.write_text(YAML.replace("latency: 500ms", "reset: 5%"))
    plan = build_plan(load_scenario(str(path)), RunOptions())
    assert [f.name for f in plan.chaos.faults] == ["db-slow", "proxy-db"]
    path.write_text(YAML.replace("at: 2s", "at: two"))
    with pytest.raises(BadInput, match=rf"^{path}:7: faults\[1\].at 'two' is not a duration"):
        load_scenario(str(path))
    path.write_text(YAML.replace("upstream:", "up:"))
    with pytest.raises(BadInput, match=rf"^{path}:4: proxies.db.up: unknown key"):
        load_scenario(str(path))
    # Two latencies on one proxy at once: refused before anything runs.
    path.write_text(YAML)
    r = cli("run", str(path), *QUIET)
    assert r.code == 2
    assert r.err.strip().splitlines() == [
        f"loadpulse: error: {path}:7: faults[1]: overlaps 'db-slow' on proxy 'db' from 2s and contradicts "
        "it: 'latency 200ms (down)' and 'latency 500ms (down)' both set latency"
    ]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            '{"at": "1s", "explode": "db"}',
            "--fault #1: no fault kind: unknown key 'explode'; give proxy: NAME, kill: TARGET or run: "
            "COMMAND",
        ),
        ('{"at": "1x", "run": "true"}', "--fault #1.at '1x' is not a duration"),
        ('{"at": "1s", "run": "true"', "--fault #1 is not JSON"),
        (
            '{"at": "30s", "run": "true"}',
            "--fault #1.at: fires at 30s, past the end of the 2s run set by -d/--duration",
        ),
        ('{"at": "1s", "proxy": "db", "stall": true}', "--fault #1.proxy: no proxy named 'db'"),
    ],
)
def test_bad_faults_on_the_command_line(
    cli: Callable[..., CliResult], nginx: Nginx, fault: str, message: str
) -> None:
    r = cli("http", nginx.url + "/", "-d", "2s", *QUIET, "--fault", fault)
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.err


def test_contradicting_faults_on_the_command_line(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    a = {"at": "1s", "for": "5s", "proxy": "db", "drop": "10%"}
    b = {"at": "2s", "proxy": "db", "drop": "50%"}
    r = cli(
        "http", nginx.url + "/", "-d", "9s", *QUIET, "--proxy", "db=127.0.0.1:6390->127.0.0.1:6379",
        "--fault", json.dumps(a), "--fault", json.dumps(b),
    )  # fmt: skip
    assert r.code == 2
    assert "--fault #2: overlaps 'proxy-db' on proxy 'db' from 2s and contradicts it" in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_a_proxy_that_cannot_start_is_bad_input(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    taken = nginx.url.removeprefix("http://")
    r = cli("http", nginx.url + "/", "-d", "2s", *QUIET, "--proxy", f"db={taken}->{taken}")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert f"--proxy 'db={taken}->{taken}': " in r.err and "in use" in r.err
    silent = f"127.0.0.1:{free_port()}"
    r = cli("http", nginx.url + "/", "-d", "2s", *QUIET, "--proxy", f"db=127.0.0.1:{free_port()}->{silent}")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert silent in r.err
