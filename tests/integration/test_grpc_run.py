"""gRPC end to end: a scenario file with ctx.grpc and the `loadpulse grpc` one-liner against the example
echo server (examples/grpc, the one docs/grpc.md runs), in one process and in two workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.protocols.grpc.echo_target import EXAMPLE, PROTO, grpc_target

__all__ = ["grpc_target"]

SAY = "loadpulse.echo.Echo/Say"
QUIET = ("--json", "-", "-q", "--no-history")


def one_liner(cli: Callable[..., CliResult], target: str, method: str, *args: str) -> CliResult:
    return cli("grpc", target, method, "--proto", str(PROTO), *args, *QUIET)


def test_the_example_scenario_makes_unary_and_streaming_calls(
    grpc_target: str, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "run",
        str(EXAMPLE / "echo_scenario.py"),
        "-i",
        "60",
        "--vus",
        "4",
        "-e",
        f"GRPC_TARGET={grpc_target}",
        *QUIET,
    )
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["verdict"] == "PASS" and summary["errors"] == {}
    names = summary["by_name"]
    assert set(names) == {SAY, "loadpulse.echo.Echo/Add", "loadpulse.echo.Echo/Feed"}
    assert sum(n["requests"]["total"] for n in names.values()) == 60
    assert summary["checks"]["echoed"]["failed"] == 0
    streams = names["loadpulse.echo.Echo/Feed"]["requests"]["total"]
    assert summary["metrics"]["grpc_stream_messages"]["count"] == streams > 0
    assert summary["metrics"]["grpc_stream_messages"]["max"] == 5
    assert summary["metrics"]["grpc_stream_gap_ms"]["count"] == 4 * streams


def test_the_one_liner_makes_n_calls(grpc_target: str, cli: Callable[..., CliResult]) -> None:
    res = one_liner(
        cli, grpc_target, "Echo/Add", "--data", '{"a": 1, "b": 2}', "-n", "300", "-c", "5",
        "-H", "X-Trace-Bin: abc", "-H", "Tenant: a",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"] == {**summary["requests"], "total": 300, "ok": 300, "failed": 0}
    assert list(summary["by_name"]) == ["loadpulse.echo.Echo/Add"]
    assert summary["target"] == {
        "url": f"grpc://{grpc_target}",
        "method": "loadpulse.echo.Echo/Add",
        "headers": [],
    }


def test_calls_in_flight_are_not_held_to_the_descriptor_limit(
    grpc_target: str, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import resource

    monkeypatch.setattr(resource, "getrlimit", lambda _: (1024, 1024))
    # One channel per process carries every call: -c beyond the limit needs no descriptor per call.
    res = one_liner(cli, grpc_target, "Echo/Add", "-n", "1100", "-c", "1100")
    assert res.code == 0, res.err
    assert res.summary()["requests"]["ok"] == 1100


def test_the_one_liner_streams_and_counts_messages(grpc_target: str, cli: Callable[..., CliResult]) -> None:
    res = one_liner(
        cli, grpc_target, "Echo/Feed", "--data", '{"count": 3}', "-n", "40", "-c", "4", "--name", "feed",
        "-t", "grpc_stream_messages.min >= 3",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["by_name"]["feed"]["requests"]["ok"] == 40
    assert summary["metrics"]["grpc_stream_messages"]["count"] == 40
    assert summary["thresholds"][0]["verdict"] == "PASS"


def test_statuses_are_error_kinds_and_deadlines_the_timeout(
    grpc_target: str, cli: Callable[..., CliResult]
) -> None:
    res = one_liner(cli, grpc_target, "Echo/Say", "--data", '{"fail": "UNAVAILABLE"}', "-n", "20", "-c", "2")
    assert res.code == 0, res.err
    assert res.summary()["errors"] == {"grpc_unavailable": 20}
    assert res.summary()["warnings"] == ["grpc_unavailable x20: asked to fail with UNAVAILABLE"]
    res = one_liner(
        cli, grpc_target, "Echo/Say", "--data", '{"text": "twelve bytes"}', "-n", "2", "-c", "1",
        "--max-message-size", "10",
    )  # fmt: skip
    assert res.summary()["errors"] == {"grpc_resource_exhausted": 2}
    res = one_liner(
        cli, grpc_target, "Echo/Say", "--data", '{"delay_ms": 1000}', "-n", "4", "-c", "4",
        "--timeout", "100ms", "-t", "errors.rate < 1%",
    )  # fmt: skip
    assert res.code == 1, res.err
    assert res.summary()["errors"] == {"grpc_deadline_exceeded": 4}


def test_a_stream_that_never_ends_is_cut_at_the_grace(
    grpc_target: str, cli: Callable[..., CliResult]
) -> None:
    res = one_liner(
        cli, grpc_target, "Echo/Feed", "--data", '{"count": 1000000, "interval_ms": 10}', "-c", "3",
        "-d", "1s", "--grace", "300ms", "--timeout", "60s",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["scenarios"]["default"]["profile"]["graceful_stop"] == 0.3  # not a profile's 30 s
    assert summary["errors"] == {"unfinished": 3} and summary["ttfb_ms"]["max"] is not None


def test_an_open_model_rate_is_held(grpc_target: str, cli: Callable[..., CliResult]) -> None:
    res = one_liner(cli, grpc_target, "Echo/Say", "--data", '{"text": "hi"}', "--rate", "500", "-d", "4s")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["model"] == "open"
    assert abs(summary["requests"]["total"] - 2000) <= 40
    assert summary["requests"]["failed"] == 0 and summary["dropped"] == 0


def test_the_one_liner_runs_in_two_workers(grpc_target: str, cli: Callable[..., CliResult]) -> None:
    res = one_liner(
        cli,
        grpc_target,
        "Echo/Say",
        "--data",
        '{"text": "hi"}',
        "--rate",
        "200",
        "-n",
        "200",
        "--workers",
        "2",
    )
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == 200 and summary["requests"]["ok"] == 200
    assert summary["workers"]["count"] == 2
    assert [w["requests"] for w in summary["workers"]["per_worker"]] == [100, 100]
    # The workers' failures by status and details: one line, the counts added.
    fail = '{"fail": "UNAVAILABLE"}'
    res = one_liner(cli, grpc_target, "Echo/Say", "--data", fail, "-n", "20", "-c", "2", "--workers", "2")
    assert res.code == 0, res.err
    assert res.summary()["warnings"] == ["grpc_unavailable x20: asked to fail with UNAVAILABLE"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("Echo/Sya",), "unknown gRPC method 'Echo/Sya' in "),
        (("Echo/Say", "--data", "{bad"), "--data is not valid JSON: Expecting property name"),
        (
            ("Echo/Say", "--data", '{"txt": "hi"}'),
            'does not fit loadpulse.echo.SayRequest: Message type "loadpulse',
        ),
        (("Echo/Say", "--data", "[1]"), "--data must be a JSON object"),
        (("Echo/Say", "-H", "bad"), "header 'bad' has no 'Name: value' form"),
        (("Echo/Say", "--max-message-size", "lots"), "--max-message-size 'lots' is not a size in bytes"),
        (("Echo/Say", "--data", '{"text": "a", "text": "b"}'), ": Failed to load JSON: duplicate key text."),
        (("Echo/Say", "-c", "10000000"), "error: -c 10,000,000 is more than one loadpulse process can hold"),
        (("Echo/Say", "-H", "x!y: a"), "-H key 'x!y' is not a gRPC metadata key"),
        (("Echo/Say", "-H", "x: \u00e9"), "-H value of 'x' must be printable ASCII"),
    ],
)
def test_bad_one_liner_input_is_one_line(
    grpc_target: str, cli: Callable[..., CliResult], args: tuple[str, ...], said: str
) -> None:
    res = one_liner(cli, grpc_target, *args)
    assert res.code == 2 and said in res.err and res.err.count("\n") == 1 and "Traceback" not in res.err


def test_a_proto_that_does_not_compile_or_is_missing(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    bad = tmp_path / "bad.proto"
    bad.write_text('syntax = "proto3";\nmessage A { strin x = 1; }\n')
    res = cli("grpc", "127.0.0.1:1", "A/B", "--proto", str(bad), *QUIET)
    assert res.code == 2 and f'.proto does not compile: {bad}:2:13: "strin" is not defined.' in res.err
    res = cli("grpc", "127.0.0.1:1", "A/B", *QUIET)
    assert res.code == 2 and "--proto FILE is needed: server reflection is not supported" in res.err
    res = cli("grpc", "http://127.0.0.1:1", "A/B", "--proto", str(bad), *QUIET)
    assert res.code == 2 and "gRPC target 'http://127.0.0.1:1' is not host:port" in res.err
    res = cli("grpc", "127.0.0.1:99999", "A/B", "--proto", str(bad), *QUIET)
    assert res.code == 2 and "gRPC target '127.0.0.1:99999': the port must be 1 to 65535" in res.err


def test_without_grpcio_the_one_liner_says_how_to_install_it(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "grpc", None)
    res = cli("grpc", "127.0.0.1:1", "Echo/Say", "--proto", str(PROTO), *QUIET)
    assert res.code == 2 and "pip install 'loadpulse[grpc]'" in res.err and res.err.count("\n") == 1


def test_a_scenario_whose_proto_does_not_load_says_file_and_line(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    scenario = tmp_path / "s.py"
    scenario.write_text(
        "from loadpulse import task\nfrom loadpulse.protocols.grpc import load_protos\n\n"
        "echo = load_protos('missing.proto')\n\n@task\nasync def t(ctx):\n    pass\n"
    )
    res = cli("run", str(scenario), *QUIET)
    assert res.code == 2 and f"{scenario}:4: .proto file 'missing.proto' not found" in res.err
