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


def test_grpc_fields_at_their_default_and_a_cancelled_streams_last_message_are_read(
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
                  method: Echo/Feed
                  data: {{count: 1}}
                  name: one
                  check: {{json: {{$.seq: 0}}}}
                  capture: {{seq: $.seq}}
              - grpc:
                  target: "{{{{ env.T }}}}"
                  proto: {PROTO}
                  method: Echo/Feed
                  data: {{count: 5, fail: CANCELLED}}
                  name: cut
                  check: {{status: [OK, CANCELLED], json: {{$.seq: 4}}}}
        """,
    )
    res = cli("run", path, "-i", "3", "--vus", "1", "-e", f"T={grpc_target}", *QUIET)
    assert res.code == 0, res.err
    s = res.summary()
    assert s["scenarios"]["default"]["script_errors"] == {}
    assert s["checks"]["one: $.seq == 0"] == {"passed": 3, "failed": 0, "rate": 1.0}
    assert s["checks"]["cut: $.seq == 4"] == {"passed": 3, "failed": 0, "rate": 1.0}
    assert s["by_name"]["cut"]["errors"] == {"grpc_cancelled": 3}


def test_a_feed_row_that_turns_bad_mid_run_is_a_script_error_naming_the_value_and_row(
    grpc_target: str, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "rows.jsonl").write_text('{"t": "a"}\n{"t": "b"}\n{"t": 7}\n')
    path = _flow(
        tmp_path,
        f"""
        data: {{rows: {{file: rows.jsonl}}}}
        scenarios:
          - requests:
              - grpc:
                  target: "{{{{ env.T }}}}"
                  proto: {PROTO}
                  method: Echo/Say
                  data: {{text: "{{{{ data.rows.t }}}}"}}
                  name: say
        """,
    )
    res = cli("run", path, "-i", "3", "--vus", "1", "-e", f"T={grpc_target}", *QUIET)
    assert res.code == 0, res.err  # the run goes on and reports
    s = res.summary()
    assert s["by_name"]["say"]["requests"]["ok"] == 2
    key = "scenarios[0].requests[0].grpc: a rendered value is refused (it was not at first)"
    assert s["scenarios"]["default"]["script_errors"] == {key: 1}
    said = s["scenarios"]["default"]["script_error_messages"][key]
    assert said.startswith("{'text': 7}; this iteration took data.rows row {'t': 7}: request does not fit"), (
        said
    )


def test_a_first_row_that_does_not_fit_is_bad_input_at_the_steps_line(
    grpc_target: str, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "rows.jsonl").write_text('{"t": 7}\n')
    path = _flow(
        tmp_path,
        f"""
        data: {{rows: {{file: rows.jsonl}}}}
        scenarios:
          - requests:
              - grpc: {{target: "{{{{ env.T }}}}", proto: {PROTO}, method: Echo/Say, data: {{text: "{{{{ data.rows.t }}}}"}}}}
        """,  # noqa: E501
    )
    res = cli("run", path, "-i", "1", "-e", f"T={grpc_target}", "-q", "--no-history")
    assert_bad_input(res, f"{path}:5", "does not fit", "{'text': 7}", "data.rows row {'t': 7}")


def test_a_recv_the_servers_normal_close_cut_short_is_a_script_error(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = _flow(
        tmp_path,
        """
        scenarios:
          - requests:
              - ws:
                  url: /ws/feed?count=1&every_ms=5
                  name: one
                  actions:
                    - recv: 2s
                      repeat: 3
          - requests:
              - ws:
                  url: /ws/feed?count=2&every_ms=5
                  name: two
                  actions:
                    - recv_until: {json: {$.seq: 9}}
                      timeout: 5s
        """,
    )
    res = cli("run", path, "-u", demo_url, "-i", "4", "--vus", "1", *QUIET)
    assert res.code == 0, res.err
    s = res.summary()
    errors = s["scenarios"]["default"]["script_errors"]
    closed = "ws.actions[0].{}: the server closed the connection (1000) before the message"
    first = "scenarios[0].requests[0]." + closed.format("recv")
    until = "scenarios[1].requests[0]." + closed.format("recv_until") + " with $.seq == 9"
    assert set(errors) == {first, until} and sum(errors.values()) == 4, errors
    assert s["errors"] == {"script_error": 4}  # a normal close is no ws_* error


def test_non_ascii_json_goes_as_utf_8(cli: Callable[..., CliResult], tmp_path: Path, demo_url: str) -> None:
    path = _flow(
        tmp_path,
        """
        scenarios:
          - requests:
              - ws:
                  url: /ws/echo
                  actions:
                    - request: {id: "{{ uuid }}", text: "héllo 🚀"}
                      match: id
                      name: reply
                      check: {body_contains: "héllo 🚀"}
                    - send: {text: "☃"}
                    - recv: 2s
                      check: {body_contains: "☃"}
        """,
    )
    res = cli("run", path, "-u", demo_url, "-i", "2", "--vus", "1", *QUIET)
    assert res.code == 0, res.err
    checks = res.summary()["checks"]
    assert all(c["passed"] == 2 and c["failed"] == 0 for c in checks.values()), checks
    assert len(checks) == 2
