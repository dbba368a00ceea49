"""`loadpulse run --cluster` and `loadpulse http --cluster`: a real Ray cluster of two nodes (a head and a
worker node, 1 CPU each, started once for the module) running the workers as actors against loopback
targets (the demo target, a SQLite sink)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import CliResult
from tests.protocols.grpc.echo_target import PROTO, grpc_target
from tests.services import NginxH2, nginx_h2

__all__ = ["grpc_target", "nginx_h2"]  # fixtures

pytest.importorskip("ray", reason="Ray is not installed (pip install 'loadpulse[ray]'; CI installs it)")

SCENARIO = """
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 4, "iterations": 25}
thresholds = ["p95 < 5s", "errors.rate < 1%"]

@task
async def hit(ctx):
    await ctx.http.get("/health", name="health")
"""

FAILING = """
from loadpulse import task

@task
async def hit(ctx):
    await ctx.http.get("/no-such-page", name="missing")
"""

PIPELINE = """
import sqlite3, time
from loadpulse import task

DB = {db!r}
profile = {{"profile": "per-vu-iterations", "vus": 2, "iterations": 15}}
pipeline = {{"sink": "sql:sqlite:///" + DB + "#SELECT id, at FROM items WHERE at >= :since",
             "drain_timeout": "5s"}}

def store(item):
    with sqlite3.connect(DB, timeout=10) as db:
        db.execute("INSERT INTO items VALUES (?, ?)", (item, time.time()))

@task
async def send(ctx):
    await ctx.call("store", store, ctx.track())
