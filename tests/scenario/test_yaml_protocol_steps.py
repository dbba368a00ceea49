"""``ws:`` and ``grpc:`` steps in YAML files, checked when the file is loaded: each problem is one line at
the file's line with the step's YAML path (yaml_ws.py, yaml_grpc.py), and a file without a grpc: step
does not import grpc."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.scenario.yaml_file import load_yaml
from tests.protocols.grpc.echo_target import PROTO

WS = """
scenarios:
  - name: chat
    requests:
      - url: /health
      - ws:
          url: {url}
          actions:
            - {action}
"""

WS_CASES = [
    ("send: hi\n              match: id", 9, "actions[0]: match does not go with send (it takes repeat"),
    ("request: {text: hi}\n              match: id", 10, "actions[0].match: 'id' correlates JSON objects"),
    (
        "request: hi\n              tiemout: 2s",
        10,
        "actions[0].tiemout: unknown key; did you mean 'timeout'?",
    ),
    ("recv: soon", 9, "actions[0].recv: 'soon' is not a duration"),
    ("recv: .nan", 9, "actions[0].recv: nan must be a finite duration"),
    ("ping: 0", 9, "actions[0].ping: 0.0 must be greater than zero"),
    ("ping: -1s", 9, "actions[0].ping: '-1s' must be greater than zero"),
    ("request: hi\n              timeout: 1e300", 10, "actions[0].timeout: '1e300' is longer than a run can"),
    ("recv: 745h", 9, "actions[0].recv: '745h' is longer than a run can be (at most 30 days"),
    ("recv_until: ~", 9, "actions[0].recv_until: give json: {PATH: VALUE} and/or body_contains"),
    ("send: hi\n              repeat: true", 10, "actions[0].repeat: Input should be a valid integer"),
    ("send: hi\n              repeat: '3'", 10, "actions[0].repeat: Input should be a valid integer"),
    ("request: hi\n              name: ''", 10, "actions[0].name: a name must not be empty"),
    ("request: hi\n              name: 'r {{ vu }}'", 10, "a name is fixed text, not a template"),
    ("recv: 1s\n              capture: {vu: $.id}", 10, "capture: 'vu' is a built-in variable"),
    ("recv: 1s\n              capture: {'a b': $.id}", 10, "capture: 'a b' is not a variable name"),
    ("recv: 1s\n              capture: {'': $.id}", 10, "capture: '' is not a variable name"),
    ("request: {id: 1}\n              match: ''", 10, "actions[0].match: give a field name, like match: id"),
    ("{}", 9, "actions[0]: an action is one of send, request, recv, recv_until, ping (this one has nothing)"),
    ("send: hi\n              recv: 1s", 9, "actions[0]: an action is one of send, request, recv"),
    ("send: '{{ token }}'", 9, "actions[0].send: '{{ token }}' is not a variable, an earlier capture"),
    ("recv_until: {}", 9, "actions[0].recv_until: give json: {PATH: VALUE} and/or body_contains"),
    (
        "recv: 1s\n              capture: {x: id}",
        10,
        "actions[0].capture: JSON path 'id' must start with '$'",
    ),
]


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "flow.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(BadInput) as err:
        load_yaml(str(path))
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("action", "line", "said"), WS_CASES)
def test_a_bad_ws_action_is_named_at_its_line(tmp_path: Path, action: str, line: int, said: str) -> None:
    message = _load(tmp_path, WS.format(url="/ws/echo", action=action))
    assert message.startswith(f"{tmp_path / 'flow.yaml'}:{line}: scenarios[0].requests[1].ws."), message
    assert said in message, message


def test_a_ws_step_is_told_apart_from_a_request(tmp_path: Path) -> None:
    message = _load(tmp_path, WS.format(url="http://127.0.0.1:1/ws", action="send: hi"))
    assert message.endswith(
        "flow.yaml:7: scenarios[0].requests[1].ws.url: ctx.ws.connect('http://127.0.0.1:1/ws'): http:// is "
        "not a WebSocket URL; use ws:// or wss:// (for this server: ws://…)"
    ), message
    message = _load(tmp_path, "scenarios:\n  - requests:\n      - ws: {url: /ws, actoins: []}\n")
    assert message.endswith(":3: scenarios[0].requests[0].ws.actoins: unknown key; did you mean 'actions'?")
    message = _load(tmp_path, "scenarios:\n  - requests:\n      - wss: {url: /ws}\n")
    assert message.endswith(":3: scenarios[0].requests[0].wss: unknown key; did you mean 'ws'?"), message
    message = _load(tmp_path, "scenarios:\n  - requests:\n      - {ws: {url: /ws}, grpc: {}}\n")
    assert message.endswith(
        ":3: scenarios[0].requests[0].grpc: a step is one request (url:) or one ws or grpc step, not two: "
        "split it"
    ), message
    message = _load(tmp_path, "scenarios:\n  - requests:\n      - {name: x}\n")
    assert message.endswith(
        ":3: scenarios[0].requests[0].url: Field required "
        "(a request has url:, or the step is one of ws:, grpc:)"
    )


GRPC = """
scenarios:
  - name: calls
    requests:
      - grpc:
          target: {target}
          proto: {proto}
          method: {method}
          {key}: {value}
