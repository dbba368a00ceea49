"""Scenario runs against the real demo target: mixes, profiles, dropped arrivals, checks, metrics, hooks."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadpulse.engine.execute import execute_plan
from loadpulse.profiles.presets import Overrides
from loadpulse.results.summary import build_summary
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan
from tests.conftest import CliResult


def run_file(tmp_path: Path, text: str, base_url: str, suffix: str = ".py", **opts: Any) -> dict[str, Any]:
    path = tmp_path / f"scenario{suffix}"
    path.write_text(textwrap.dedent(text))
    plan = build_plan(load_scenario(str(path)), RunOptions(base_url=base_url, **opts))
    return build_summary(execute_plan(plan, handle_signals=False))


def test_weighted_tasks_follow_their_weights(tmp_path: Path, demo_url: str) -> None:
    s = run_file(
        tmp_path,
        """
        from loadpulse import task

        profile = {"profile": "shared-iterations", "vus": 20, "iterations": 2000}

        @task(weight=70)
        async def write(ctx):
            await ctx.http.post("/api/messages", json={"content": "x"}, name="write")

        @task(weight=20)
        async def read(ctx):
            await ctx.http.get("/api/messages/1", name="read")

        @task(weight=10)
        async def health(ctx):
            await ctx.http.get("/health", name="health")
        """,
        demo_url,
    )
    counts = {n: b["requests"]["total"] for n, b in s["by_name"].items()}
    assert sum(counts.values()) == 2000 and s["scenarios"]["default"]["iterations"] == 2000
    assert counts == {"write": 1400, "read": 400, "health": 200}  # exact, not sampled
    assert s["ended_by"] == "completed"


def test_constant_rate_holds_its_rate_and_measures_from_intended_start(tmp_path: Path, demo_url: str) -> None:
    s = run_file(
        tmp_path,
        """
        from loadpulse import task

        profile = {"profile": "constant-rate", "rate": 400, "duration": "3s", "max_vus": 200}

        @task
        async def health(ctx):
            r = await ctx.http.get("/health", name="health")
            ctx.check(r.ok, "ok")
        """,
        demo_url,
    )
    sc = s["scenarios"]["default"]
    assert sc["dropped"] == 0
    assert abs(sc["iterations"] - 1200) <= 1200 * 0.02
    # the run's clock: iterations over the profile's 3 s, not stretched by a slow scheduler
    assert s["duration_s"] < 3.6
    assert s["model"] == "open" and s["latency_basis"] == "intended_start"
    assert s["checks"]["ok"]["failed"] == 0


def test_dropped_when_max_vus_is_too_small(tmp_path: Path, demo_url: str) -> None:
    s = run_file(
        tmp_path,
        """
        from loadpulse import task

        profile = {
            "profile": "constant-rate", "rate": 100, "duration": "2s", "max_vus": 2, "graceful_stop": "1s"
        }

        @task
        async def slow(ctx):
            await ctx.http.get("/health")
            await ctx.sleep(0.1)
        """,
        demo_url,
    )
    sc = s["scenarios"]["default"]
    # 2 VUs doing ~10 iterations/s each can take about 40 of the 200 arrivals; the rest are dropped
    assert sc["dropped"] >= 120
    assert sc["iterations"] + sc["dropped"] + sc["interrupted"] == 200
    assert s["dropped"] == sc["dropped"]


def test_ramping_vus_reaches_each_stage(tmp_path: Path, demo_url: str) -> None:
    path = tmp_path / "ramp.py"
    path.write_text(
        "from loadpulse import task\n\n"
        "@task\nasync def t(ctx):\n    await ctx.http.get('/health')\n    await ctx.sleep(0.02)\n"
    )
    plan = build_plan(
        load_scenario(str(path)),
        RunOptions(
            base_url=demo_url,
            overrides=Overrides(stages=("0.5s:4", "1.5s:4", "0.5s:12", "1.5s:12", "0.5s:0")),
        ),
    )
    seen: list[int] = []
    outcome = execute_plan(plan, lambda snap, row, agg: seen.append(row.vus), handle_signals=False)
    assert 4 in seen[:2], seen  # second 1 and 2: the first stage's 4 VUs
    assert 12 in seen[2:4], seen  # seconds 3 and 4: the second stage's 12
    assert seen[-1] == 0
    assert outcome.ended_by == "completed"


def test_per_vu_iterations_give_each_vu_its_own_count_and_state(tmp_path: Path, demo_url: str) -> None:
    out = tmp_path / "seen.json"
    s = run_file(
        tmp_path,
        f"""
        import json
        from loadpulse import task

        profile = {{"profile": "per-vu-iterations", "vus": 3, "iterations": 4}}
        seen = []

        @task
        async def t(ctx):
            ctx.vu.state["n"] = ctx.vu.state.get("n", 0) + 1
            seen.append((ctx.vu.id, ctx.vu.iteration, ctx.vu.state["n"], ctx.data["token"]))
            await ctx.http.get("/health")

        def setup(ctx):
            return {{"token": "abc"}}

        async def teardown(ctx, data):
            r = await ctx.http.get("/health")
            with open({str(out)!r}, "w") as f:
                json.dump({{"seen": seen, "data": data, "status": r.status}}, f)
        """,
        demo_url,
    )
    assert s["scenarios"]["default"]["iterations"] == 12
    assert s["requests"]["total"] == 12  # setup/teardown requests are not in the results
    got = json.loads(out.read_text())
    assert got["data"] == {"token": "abc"} and got["status"] == 200
    per_vu: dict[int, list[int]] = {}
    for vu, iteration, n, token in got["seen"]:
        assert iteration == n and token == "abc"
        per_vu.setdefault(vu, []).append(n)
    assert per_vu == {1: [1, 2, 3, 4], 2: [1, 2, 3, 4], 3: [1, 2, 3, 4]}


def test_checks_custom_metrics_and_script_errors_reach_the_json(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        textwrap.dedent(
            """
            from loadpulse import task

            profile = {"profile": "shared-iterations", "vus": 5, "iterations": 100}

            @task
            async def t(ctx):
                r = await ctx.http.get("/health", name="health")
                ctx.check(r.status == 200, "status 200")
                ctx.check(r.status == 418, "is a teapot")
                ctx.counter("things", 2)
                ctx.trend("queue", r.json()["queue_length"] + 5)
                ctx.rate("even", ctx.vu.iteration % 2 == 0)
                if ctx.vu.iteration == 3:
                    {}["boom"]
            """
        )
    )
    result = cli("run", str(path), "-u", demo_url, "--json", "-", "--quiet")
    assert result.code == 0, result.err
    s = result.summary()
    assert s["checks"]["status 200"] == {"passed": 100, "failed": 0, "rate": 1.0}
    assert s["checks"]["is a teapot"]["failed"] == 100
    assert s["metrics"]["things"]["value"] == 200
    assert s["metrics"]["queue"]["kind"] == "trend" and s["metrics"]["queue"]["min"] >= 5
    assert s["metrics"]["even"]["total"] == 100
    errors = s["scenarios"]["default"]["script_errors"]
    assert errors == {"KeyError at m.py:15": 5}  # one per VU: each VU's third iteration
    assert s["errors"]["script_error"] == 5 and s["errors"]["check_failed"] == 100
    assert s["requests"]["failed"] == 0


def test_yaml_flow_captures_and_checks(tmp_path: Path, demo_url: str) -> None:
    s = run_file(
        tmp_path,
        """
        variables: {channel: 7}
        profile: {profile: shared-iterations, vus: 4, iterations: 40}
        scenarios:
          - name: write then read
            weight: 3
            requests:
              - method: post
                url: /api/messages
                name: create
                json: {channel_id: "{{ channel }}", content: "from VU {{ vu }}"}
                capture: {id: $.id}
                check: {status: 202, json: {$.queued: true}}
              - url: /api/messages/{{ id }}
                name: read
                check: {status: [200, 404]}
          - name: health
            weight: 1
            requests:
              - url: /health
                check: {status: 200, body_contains: queue_length}
        """,
        demo_url,
        suffix=".yaml",
    )
    flows = s["by_name"]["create"]["requests"]["total"]
    assert flows == s["by_name"]["read"]["requests"]["total"]  # every flow did both of its requests
    assert flows + s["by_name"]["GET /health"]["requests"]["total"] == 40
    assert flows == 30  # a 3:1 mix is exact at any count (issue 10, item 11)
    failed = {k: v["failed"] for k, v in s["checks"].items()}
    assert failed == {k: 0 for k in failed} and len(failed) == 5, s["checks"]
    assert s["scenarios"]["default"]["tasks"] == [
        {"name": "write then read", "weight": 3.0},
        {"name": "health", "weight": 1.0},
    ]


def test_several_scenarios_with_their_own_profiles_and_offsets(tmp_path: Path, demo_url: str) -> None:
    path = tmp_path / "multi.py"
    path.write_text(
        textwrap.dedent(
            """
            from loadpulse import task

            scenarios = {
                "browse": {"profile": "constant-vus", "vus": 2, "duration": "2s", "think_time": "10ms"},
                "ingest": {"profile": "constant-rate", "rate": 50, "duration": "1s", "start": "1s"},
            }

            @task(scenario="browse")
            async def browse(ctx):
                await ctx.http.get("/health", name="browse")

            @task(scenario="ingest")
            async def ingest(ctx):
                await ctx.http.post("/api/messages", json={"content": "x"}, name="ingest")
            """
        )
    )
    plan = build_plan(load_scenario(str(path)), RunOptions(base_url=demo_url))
    rows: list[dict[str, int]] = []
    outcome = execute_plan(
        plan,
        lambda snap, row, agg: rows.append({k: v.requests for k, v in snap.names.items()}),
        handle_signals=False,
    )
    s = build_summary(outcome)
    assert s["model"] == "mixed"
    assert s["scenarios"]["ingest"]["iterations"] == 50
    assert rows[0].get("ingest", 0) == 0  # ingest starts one second in
    assert s["scenarios"]["browse"]["iterations"] > 20


def test_failed_requests_do_not_raise_in_scripts(tmp_path: Path) -> None:
    s = run_file(
        tmp_path,
        """
        from loadpulse import task

        profile = {"profile": "shared-iterations", "vus": 2, "iterations": 6}

        @task
        async def t(ctx):
            r = await ctx.http.get("/", name="dead")
            ctx.check(r.error == "connect_refused" and r.status == 0 and not r.ok, "refused")
        """,
        "http://127.0.0.1:9",
    )
    assert s["checks"]["refused"]["passed"] == 6
    assert s["errors"]["connect_refused"] == 6


@pytest.mark.parametrize("preset", ["quick"])
def test_demo_scenario_under_a_preset(cli: Callable[..., CliResult], preset: str) -> None:
    result = cli("demo", "--profile", preset, "--json", "-", "--no-progress")
    assert result.code == 0, result.err
    s = result.summary()
    assert s["scenarios"]["default"]["iterations"] == 1000
    assert set(s["by_name"]) == {"health", "create message", "read message"}
    assert all(c["failed"] == 0 for c in s["checks"].values())
    assert s["pipeline"]["sent"] == s["pipeline"]["delivered"] > 0


def test_request_tags_get_their_own_stats_and_threshold_filters(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = tmp_path / "tags.py"
    path.write_text(
        textwrap.dedent(
            """
            from loadpulse import task

            profile = {"profile": "shared-iterations", "vus": 4, "iterations": 200}

            @task(weight=3)
            async def write(ctx):
                body = {"content": "x"}
                await ctx.http.post("/api/messages", json=body, name="create", tags={"kind": "write"})

            @task(weight=1)
            async def read(ctx):
                await ctx.http.get("/health", name="health", tags={"kind": "read", "tier": "gold"})
            """
        )
    )
    r = cli("run", str(path), "-u", demo_url, "--json", "-", "--quiet", "--no-history",
            "-t", "http{kind=write}.p95 < 5s", "-t", "requests{tier=gold}.count > 1000")  # fmt: skip
    s = r.summary()
    tags = s["by_tag"]
    assert tags["kind=write"]["requests"]["total"] == s["by_name"]["create"]["requests"]["total"]
    assert tags["kind=read"]["requests"]["total"] == tags["tier=gold"]["requests"]["total"] == 50
    assert s["requests"]["total"] == 200  # tags never double-count the totals
    assert [t["verdict"] for t in s["thresholds"]] == ["PASS", "FAIL"] and r.code == 1


def test_graceful_stop_and_ramp_down_interrupt_what_runs_too_long(tmp_path: Path, demo_url: str) -> None:
    path = tmp_path / "slow.py"
    path.write_text(
        textwrap.dedent(
            """
            from loadpulse import task

            scenarios = {
                "stop": {"profile": "constant-vus", "vus": 3, "duration": "1s", "graceful_stop": "0.5s"},
                "ramp": {"profile": "ramping-vus", "start_vus": 4, "stages": ["0.5s:4", "0s:1", "1s:1"],
                         "graceful_ramp_down": "0.3s", "graceful_stop": "0s"},
            }

            @task(scenario="stop")
            async def long_stop(ctx):
                await ctx.http.get("/health")
                await ctx.sleep(5)

            @task(scenario="ramp")
            async def long_ramp(ctx):
                await ctx.http.get("/health")
                await ctx.sleep(5)
            """
        )
    )
    plan = build_plan(load_scenario(str(path)), RunOptions(base_url=demo_url))
    outcome = execute_plan(plan, handle_signals=False)
    s = build_summary(outcome)
    # each of the 3 VUs is mid-iteration when the 1 s is up; after the 0.5 s graceful stop they are cut off
    assert s["scenarios"]["stop"]["interrupted"] == 3 and s["scenarios"]["stop"]["iterations"] == 0
    # 3 of the 4 VUs are retired at 0.5 s and cut off 0.3 s later; the last one at the end
    assert s["scenarios"]["ramp"]["interrupted"] == 4
    assert s["abandoned"] == 7 and s["ended_by"] == "completed"
    assert s["duration_s"] < 3.0  # nobody waited for the 5 s sleeps


def test_custom_trends_keep_zero_and_huge_values_exactly(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = tmp_path / "dup.py"
    path.write_text(
        textwrap.dedent(
            """
            from loadpulse import task

            profile = {"profile": "shared-iterations", "vus": 2, "iterations": 20}
            metrics = {"duplicates": "trend", "bytes": "trend", "delta": "trend"}
            thresholds = ["duplicates.max == 0", "bytes.max == 1000000000000", "delta.min == -2.5"]

            @task
            async def t(ctx):
                ctx.trend("duplicates", 0)
                ctx.trend("bytes", 1e12 if ctx.vu.iteration == 1 else 7)
                ctx.trend("delta", -2.5 if ctx.vu.iteration == 2 else 1)
            """
        )
    )
    result = cli("run", str(path), "-u", demo_url, "--json", "-", "--quiet", "--no-history")
    s = result.summary()
    assert result.code == 0 and s["verdict"] == "PASS", (result.err, s["thresholds"])
    dup = s["metrics"]["duplicates"]
    assert (dup["min"], dup["p50"], dup["p99"], dup["max"], dup["count"]) == (0, 0, 0, 0, 20)
    assert s["metrics"]["bytes"]["max"] == 1e12 and s["metrics"]["bytes"]["p50"] == 7
    assert s["metrics"]["delta"]["min"] == -2.5
