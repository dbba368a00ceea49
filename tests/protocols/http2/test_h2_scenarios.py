"""``ctx.http`` on HTTP/2: ``http2 = True`` in the file or ``http2=`` per request, against nginx."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult
from tests.services import NginxH2

SCENARIO = """
from loadpulse import task

http2 = True
profile = {{"profile": "per-vu-iterations", "vus": 8, "iterations": 25}}

@task
async def browse(ctx):
    r = await ctx.http.get("/", name="root")
    assert (r.status, r.text, r.header("Content-Type")) == (200, "ok\\n", "text/plain"), r
    r = await ctx.http.get("/big", name="big")
    assert len(r.body) == 1 << 20 and r.header("content-length") == str(1 << 20) and not r.truncated
    r = await ctx.http.post("/echo", json={{"n": 1}}, name="echo")
    assert r.text.startswith("POST "), r.text
    r = await ctx.http.get("{h1}/", http2=False, name="h1")  # this one over HTTP/1.1
    assert r.text == "h1\\n", r.text
"""


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scenario.py"
    path.write_text(text)
    return str(path)


def _run(cli: Callable[..., CliResult], *args: str) -> CliResult:
    return cli("run", *args, "--json", "-", "-q", "--no-history")


def test_a_scenario_on_http2_shares_few_connections(
    tmp_path: Path, nginx_h2: NginxH2, cli: Callable[..., CliResult]
) -> None:
    res = _run(cli, _file(tmp_path, SCENARIO.format(h1=nginx_h2.h1_url)), "-u", nginx_h2.h2c_url)
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == 800 and summary["requests"]["failed"] == 0, summary["errors"]
    assert summary["checks"] == [] or all(c["failed"] == 0 for c in summary["checks"])
    by_name = summary["by_name"]
    assert {n: b["requests"]["ok"] for n, b in by_name.items()} == {"root": 200, "big": 200, "echo": 200,
                                                                     "h1": 200}  # fmt: skip
    # 8 VUs: one HTTP/2 connection for all of them (8 streams at most), one HTTP/1.1 connection each.
    # The one opened (and checked) before the load counts with the first request that uses it.
    assert by_name["root"]["connections"]["opened"] == 1 and by_name["h1"]["connections"]["opened"] == 8


def test_a_scenario_on_http2_over_two_workers(
    tmp_path: Path, nginx_h2: NginxH2, cli: Callable[..., CliResult]
) -> None:
    path = _file(tmp_path, SCENARIO.format(h1=nginx_h2.h1_url))
    res = _run(cli, path, "-u", nginx_h2.h2c_url, "--workers", "2")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == 800 and summary["requests"]["failed"] == 0, summary["errors"]
    assert [w["requests"] for w in summary["workers"]["per_worker"]] == [400, 400]


def test_per_request_http2_over_tls_with_an_open_model(
    tmp_path: Path, nginx_h2: NginxH2, cli: Callable[..., CliResult]
) -> None:
    text = f"""
from loadpulse import task

profile = {{"profile": "constant-rate", "rate": 200, "duration": "2s", "pre_allocated_vus": 20}}

@task
async def secure(ctx):
    r = await ctx.http.get("{nginx_h2.tls_url}/", http2=True, name="tls")
    assert r.text == "secure\\n", (r, r.detail)
"""
    res = _run(cli, _file(tmp_path, text), "-k")
    assert res.code == 0, res.err
    summary = res.summary()
    scenario = summary["scenarios"]["default"]
    assert abs(scenario["iterations"] + scenario["dropped"] - 400) <= 8  # within 2 %
    assert summary["requests"]["failed"] == 0 and summary["latency_basis"] != "send"


def test_a_scenario_base_url_without_http2_is_bad_input(
    tmp_path: Path, nginx_h2: NginxH2, cli: Callable[..., CliResult]
) -> None:
    res = cli("run", _file(tmp_path, SCENARIO.format(h1="")), "-u", nginx_h2.h1_url, "-q", "--no-history")
    assert res.code == 2
    host = nginx_h2.h1_url.removeprefix("http://")
    assert res.err.strip().splitlines() == [
        f"loadpulse: error: the server at {host} does not speak HTTP/2 (it answered HTTP/1.1 to the h2c "
        "preface) (http2 = True in the scenario)"
    ]


def test_http2_must_be_a_bool(tmp_path: Path, nginx_h2: NginxH2, cli: Callable[..., CliResult]) -> None:
    path = _file(tmp_path, SCENARIO.format(h1="").replace("http2 = True", "http2 = 'yes'"))
    res = cli("run", path, "-u", nginx_h2.h2c_url, "-q", "--no-history")
    assert res.code == 2 and f"{path}: 'http2' must be True or False, not 'yes'" in res.err


def test_a_yaml_scenario_on_http2(tmp_path: Path, nginx_h2: NginxH2, cli: Callable[..., CliResult]) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        f"base_url: {nginx_h2.h2c_url}\n"
        "http2: true\n"
        "profile: {profile: per-vu-iterations, vus: 4, iterations: 10}\n"
        "scenarios:\n"
        "  - requests:\n"
        "      - {url: /, name: root}\n"
    )
    res = _run(cli, str(path))
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["ok"] == 40 and summary["by_name"]["root"]["connections"]["opened"] == 1
