"""YAML scenario files are read within bounds (issue 10, item 7): size, alias expansion, nesting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from loadpulse.errors import BadInput
from loadpulse.scenario.yaml_limits import MAX_EXPANDED, MAX_FILE_BYTES, expanded_size, read_yaml
from tests.conftest import CliResult
from tests.scenario.test_bad_scenarios import assert_bad

BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"{chr(c)}: &{chr(c)} [{','.join([f'*{chr(c - 1)}'] * 9)}]" for c in range(ord("b"), ord("j"))),
        "scenarios:",
        "  - requests:",
        "      - {url: /, method: POST, json: *i}",
    ]
)


def test_alias_bomb_is_refused_before_it_expands(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS)
    assert path.stat().st_size < 2000
    assert_bad(cli("run", str(path), "-u", "http://127.0.0.1:9"), "alias bomb")


def test_huge_yaml_file_is_refused_before_it_is_read(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as fh:
        fh.write("scenarios:\n  - requests:\n      - url: /\n# ")
        fh.truncate(MAX_FILE_BYTES + 10)  # sparse: no need to write 10 MiB on a shared disk
    assert_bad(cli("run", str(path), "-u", "http://127.0.0.1:9"), "over the 10 MiB limit")


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(BadInput, match="alias bomb"):
        read_yaml(path, str(path))


def test_deep_nesting_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 50_000 + "]" * 50_000)
    with pytest.raises(BadInput, match=r"deep\.yaml: nested too deeply"):
        read_yaml(path, str(path))


def test_ordinary_aliases_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("h: &h {X-A: '1'}\nscenarios:\n  - requests:\n      - {url: /, headers: *h}\n")
    assert read_yaml(path, str(path))["scenarios"][0]["requests"][0]["headers"] == {"X-A": "1"}


def test_expanded_size_counts_every_alias_once_per_use() -> None:
    node = yaml.compose("a: &a [x, y]\nb: [*a, *a, *a]\n")
    assert node is not None
    # [x, y] is 1 + 2 + 2 = 5; used 4 times; plus 2 keys (2 each), the outer map and the b list
    assert expanded_size(node) == 5 * 4 + 2 * 2 + 1 + 1
    assert expanded_size(yaml.compose(BILLION_LAUGHS)) > MAX_EXPANDED  # type: ignore[arg-type]


def test_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"scenarios: \xff\xfe\n")
    with pytest.raises(BadInput, match="not UTF-8"):
        read_yaml(path, str(path))
