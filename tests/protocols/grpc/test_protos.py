"""Compiling .proto files in-process, naming methods, and making request messages (no server)."""

from __future__ import annotations

import builtins
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.protocols.grpc import load_protos
from loadpulse.protocols.grpc.protos import (
    MISSING_GRPC,
    Protos,
    compile_protos,
    protos_of_modules,
    require_grpc,
)
from tests.protocols.grpc.echo_target import PROTO

METHODS = ["loadpulse.echo.Echo/Say", "loadpulse.echo.Echo/Add", "loadpulse.echo.Echo/Feed"]


def test_a_proto_compiles_to_its_services_and_is_compiled_once_per_process() -> None:
    protos = compile_protos([str(PROTO)])
    assert protos.methods() == METHODS
    assert compile_protos([str(PROTO)]) is protos
    feed = protos.method("loadpulse.echo.Echo/Feed")
    assert feed.server_streaming and not feed.client_streaming
    assert feed.path == "/loadpulse.echo.Echo/Feed"


def test_a_descriptor_set_rebuilds_the_same_protos_elsewhere() -> None:
    again = Protos(compile_protos([str(PROTO)]).descriptor_set, "sent")
    say = again.method("Echo/Say")
    assert say.message({"text": "hi"}).text == "hi"


@pytest.mark.parametrize(
    "name", ["loadpulse.echo.Echo/Say", "Echo/Say", "Echo.Say", "/loadpulse.echo.Echo/Say"]
)
def test_a_method_may_be_named_without_its_package(name: str) -> None:
    assert compile_protos([str(PROTO)]).method(name).name == "loadpulse.echo.Echo/Say"


def test_an_unknown_method_lists_the_known_ones_and_the_closest() -> None:
    with pytest.raises(BadInput) as err:
        compile_protos([str(PROTO)]).method("Echo/Sya")
    said = str(err.value)
    assert "unknown gRPC method 'Echo/Sya'" in said and "did you mean 'loadpulse.echo.Echo/Say'?" in said
    assert all(m in said for m in METHODS) and "\n" not in said


def test_a_proto_that_does_not_compile_is_protocs_message_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.proto"
    bad.write_text('syntax = "proto3";\nmessage A { strin x = 1; }\n')
    with pytest.raises(BadInput) as err:
        compile_protos(["bad.proto"], base=str(tmp_path))
    assert str(err.value) == f'.proto does not compile: {bad}:2:13: "strin" is not defined.'


def test_imports_are_found_in_include_folders(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "common.proto").write_text(
        'syntax = "proto3";\npackage c;\nmessage Id { int64 id = 1; }\n'
    )
    (tmp_path / "svc.proto").write_text(
        'syntax = "proto3";\nimport "common.proto";\nimport "google/protobuf/empty.proto";\n'
        "service S { rpc Get (c.Id) returns (google.protobuf.Empty); }\n"
    )
    protos = compile_protos(["svc.proto"], ["lib"], base=str(tmp_path))
    assert protos.method("S/Get").message({"id": 7}).id == 7
    with pytest.raises(BadInput, match=r"common\.proto"):
        compile_protos(["svc.proto"], base=str(tmp_path))


def test_missing_files_and_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"'nope\.proto' not found"):
        compile_protos(["nope.proto"], base=str(tmp_path))
    with pytest.raises(BadInput, match="include folder 'inc' not found"):
        compile_protos([str(PROTO)], ["inc"], base=str(tmp_path))


def test_a_request_that_does_not_fit_names_the_field() -> None:
    say = compile_protos([str(PROTO)]).method("Echo/Say")
    with pytest.raises(BadInput) as err:
        say.message({"txt": "hi"}, "--data")
    assert str(err.value).startswith(
        '--data does not fit loadpulse.echo.SayRequest: Message type "loadpulse.'
    )
    assert '"txt"' in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(BadInput, match="text field"):
        say.message('{"text": 5}')
    assert say.message('{"delay_ms": 3}').delay_ms == 3


def test_load_protos_takes_paths_from_the_calling_file_and_says_its_line(tmp_path: Path) -> None:
    (tmp_path / "echo.proto").write_text(PROTO.read_text())
    code = (
        "from loadpulse.protocols.grpc import load_protos\nok = load_protos('echo.proto')\n"
        "load_protos('x.proto')\n"
    )
    scope: dict[str, Any] = {"__file__": str(tmp_path / "scenario.py")}
    with pytest.raises(BadInput) as err:
        exec(compile(code, str(tmp_path / "scenario.py"), "exec"), scope)
    assert str(err.value).startswith(f"{tmp_path / 'scenario.py'}:3: .proto file 'x.proto' not found")
    assert scope["ok"].methods() == METHODS
    assert load_protos(str(PROTO)).methods() == METHODS


def test_generated_modules_give_the_same_methods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{PROTO.parent}",
            f"--python_out={tmp_path}",
            PROTO.name,
        ],
        check=True,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import echo_pb2  # type: ignore[import-not-found]

    protos = protos_of_modules([echo_pb2])
    assert protos.methods() == METHODS
    assert protos.method("Echo/Add").message({"a": 1}).a == 1
    with pytest.raises(BadInput, match="not a generated \\*_pb2 module"):
        protos_of_modules([builtins])


def test_without_grpcio_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "grpc", None)
    with pytest.raises(BadInput) as err:
        require_grpc()
    assert (
        str(err.value)
        == MISSING_GRPC
        == "gRPC needs grpcio, grpcio-tools and protobuf: pip install 'loadpulse[grpc]'"
    )


def test_a_missing_import_names_the_file_that_imports_it(tmp_path: Path) -> None:
    (tmp_path / "imp.proto").write_text('syntax = "proto3";\nimport "nothere.proto";\n')
    with pytest.raises(BadInput) as err:
        compile_protos(["imp.proto"], base=str(tmp_path))
    assert str(err.value) == (
        f'.proto does not compile: {tmp_path / "imp.proto"}:2:1: Import "nothere.proto" was not found or had '
        "errors."
    )
