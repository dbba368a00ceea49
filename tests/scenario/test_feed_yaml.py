"""``data:`` in YAML scenarios: ``{{ data.NAME.column }}`` takes one row per feed per iteration."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.scenario.feed import FeedExhausted
from loadpulse.scenario.yaml_file import load_yaml

YAML = """
base_url: http://127.0.0.1:9
data:
  users: users.csv
  orders: {{file: orders.jsonl, mode: {mode}}}
scenarios:
  - requests:
      - url: /u/{{{{ data.users.id }}}}?mail={{{{ data.users.email }}}}
      - method: POST
        url: /orders
        json: {{order: "{{{{ data.orders }}}}", user: "{{{{ data.users.id }}}}"}}
"""


class _Http:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    async def request(self, method: str, url: str, **kw: Any) -> Any:
        self.sent.append((url, kw.get("json")))
        return SimpleNamespace(status=200, ok=True, name=url)


def _files(folder: Path) -> None:
    (folder / "users.csv").write_text("id,email\n1,a@x\n2,b@x\n")
    (folder / "orders.jsonl").write_text('{"n": 10}\n{"n": 20}\n{"n": 30}\n')


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _run_iterations(path: Path, n: int, vu: int = 1) -> list[tuple[str, Any]]:
    fn = load_yaml(str(path)).tasks["default"][0].fn
    http = _Http()
    ctx: Any = SimpleNamespace(http=http, vu=SimpleNamespace(id=vu, iteration=0), env={})

    async def iterations() -> None:
        for _ in range(n):
            await fn(ctx)

    asyncio.run(iterations())
    return http.sent


def test_each_iteration_takes_one_row_of_each_feed_it_names(tmp_path: Path) -> None:
    _files(tmp_path)
    sent = _run_iterations(_write(tmp_path, YAML.format(mode="cycle")), 2)
    assert sent == [
        ("/u/1?mail=a@x", None),
        ("/orders", {"order": {"n": 10}, "user": "1"}),  # the same user row in both requests
        ("/u/2?mail=b@x", None),
        ("/orders", {"order": {"n": 20}, "user": "2"}),
    ]


def test_a_run_out_feed_ends_the_iteration_with_the_feed_signal(tmp_path: Path) -> None:
    _files(tmp_path)
    path = _write(tmp_path, YAML.format(mode="once"))
    with pytest.raises(FeedExhausted, match=r"data users\.csv ran out"):
        _run_iterations(path, 3)


def test_a_column_the_csv_does_not_have_is_bad_input_at_its_line(tmp_path: Path) -> None:
    _files(tmp_path)
    path = _write(tmp_path, YAML.format(mode="once").replace("data.users.email", "data.users.mail"))
    with pytest.raises(BadInput, match=r"flow\.yaml:8: .*'\{\{ data\.users\.mail \}\}' is not a variable"):
        load_yaml(str(path))


def test_a_bad_data_file_names_the_yaml_line_of_its_feed(tmp_path: Path) -> None:
    _files(tmp_path)
    (tmp_path / "orders.jsonl").write_text('{"n": 1}\n{"n":\n')
    with pytest.raises(BadInput) as info:
        load_yaml(str(_write(tmp_path, YAML.format(mode="once"))))
    assert (
        str(info.value)
        == f"{tmp_path}/flow.yaml:5: orders.jsonl line 2: invalid JSON: Expecting value (column 6)"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{file: users.csv, mode: shuffle}", r":4: feed mode 'shuffle' is not one of"),
        ("{path: users.csv}", r":4: data\.users: give a file name, or \{file: users\.csv"),
        ("missing.csv", r":4: missing\.csv: data file not found"),
    ],
)
def test_bad_data_entries_are_one_line_at_their_yaml_line(tmp_path: Path, data: str, message: str) -> None:
    _files(tmp_path)
    text = "base_url: http://127.0.0.1:9\ndata:\n  # feeds\n  users: " + data
    text += "\nscenarios:\n  - requests: [{url: /}]\n"
    with pytest.raises(BadInput, match=message):
        load_yaml(str(_write(tmp_path, text)))