"""

GRPC_CASES = [
    ("method", "Echo/Sya", 8, "method: unknown gRPC method 'Echo/Sya' in"),
    ("target", "http://127.0.0.1:1", 6, "target: gRPC target 'http://127.0.0.1:1' is not host:port"),
    ("data", "{txt: hi}", 9, 'data: data does not fit loadpulse.echo.SayRequest: Message type'),
    ("metadata", "{'Bad Key': x}", 9, "metadata: metadata key 'bad key' is not a gRPC metadata key"),
    ("timeout", "0", 9, "timeout: 0.0 must be greater than zero"),
    ("timeout", "1e12", 9, "timeout: '1e12' is longer than a run can be (at most 30 days"),
    ("name", "''", 9, "name: a name must not be empty"),
    ("capture", "{uuid: $.text}", 9, "capture: 'uuid' is a built-in variable"),
    ("metadata", "{grpc-timeout: 1S}", 9, "metadata key 'grpc-timeout' is reserved by gRPC"),
    ("check", "{status: UNAVAILBLE}", 9, "'UNAVAILBLE' is not a gRPC status: did you mean UNAVAILABLE?"),
    ("metdata", "{a: b}", 9, "metdata: unknown key; did you mean 'metadata'?"),
    ("data", "{text: '{{ said }}'}", 5, "'{{ said }}' is not a variable"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "value", "line", "said"), GRPC_CASES)
def test_a_bad_grpc_step_is_named_at_its_line(
    tmp_path: Path, key: str, value: str, line: int, said: str
) -> None:
    pytest.importorskip("grpc")
    fields = {"target": "127.0.0.1:50051", "method": "Echo/Say", "key": key, "value": value}
    if key in fields:  # a field of the template itself, not one more
        fields.update({key: value, "key": "name", "value": "say"})
    message = _load(tmp_path, GRPC.format(proto=PROTO, **fields))
    assert message.startswith(f"{tmp_path / 'flow.yaml'}:{line}: scenarios[0].requests[0].grpc"), message
    assert said in message, message


def test_a_proto_is_found_from_the_files_folder_and_its_compiler_message_told(tmp_path: Path) -> None:
    pytest.importorskip("grpc")
    (tmp_path / "broken.proto").write_text('syntax = "proto3";\nmessage A { strin x = 1; }\n')
    message = _load(
        tmp_path,
        GRPC.format(
            target="127.0.0.1:50051", proto="broken.proto", method="Echo/Say", key="name", value="say"
        ),
    )
    assert message.endswith(
        ":7: scenarios[0].requests[0].grpc.proto: .proto does not compile: "
        f"{tmp_path / 'broken.proto'}:2:13: "
        '"strin" is not defined.'
    ), message
    message = _load(
        tmp_path,
        GRPC.format(
            target="127.0.0.1:50051", proto="missing.proto", method="Echo/Say", key="name", value="say"
        ),
    )
    assert message.endswith(f".proto file 'missing.proto' not found (in {tmp_path})"), message
    (tmp_path / "echo.proto").write_text(PROTO.read_text())
    source = load_yaml(
        str(
            _write(
                tmp_path,
                GRPC.format(
                    target="127.0.0.1:50051", proto="echo.proto", method="Echo/Say", key="name", value="say"
                ),
            )
        )
    )
    assert [t.name for t in source.tasks["default"]] == ["calls"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_file_without_grpc_steps_does_not_import_grpc(tmp_path: Path) -> None:
    path = _write(tmp_path, WS.format(url="/ws/echo", action="send: hi"))
    code = (
        "import sys\nfrom loadpulse.scenario.loader import load_scenario\n"
        f"load_scenario({str(path)!r})\nprint(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('grpc', 'grpc_tools', 'google')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize(
    ("url", "headers", "line", "said"),
    [
        ("ws://127.0.0.1:0/ws", "{}", 7, "url: ctx.ws.connect('ws://127.0.0.1:0/ws'): port 0 is not a port"),
        ("/ws/echo#top", "{}", 7, "url: ctx.ws.connect('/ws/echo#top'): a WebSocket URL has no #fragment"),
        (
            "/ws/echo",
            "{Sec-WebSocket-Key: abc}",
            8,
            "headers.Sec-WebSocket-Key: the WebSocket handshake sets",
        ),
        ("/ws/echo", "{Upgrade: h2c}", 8, "headers.Upgrade: the WebSocket handshake sets this header"),
    ],
)
def test_a_ws_url_or_header_the_handshake_cannot_take_is_refused_at_load_time(
    tmp_path: Path, url: str, headers: str, line: int, said: str
) -> None:
    text = WS.format(url=url, action="send: hi").replace(
        "          actions:", f"          headers: {headers}\n          actions:"
    )
    message = _load(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'flow.yaml'}:{line}: scenarios[0].requests[1].ws."), message
    assert said in message, message


ENV_FILE = """
headers: {X-Team: "{{ env.TEAM }}"}
scenarios:
  - requests:
      - url: "/health?x={{ env.NOPE }}"
      - ws:
          url: "{{ env.WSURL }}"
          actions: [{send: hi}]
