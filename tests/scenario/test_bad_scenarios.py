"""Every bad scenario file or flag: exit 2, one line naming the problem (file:line), no traceback."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

GOOD_TASK = """
from loadpulse import task

@task
async def t(ctx):
    await ctx.http.get("/")
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def assert_bad(result: CliResult, fragment: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert fragment in lines[0], lines[0]


PY_CASES = [
    ("syntax", "x = (\n", ":1: syntax error"),
    ("none", "x = 1\n", "no scenario defined"),
    (
        "weight",
        "from loadpulse import task\n\n@task(weight=0)\nasync def t(ctx):\n    pass\n",
        ":3: task 't' has weight 0",
    ),
    (
        "negweight",
        "from loadpulse import task\n\n@task(weight=-2)\nasync def t(ctx):\n    pass\n",
        "weights must be numbers > 0",
    ),
    (
        "sync",
        "from loadpulse import task\n\n\n@task\ndef t(ctx):\n    pass\n",
        ":4: task 't' is not an async def",
    ),
    ("raises", "import os\n\nraise RuntimeError('nope')\n", ":3: RuntimeError while loading: nope"),
    ("exits_at_import", "import sys\n\nsys.exit(0)\n", ":3: the scenario called exit(0) while loading"),
    (
        "absurd_vus",
        GOOD_TASK + "profile = {'profile': 'constant-vus', 'vus': 100000000, 'duration': '3s'}\n",
        "VUs 100,000,000 is more than one loadpulse process can hold",
    ),
    (
        "absurd_rate",
        GOOD_TASK + "profile = {'profile': 'constant-rate', 'rate': 1e12, 'duration': '3s'}\n",
        "cannot be honoured",
    ),
    (
        "infinite_stage",
        GOOD_TASK
        + "profile = {'profile': 'ramping-rate', 'stages': [{'duration': '1s', 'target': float('inf')}]}\n",
        "finite",
    ),
    (
        "badprofile",
        GOOD_TASK + "profile = {'profile': 'ramping-vu', 'stages': ['1s:1']}\n",
        "did you mean 'ramping-vus'",
    ),
    ("badpreset", GOOD_TASK + "profile = 'stres'\n", "did you mean 'stress'"),
    (
        "badstage",
        GOOD_TASK + "profile = {'profile': 'ramping-vus', 'stages': ['1s/1']}\n",
        "is not DURATION:TARGET",
    ),
    (
        "negdur",
        GOOD_TASK + "profile = {'profile': 'constant-vus', 'duration': '-3s'}\n",
        "must be greater than zero",
    ),
    ("unknownkey", GOOD_TASK + "profile = {'profile': 'constant-vus', 'vu': 3}\n", "profile.vu: unknown key"),
    ("scen", GOOD_TASK + "scenarios = {'w': {'profile': 'constant-vus'}}\n", "scenarios.w has no tasks"),
    ("scentype", GOOD_TASK + "scenarios = ['w']\n", "'scenarios' must map"),
    (
        "orphan",
        GOOD_TASK.replace("@task", "@task(scenario='writer')")
        + "scenarios = {'writers': {'profile': 'constant-vus'}}\n",
        "did you mean 'writers'",
    ),
    ("think", GOOD_TASK + "profile = {'profile': 'constant-vus', 'think_time': 'soon'}\n", "think_time"),
    ("headers", GOOD_TASK + "headers = {'X': 1}\n", "'headers' must map"),
    ("thresholds", GOOD_TASK + "thresholds = 'p95 < 1s'\n", "'thresholds' must be a list"),
    ("setup", GOOD_TASK + "setup = 3\n", "'setup' must be a function"),
]


@pytest.mark.parametrize(("name", "text", "fragment"), PY_CASES, ids=[c[0] for c in PY_CASES])
def test_bad_python_scenario(
    cli: Callable[..., CliResult], tmp_path: Path, name: str, text: str, fragment: str
) -> None:
    path = write(tmp_path, f"{name}.py", text)
    assert_bad(cli("run", path, "-u", "http://127.0.0.1:9"), fragment)


YAML_OK_REQ = "scenarios:\n  - requests:\n      - url: /\n"
YAML_CASES = [
    ("list", "- a\n- b\n", "the top level must be a mapping"),
    ("syntax", "scenarios: [\n", "YAML syntax error"),
    (
        "unknown",
        "base_url: http://127.0.0.1:9\nscenario: []\n",
        "scenario: unknown key; did you mean 'scenarios'?",
    ),
    ("noscen", "base_url: http://127.0.0.1:9\n", "scenarios: Field required"),
    (
        "method",
        "scenarios:\n  - requests: [{url: /}]\n  - requests:\n      - {url: /a}\n      - {url: /b}\n"
        "      - {url: /c}\n      - {url: /d, method: GTE}\n",
        "scenarios[1].requests[3].method: unknown method 'GTE'",
    ),
    ("type", "scenarios:\n  - weight: lots\n    requests: [{url: /}]\n", "scenarios[0].weight"),
    ("weight0", "scenarios:\n  - weight: 0\n    requests: [{url: /}]\n", "scenarios[0].weight"),
    ("noreq", "scenarios:\n  - name: x\n    requests: []\n", "scenarios[0].requests"),
    ("var", "scenarios:\n  - requests:\n      - url: /api/{{ nope }}\n", "'{{ nope }}' is not a variable"),
    (
        "jsonpath",
        "scenarios:\n  - requests:\n      - url: /\n        capture: {id: id}\n",
        "must start with '$'",
    ),
    ("profile", YAML_OK_REQ + "profile: constant-vu\n", "did you mean 'constant-vus'"),
    (
        "file_header_var",
        "headers: {Authorization: 'Bearer {{ tokn }}'}\n" + YAML_OK_REQ,
        "headers.Authorization: '{{ tokn }}' is not a variable",
    ),
    (
        "poll_every",
        "scenarios:\n  - requests:\n      - {url: /, poll: {until: {status: 200}, every: soon}}\n",
        "scenarios[0].requests[0].poll.every",
    ),
    (
        "poll_until",
        "scenarios:\n  - requests:\n      - {url: /, poll: {every: 1s}}\n",
        "scenarios[0].requests[0].poll.until: Field required",
    ),
    (
        "poll_attempts",
        "scenarios:\n  - requests:\n      - {url: /, poll: {until: {status: 200}, max_attempts: 0}}\n",
        "poll.max_attempts",
    ),
    ("stage", YAML_OK_REQ + "profile: {profile: ramping-vus, stages: [fast]}\n", "is not DURATION:TARGET"),
]


@pytest.mark.parametrize(("name", "text", "fragment"), YAML_CASES, ids=[c[0] for c in YAML_CASES])
def test_bad_yaml_scenario(
    cli: Callable[..., CliResult], tmp_path: Path, name: str, text: str, fragment: str
) -> None:
    path = write(tmp_path, f"{name}.yaml", text)
    assert_bad(cli("run", path, "-u", "http://127.0.0.1:9"), fragment)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "/no/such/scenario.py"], "not found"),
        (["run", "/no/such/scenario.yaml"], "not found"),
        (["run", "README.md"], "must be a .py or .yaml"),
        (["run", "{ok}", "--profile", "stres"], "did you mean 'stress'"),
        (["run", "{ok}", "--preset", "spikey"], "did you mean 'spike'"),
        (["run", "{ok}", "--profile", "quick", "--preset", "quick"], "not both"),
        (["run", "{ok}", "--stage", "10s"], "is not DURATION:TARGET"),
        (["run", "{ok}", "--stage", "10s:5", "-d", "5s"], "the stages set the duration"),
        (["run", "{ok}", "--stage", "10s:5/s"], "'10s:5/s' is in iterations/s, but the profile"),
        (["run", "{ok}", "--vus", "0"], "--vus must be greater than zero"),
        (["run", "{ok}", "-d", "-5s"], "must be greater than zero"),
        (["run", "{ok}", "--rate", "5", "-i", "3"], "do not go together"),
        (["run", "{ok}", "--env", "NOEQUALS"], "is not KEY=VALUE"),
        (["run", "{ok}", "--base-url", "ftp://x"], "unsupported scheme"),
        (["run", "{ok}", "-u", "http://no-such-host.invalid"], "does not resolve"),
    ],
)
def test_bad_run_flags(cli: Callable[..., CliResult], tmp_path: Path, args: list[str], fragment: str) -> None:
    ok = write(tmp_path, "ok.py", GOOD_TASK)
    argv = [a.replace("{ok}", ok) for a in args]
    if "-u" not in argv and "--base-url" not in argv:
        argv += ["-u", "http://127.0.0.1:9"]
    assert_bad(cli(*argv), fragment)


def test_setup_failure_names_the_line(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = write(tmp_path, "s.py", GOOD_TASK + "\n\ndef setup(ctx):\n    return {}['missing']\n")
    assert_bad(cli("run", path, "-u", "http://127.0.0.1:9"), "setup() failed: KeyError at")