"""

ACTOR_TITLE = "ray::RayWorker"
"""How Ray names an actor's process while it runs one of ours."""
NODES: set[int] = set()
"""The ``ray start`` processes of this module's cluster: actors under them are this module's."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_node(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """``ray start ... --block``: the node lives as long as this process; SIGTERM stops all of it."""
    ray = str(Path(sys.executable).with_name("ray"))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [ray, "start", *args, "--num-cpus=1", "--disable-usage-stats", "--block"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
            start_new_session=True,
        )
    NODES.add(proc.pid)
    deadline = time.monotonic() + 90
    while b"Ray runtime started" not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop_node(proc)
            pytest.fail(f"a Ray node did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.3)
    return proc


def _stop_node(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[tuple[str, str]]:
    """A head node and a second node on this machine; stopped (only they) at the end. Its head's address
    and its Ray client address (ray://)."""
    # Ray 2.60 turns token authentication on wherever ~/.ray/auth_token exists (a local ray.init() leaves
    # one): the nodes, this process and the runs it starts must agree, so it is off for all of them.
    mode = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    try:
        yield from _cluster()
    finally:
        if mode is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = mode


@pytest.fixture
def ray_address(ray_cluster: tuple[str, str]) -> str:
    return ray_cluster[0]


def _cluster() -> Iterator[tuple[str, str]]:
    # Ray's socket paths must stay short: pytest's temporary folders are too deep for them.
    temp = Path(tempfile.mkdtemp(prefix="lpray", dir="/tmp"))
    port, client_port = _free_port(), _free_port()
    address = f"127.0.0.1:{port}"
    head = _start_node(
        [
            "--head",
            f"--port={port}",
            "--node-ip-address=127.0.0.1",
            f"--temp-dir={temp}",
            "--include-dashboard=false",
            f"--ray-client-server-port={client_port}",
        ],
        temp / "head.log",
    )
    try:
        node = _start_node([f"--address={address}"], temp / "node.log")
        try:
            yield address, f"ray://127.0.0.1:{client_port}"
        finally:
            _stop_node(node)
    finally:
        _stop_node(head)
        shutil.rmtree(temp, ignore_errors=True)


def _file(tmp_path: Path, text: str = SCENARIO) -> str:
    path = tmp_path / "scenario.py"
    path.write_text(text)
    return str(path)


def _actors() -> list[psutil.Process]:
    """This module's cluster's actors running a worker (another test session may run its own)."""
    out = []
    for p in psutil.process_iter(["cmdline"]):
        if not " ".join(p.info["cmdline"] or ()).startswith(ACTOR_TITLE):
            continue
        with contextlib.suppress(psutil.Error):
            if any(parent.pid in NODES for parent in p.parents()):
                out.append(p)
    return out


def _no_actor_left() -> bool:
    deadline = time.monotonic() + 15
    while _actors():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def test_actors_spread_over_both_nodes_with_thresholds_and_a_probe(
    tmp_path: Path,
    ray_address: str,
    demo_url: str,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAY_ADDRESS", ray_address)  # what --cluster auto finds
    res = cli(
        "run", _file(tmp_path), "-u", demo_url, "--cluster", "auto", "--workers", "2",
        "--probe", f"queue=http:{demo_url}/health#$.queue_length", "-t", "probe.queue.max < 1000000",
        "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["verdict"] == "PASS"
    assert summary["requests"]["total"] == 100 and summary["requests"]["ok"] == 100
    assert {t["verdict"] for t in summary["thresholds"]} == {"PASS"} and len(summary["thresholds"]) == 3
    assert "queue" in json.dumps(summary["probes"])
    workers = summary["workers"]
    assert (workers["count"], workers["backend"], workers["lost"]) == (2, "ray", [])
    rows = workers["per_worker"]
    assert [w["requests"] for w in rows] == [50, 50]
    assert all(w["state"] == "done" and w["max_rss_mb"] for w in rows)
    # SPREAD over two 1-CPU nodes: one actor on each
    assert len({w["node_id"] for w in rows}) == 2 and all(w["node"] for w in rows)
    assert _no_actor_left()


def test_abort_on_fail_stops_every_actor(
    tmp_path: Path, ray_address: str, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "run", _file(tmp_path, FAILING), "-u", demo_url, "--cluster", ray_address, "--workers", "2",
        "--profile", "constant-vus", "--vus", "2", "-d", "30s", "-t", "errors.rate < 1%", "--abort-on-fail",
        "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 3, res.err
    summary = res.summary()
    assert summary["duration_s"] < 15
    assert all(w["state"] == "done" for w in summary["workers"]["per_worker"])
    assert summary["requests"]["failed"] == summary["requests"]["total"] > 0
    assert _no_actor_left()


def test_a_killed_actor_is_lost_and_aborts_with_abort_on_worker_loss(
    tmp_path: Path, ray_address: str, demo_url: str
) -> None:
    out = tmp_path / "summary.json"
    scenario = _file(tmp_path, FAILING.replace("/no-such-page", "/health"))
    args = [
        sys.executable, "-m", "loadpulse", "run", scenario, "-u", demo_url, "--cluster", ray_address,
        "--workers", "2", "--profile", "constant-vus", "--vus", "2", "-d", "20s",
        "--abort-on-worker-loss", "--json", str(out), "-q", "--no-history",
    ]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(actors := _actors()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(actors) == 2, "the actors did not start"
        time.sleep(3.0)  # connected, started, a couple of intervals measured
        actors[0].kill()
        stdout, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3, err
    summary = json.loads(out.read_text())
    lost = [w for w in summary["workers"]["per_worker"] if w["state"] == "lost"]
    assert len(lost) == 1 and "Ray actor died" in lost[0]["lost_why"]
    assert summary["workers"]["lost"] == [lost[0]["index"]]
    assert summary["duration_s"] < 15
    assert "aborted:" in err and "--abort-on-worker-loss" in err
    assert "worker 1 of 2 lost" in err or "worker 2 of 2 lost" in err  # loadpulse's own warning
    assert "(raylet)" not in stdout + err, stdout + err  # not Ray's paragraph about the death as well
    assert _no_actor_left()


def test_through_the_ray_client(
    tmp_path: Path, ray_cluster: tuple[str, str], demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "run",
        _file(tmp_path),
        "-u",
        demo_url,
        "--cluster",
        ray_cluster[1],
        "--json",
        "-",
        "-q",
        "--no-history",
    )
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == 100 and summary["verdict"] == "PASS"
    rows = summary["workers"]["per_worker"]  # --workers auto: the cluster's 2 CPUs
    assert summary["workers"]["backend"] == "ray" and [w["requests"] for w in rows] == [50, 50]
    assert len({w["node_id"] for w in rows}) == 2
    assert _no_actor_left()


def test_more_workers_than_the_cluster_has_cpus_is_bad_input(
    tmp_path: Path, ray_address: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("run", _file(tmp_path), "-u", "http://127.0.0.1:9", "--cluster", ray_address, "--workers", "3")
    assert res.code == 2
    assert "--workers 3: the Ray cluster has 2 CPUs free (2 in all)" in res.err
    assert len(res.err.strip().splitlines()) == 1


def test_an_address_where_nothing_answers_is_bad_input(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    res = cli("run", _file(tmp_path), "--cluster", f"127.0.0.1:{_free_port()}", "--workers", "2")
    assert res.code == 2
    assert "nothing answers at 127.0.0.1:" in res.err and len(res.err.strip().splitlines()) == 1


def test_a_pipeline_tracked_by_actors_on_both_nodes_is_reconciled_once(
    tmp_path: Path, ray_address: str, cli: Callable[..., CliResult]
) -> None:
    """Each actor tracks its items and ships them; the coordinator polls the sink and judges the whole
    run: every item sent arrived once, with an end-to-end latency on one clock (the coordinator's)."""
    db = tmp_path / "items.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT, at REAL)")
    scenario = _file(tmp_path, PIPELINE.format(db=str(db)))
    res = cli(
        "run", scenario, "--cluster", ray_address, "--workers", "2", "--json", "-", "-q", "--no-history"
    )
    assert res.code == 0, res.err
    summary = res.summary()
    pipeline, rows = summary["pipeline"], summary["workers"]["per_worker"]
    assert pipeline["sent"] == pipeline["delivered"] == 30
    assert pipeline["lost"]["count"] == 0 and pipeline["duplicates"]["count"] == 0
    assert pipeline["unexpected"]["count"] == 0
    assert 0 < pipeline["e2e_ms"]["p50"] <= pipeline["e2e_ms"]["max"] < 5_000
    assert [w["tracked"] for w in rows] == [15, 15]
    assert len({w["node_id"] for w in rows}) == 2
    assert _no_actor_left()


def test_the_one_liner_splits_its_request_budget_over_actors_on_both_nodes(
    ray_address: str, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "http", f"{demo_url}/health", "-n", "101", "-c", "3", "--cluster", ray_address,
        "--json", "-", "--no-history",
    )  # fmt: skip
    assert res.code == 0, res.err
    assert "workers   2 actors (ray)" in res.err  # the summary for humans (on stderr: the JSON is on stdout)
    summary = res.summary()
    assert summary["requests"]["total"] == summary["requests"]["ok"] == 101
    workers = summary["workers"]
    assert (workers["count"], workers["backend"], workers["lost"]) == (2, "ray", [])  # auto: 2 free CPUs
    rows = workers["per_worker"]
    # 3 connections of 33, 34, 34 requests: 2 of them on one actor, 1 on the other
    assert sorted(w["requests"] for w in rows) in ([33, 68], [34, 67])
    assert len({w["node_id"] for w in rows}) == 2 and all(w["state"] == "done" for w in rows)
    assert _no_actor_left()


def test_the_demo_over_actors_on_this_machines_nodes(ray_address: str, cli: Callable[..., CliResult]) -> None:
    """The demo's target listens on 127.0.0.1 here: actors on nodes of this machine reach it."""
    res = cli("demo", "--cluster", ray_address, "-d", "2s", "--vus", "2", "--json", "-", "-q", "--no-history")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["verdict"] == "PASS"
    pipeline, rows = summary["pipeline"], summary["workers"]["per_worker"]
    assert pipeline["sent"] == pipeline["delivered"] > 0 and pipeline["duplicates"]["count"] == 0
    assert summary["workers"]["backend"] == "ray" and len({w["node_id"] for w in rows}) == 2
    assert _no_actor_left()


PROTOCOLS = """
from loadpulse import load_protos, task

echo = load_protos("echo.proto")  # from the shipped working dir on each node
profile = {"profile": "per-vu-iterations", "vus": 2, "iterations": 20}
thresholds = ["errors.rate == 0", "ws_msgs_received.count >= 40"]

@task
async def ws_and_grpc(ctx):
    async with ctx.ws.connect("/ws/echo", name="ws connect") as ws:
        await ws.request({"id": ctx.vu.iteration, "text": "hi"}, match="id", name="ws echo")
    reply = await ctx.grpc(ctx.env["GRPC_TARGET"], echo).call("Echo/Say", {"text": "hi"}, name="say")
    ctx.check(reply.ok and reply.message.text == "hi", "said")
"""


def test_websocket_and_grpc_run_on_actors_of_both_nodes(
    tmp_path: Path, ray_address: str, demo_url: str, grpc_target: str, cli: Callable[..., CliResult]
) -> None:
    shutil.copy(PROTO, tmp_path / "echo.proto")
    res = cli(
        "run", _file(tmp_path, PROTOCOLS), "-u", demo_url, "-e", f"GRPC_TARGET={grpc_target}",
        "--cluster", ray_address, "--workers", "2", "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    by_name = summary["by_name"]
    assert by_name["ws echo"]["requests"]["ok"] == by_name["say"]["requests"]["ok"] == 40
    assert summary["metrics"]["ws_msgs_received"]["value"] == 40  # both actors' counters merged
    rows = summary["workers"]["per_worker"]
    assert len({w["node_id"] for w in rows}) == 2 and all(w["state"] == "done" for w in rows)
    assert _no_actor_left()


def test_the_grpc_one_liner_splits_its_calls_over_actors(
    ray_address: str, grpc_target: str, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "grpc", grpc_target, "Echo/Say", "--proto", str(PROTO), "--data", '{"text": "hi"}', "-n", "101",
        "-c", "3", "--cluster", ray_address, "--workers", "2", "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == summary["requests"]["ok"] == 101
    rows = summary["workers"]["per_worker"]
    assert summary["workers"]["backend"] == "ray" and len({w["node_id"] for w in rows}) == 2
    assert _no_actor_left()


HTTP2 = """
from loadpulse import task

http2 = True
profile = {"profile": "per-vu-iterations", "vus": 4, "iterations": 25}

@task
async def root(ctx):
    r = await ctx.http.get("/", name="root")
    assert r.status == 200 and r.text == "ok\\n", r
"""


def test_http2_runs_on_actors_scenario_and_one_liner(
    tmp_path: Path, ray_address: str, nginx_h2: NginxH2, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "run", _file(tmp_path, HTTP2), "-u", nginx_h2.h2c_url, "--cluster", ray_address, "--workers", "2",
        "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["by_name"]["root"]["requests"]["ok"] == 100 and summary["requests"]["failed"] == 0
    assert len({w["node_id"] for w in summary["workers"]["per_worker"]}) == 2
    res = cli(
        "http", f"{nginx_h2.h2c_url}/", "--h2", "-n", "1001", "--cluster", ray_address, "--workers", "2",
        "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == summary["requests"]["ok"] == 1001
    assert sorted(w["requests"] for w in summary["workers"]["per_worker"]) == [500, 501]
    assert _no_actor_left()