"""


def test_an_env_key_the_command_line_does_not_give_is_bad_input_before_the_run(tmp_path: Path) -> None:
    from loadpulse.scenario.source import RunOptions, build_plan

    source = load_yaml(str(_write(tmp_path, ENV_FILE)))
    path = tmp_path / "flow.yaml"
    cases = [
        ({}, f"{path}:2: headers.X-Team: {{{{ env.TEAM }}}}: env.TEAM is not set (give --env TEAM=...)"),
        ({"TEAM": "a"}, f"{path}:5: scenarios[0].requests[0].url: {{{{ env.NOPE }}}}: env.NOPE is not set"),
        (
            {"TEAM": "a", "NOPE": "b"},
            f"{path}:7: scenarios[0].requests[1].ws.url: {{{{ env.WSURL }}}}: env.WSURL is not set",
        ),
    ]
    for env, said in cases:
        with pytest.raises(BadInput) as err:
            build_plan(source, RunOptions(env=env))
        assert str(err.value).startswith(said), str(err.value)
    build_plan(source, RunOptions(env={"TEAM": "a", "NOPE": "b", "WSURL": "ws://127.0.0.1:1/"}))


def test_grpc_replies_keep_fields_at_their_default_value() -> None:
    pytest.importorskip("grpc")
    from loadpulse.protocols.grpc.plugin import Reply
    from loadpulse.protocols.grpc.protos import compile_protos

    method = compile_protos([str(PROTO)], [], ".").method("Echo/Add")
    zero = method.response(sum=0)
    # ctx.grpc's reply.json() and YAML's json:/capture: (int64 as a string, by protobuf's JSON mapping)
    assert Reply("OK", "", zero, 1.0).json() == {"sum": "0"}


def test_a_dict_in_a_text_template_is_json_not_python_repr() -> None:
    from loadpulse.scenario.yaml_env import render

    env = {"obj": {"a": "é", "b": [1, True]}}
    assert render("x={{ obj }}", env) == 'x={"a":"é","b":[1,true]}'
    assert render("{{ obj }}", env) == env["obj"]  # a whole-string template keeps its type


def test_a_python_scripts_own_timeout_past_30_days_is_bad_input_not_an_overflow() -> None:
    import asyncio
    from types import SimpleNamespace

    from loadpulse.protocols.ws.connection import WsConnection

    for huge in (1e300, float("inf"), float("nan"), 31 * 86_400):
        conn: Any = SimpleNamespace(name="echo")  # refused before the connection is used
        with pytest.raises(BadInput, match=r"echo: request\(timeout=.*\): give seconds, at most 2,592,000"):
            asyncio.run(WsConnection.request(conn, "hi", timeout=huge))
    pytest.importorskip("grpc")
    from loadpulse.protocols.grpc.plugin import checked_timeout

    with pytest.raises(BadInput, match="at most 30 days"):
        checked_timeout(1e12)
    assert checked_timeout(30 * 86_400) == 30 * 86_400


def test_a_key_given_twice_in_one_mapping_is_refused_at_its_line(tmp_path: Path) -> None:
    message = _load(tmp_path, WS.format(url="/ws/echo", action="{send: hi, repeat: 2, repeat: 3}"))
    assert message == (
        f"{tmp_path / 'flow.yaml'}:9: 'repeat' is given twice in one mapping (first at line 9); YAML "
        "would keep only the last: remove one"
    )
    merged = "scenarios:\n  - requests:\n      - &d {url: /health, name: h}\n      - {<<: *d, name: other}\n"
    assert load_yaml(str(_write(tmp_path, merged))).tasks  # a merged key overridden is no duplicate


def test_an_http_steps_name_is_fixed_text_too(tmp_path: Path) -> None:
    for name, said in (("''", "a name must not be empty"), ("'get {{ vu }}'", "a name is fixed text")):
        message = _load(tmp_path, f"scenarios:\n  - requests:\n      - {{url: /x, name: {name}}}\n")
        assert message.startswith(f"{tmp_path / 'flow.yaml'}:3: scenarios[0].requests[0].name: "), message
        assert said in message, message
