"""YAML flows with ws: and grpc: steps, run for real: the examples (examples/ws_flow.yaml against the demo
target's /ws/echo and /ws/feed, examples/grpc/echo_flow.yaml against the example echo server) measured as
ctx.ws and ctx.grpc measure, gRPC statuses as error kinds, and what a step meets at run time."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult
from tests.integration.test_task_bad_input import assert_bad_input
from tests.protocols.grpc.echo_target import EXAMPLE, PROTO, grpc_target

__all__ = ["grpc_target"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUIET = ("--json", "-", "-q", "--no-history")


def test_the_ws_example_flow_is_measured_like_ctx_ws(cli: Callable[..., CliResult], demo_url: str) -> None:
    res = cli("run", str(EXAMPLES / "ws_flow.yaml"), "-u", demo_url, "-d", "1s", *QUIET)
    s = res.summary()
    assert res.code == (1 if s["verdict"] == "FAIL" else 0), res.err  # its latency thresholds are judged
    by_name = s["by_name"]
    chats = by_name["echo"]["requests"]["ok"]
    feeds = by_name["feed"]["requests"]["ok"]
    assert chats > 0 and feeds > 0 and s["errors"] == {}
    assert by_name["echo reply"]["requests"]["ok"] == 3 * chats  # repeat: 3, each a measured round trip
    assert s["checks"]["echo reply: $.text == 'hi'"] == {"passed": 3 * chats, "failed": 0, "rate": 1.0}
    assert s["checks"]["echo: body contains 'hello'"]["passed"] == chats
    metrics = s["metrics"]
    assert metrics["ws_msgs_sent"]["value"] == 4 * chats  # send + 3 requests per chat
    assert metrics["ws_msgs_received"]["value"] >= 4 * chats + 5 * feeds
    assert metrics["ws_push_gap_ms"]["count"] >= 4 * feeds  # 4 gaps per 5-message feed
    assert s["scenarios"]["default"]["script_errors"] == {}
    assert all(t["actual"] is not None for t in s["thresholds"]), s["thresholds"]


def test_the_grpc_example_flow_in_two_workers(grpc_target: str, cli: Callable[..., CliResult]) -> None:
    path = EXAMPLE / "echo_flow.yaml"
    res = cli(
        "run",
        str(path),
        "-i",
        "45",
        "--vus",
        "4",
        "--workers",
        "2",
        "-e",
        f"GRPC_TARGET={grpc_target}",
        *QUIET,
    )
    s = res.summary()
    assert res.code == (1 if s["verdict"] == "FAIL" else 0), res.err
    assert s["workers"]["count"] == 2 and s["errors"] == {}
    names = {name: b["requests"]["total"] for name, b in s["by_name"].items()}
    feeds = names.pop("loadpulse.echo.Echo/Feed")
    assert names["say"] == names["add"] and names["say"] + feeds == 45
    assert feeds > 0 and s["metrics"]["grpc_stream_messages"] == {
        **s["metrics"]["grpc_stream_messages"],
        "count": feeds,
        "max": 5,
    }
    assert s["checks"]["loadpulse.echo.Echo/Feed: $.seq == 4"]["passed"] == feeds
    assert all(c["failed"] == 0 for c in s["checks"].values()), s["checks"]


def _flow(tmp_path: Path, text: str) -> str:
    path = tmp_path / "flow.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_grpc_statuses_are_error_kinds_and_a_capture_from_a_failed_call_names_its_step(
    grpc_target: str, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = _flow(
        tmp_path,
        f"""
        scenarios:
          - requests:
              - grpc:
                  target: "{{{{ env.T }}}}"
                  proto: {PROTO}
                  method: Echo/Say
                  data: {{text: "v{{{{ vu }}}}", fail: "{{{{ env.FAIL }}}}"}}
                  name: say
                  check: {{status: [OK, NOT_FOUND]}}
                  capture: {{said: $.text}}
              - ws: {{url: /ws/echo, actions: [{{send: "{{{{ said }}}}"}}]}}
        """,
    )
    res = cli(
        "run", path, "-i", "6", "--vus", "2", "-e", f"T={grpc_target}", "-e", "FAIL=UNAVAILABLE", *QUIET
    )
    assert res.code == 0, res.err
    s = res.summary()
    assert s["by_name"]["say"]["errors"] == {"grpc_unavailable": 6}
    assert s["checks"]["say: status OK/NOT_FOUND"] == {"passed": 0, "failed": 6, "rate": 0.0}
    key = "scenarios[0].requests[0].grpc.capture.said: $.text: the call ended UNAVAILABLE, nothing to capture"
    assert s["scenarios"]["default"]["script_errors"] == {key: 6}


def test_a_ws_recv_that_gets_nothing_ends_the_iteration_named_by_its_path(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = _flow(
        tmp_path,
        """
        scenarios:
          - requests:
              - ws:
                  url: /ws/echo
                  actions:
                    - request: {id: 1, text: hi}
                      match: id
                      capture: {id: $.id}
                    - recv: 50ms
              - url: /health
        """,
    )
    res = cli("run", path, "-u", demo_url, "-i", "2", "--vus", "1", *QUIET)
    assert res.code == 0, res.err
    s = res.summary()
    assert s["by_name"]["WS /ws/echo request"]["requests"]["ok"] == 2 and "GET /health" not in s["by_name"]
    key = "scenarios[0].requests[0].ws.actions[1].recv: no message within 0.05 s"
    assert s["scenarios"]["default"]["script_errors"] == {key: 2}


def test_a_rendered_url_that_is_not_websocket_is_bad_input_at_the_steps_line(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = _flow(
        tmp_path,
        'variables: {to: "http://127.0.0.1:1/ws"}\n'
        'scenarios:\n  - requests:\n      - ws: {url: "{{ to }}"}\n',
    )
    res = cli("run", path, "-d", "30s", "--vus", "1", "-q", "--no-history")
    assert_bad_input(
        res, f"{path}:4", "scenarios[0].requests[0].ws: ctx.ws.connect('http://127.0.0.1:1/ws'): http://"
    )


def test_a_bad_step_is_one_line_and_exit_2(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = _flow(
        tmp_path,
        f"scenarios:\n  - requests:\n      - grpc: {{target: 127.0.0.1:1, proto: {PROTO}, method: E/X}}\n",
    )
    res = cli("run", path, "-i", "1", "-q", "--no-history")
    assert_bad_input(res, f"{path}:3", "scenarios[0].requests[0].grpc.method: unknown gRPC method 'E/X'")
