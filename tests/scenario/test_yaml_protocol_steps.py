"""``ws:`` and ``grpc:`` steps in YAML files, checked when the file is loaded: each problem is one line at
the file's line with the step's YAML path (yaml_ws.py, yaml_grpc.py), and a file without a grpc: step
does not import grpc."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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
    ("recv: soon", 9, "actions[0].recv 'soon' is not a duration"),
    ("ping: 0", 9, "actions[0].ping: must be more than 0"),
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
    ("timeout", "0", 9, "timeout: must be more than 0"),
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
