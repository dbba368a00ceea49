"""A port outside 0-65535 is one line, exit 2 (not socket's OverflowError), from the CLI and from bind."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from loadpulse.errors import BadInput
from loadpulse.live.service import bind
from tests.conftest import CliResult


@pytest.mark.parametrize(
    "arg", ["--prometheus=99999", "--prometheus=-1", "--dashboard=99999", "--dashboard=-5"]
)
def test_a_port_out_of_range_is_one_line_exit_2(cli: Callable[..., CliResult], arg: str) -> None:
    r = cli("http", "http://127.0.0.1:9/", "-d", "30s", "--no-history", arg)
    assert r.code == 2 and r.out == ""
    flag = arg.split("=")[0]
    assert r.err.startswith(f"loadpulse: error: http: Invalid value for '{flag}'") and r.err.count("\n") == 1
    assert "Traceback" not in r.err


@pytest.mark.parametrize("port", [65536, -1, 10**20])
def test_bind_refuses_a_port_out_of_range(port: int) -> None:
    with pytest.raises(BadInput, match=f"--dashboard: {port} is not a port"):
        bind("127.0.0.1", port, "--dashboard")
