"""A YAML file's ``pipeline:`` and ``track:``: read like a Python file's ``pipeline = {...}``; each bad one
is one line naming file:line, exit 2."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from loadpulse.errors import BadInput
from loadpulse.scenario.pipeline_spec import PipelineSpec
from loadpulse.scenario.yaml_file import load_yaml
from loadpulse.scenario.yaml_limits import read_yaml_document
from loadpulse.scenario.yaml_lines import YamlLines
from loadpulse.scenario.yaml_track import placeholder_parts
from tests.conftest import CliResult
from tests.scenario.test_bad_scenarios import assert_bad

GOOD = """\
base_url: http://127.0.0.1:9
pipeline:
  sink: "sql:sqlite:///done.db#SELECT id, at FROM items"
  sinks: ["webhook:0"]
  drain_timeout: 2s
  stuck_after: 1m
  workers: 3
scenarios:
  - requests:
      - method: POST
        url: /orders/{{ order }}
        track: order
        headers: {X-Order: "{{ order }}"}
      - url: /after/{{ order }}
      - method: POST
        url: /messages
        track: {from: $.data.id}
"""


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_pipeline_is_read_like_a_python_files(tmp_path: Path) -> None:
    source = load_yaml(_write(tmp_path, GOOD))
    assert source.pipeline is not None
    assert source.pipeline.origins == (f"{source.path}:2: pipeline.sink",) * 2
    assert dataclasses.replace(source.pipeline, origins=()) == PipelineSpec(
        ("sql:sqlite:///done.db#SELECT id, at FROM items", "webhook:0"), 2.0, 60.0, 3
    )


def test_a_file_without_pipeline_has_none(tmp_path: Path) -> None:
    text = GOOD.split("pipeline:")[0] + "scenarios:" + GOOD.split("scenarios:")[1]
    assert load_yaml(_write(tmp_path, text)).pipeline is None


def test_lines_follow_paths_down_to_the_deepest_node(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    _, root = read_yaml_document(Path(path), path)
    lines = YamlLines(path, root)
    assert lines.line(("pipeline", "workers")) == 7
    assert lines.line(("scenarios", 0, "requests", 2, "track", "from")) == 17
    assert lines.line(("scenarios", 0, "requests", 1, "nothing", "here")) == 14
    assert lines.at("scenarios", 5) == f"{path}:8"
    assert YamlLines(path, None).line(("a",)) == 1


def test_lines_look_through_merge_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, "base: &b\n  url: /x\n  method: GET\nscenarios:\n  - requests:\n      - <<: *b\n")
    _, root = read_yaml_document(Path(path), path)
    assert YamlLines(path, root).line(("scenarios", 0, "requests", 0, "method")) == 3


def test_placeholders_split_only_at_track() -> None:
    assert placeholder_parts('{"id": "{{ track }}", "v": "{{ vu }}"}') == ['{"id": "', '", "v": "{{ vu }}"}']
    assert placeholder_parts("/a/{{track}}/b/{{  track }}") == ["/a/", "/b/", ""]
    assert placeholder_parts("/plain") == ["/plain"]


REQ = "base_url: http://127.0.0.1:9\nscenarios:\n  - requests:\n      - url: /a\n"
BAD = [
    (
        "not_mapping",
        "pipeline: sql:sqlite:///x.db#SELECT id FROM t\n" + REQ,
        ":1: pipeline: must be a mapping",
    ),
    (
        "unknown_key",
        REQ + "pipeline:\n  sink: webhook:0\n  sinc: webhook:1\n",
        ":5: pipeline: unknown key 'sinc'",
    ),
    ("no_sink", REQ + "pipeline: {drain_timeout: 1s}\n", ":5: pipeline needs a 'sink'"),
    ("bad_drain", REQ + "pipeline: {sink: 'webhook:0', drain_timeout: soon}\n", ":5: pipeline.drain_timeout"),
    ("bad_workers", REQ + "pipeline: {sink: 'webhook:0', workers: 0}\n", ":5: pipeline.workers"),
    ("sink_type", REQ + "pipeline: {sink: 3}\n", ":5: pipeline: a sink is a spec string"),
    ("track_builtin", REQ + "        track: vu\n", ":5: scenarios[0].requests[0].track: 'vu' is a built-in"),
    ("track_name", REQ + "        track: 'my id'\n", ":5: scenarios[0].requests[0].track: 'my id' is not a"),
    (
        "track_key",
        REQ + "        track: {form: $.id}\n",
        ":5: scenarios[0].requests[0].track: unknown key 'form'",
    ),
    ("track_path", REQ + "        track: {from: id}\n", ":5: scenarios[0].requests[0].track: JSON path 'id'"),
    ("track_path_syntax", REQ + "        track: {from: '$.a['}\n", ":5: scenarios[0].requests[0].track: "),
    ("track_type", REQ + "        track: [a]\n", ":5: scenarios[0].requests[0].track: write track: order_id"),
    (
        "track_on_scenario",
        "base_url: http://127.0.0.1:9\nscenarios:\n  - name: s\n    track: order\n    requests: [{url: /}]\n",
        ":4: scenarios[0].track: track goes on a request",
    ),
    (
        "track_in_check",
        REQ + "        check: {status: 200, track: order}\n",
        ":5: scenarios[0].requests[0].check.track: track goes on a request",
    ),
    ("track_top_level", "track: order\n" + REQ, ":1: track: track goes on a request"),
    (
        "tracked_var_used_before",
        REQ + "      - url: /b/{{ order }}\n      - url: /c\n        track: order\n",
        ":5: scenarios[0].requests[1]: '{{ order }}' is not a variable",
    ),
    ("unknown_request_key", REQ + "        trak: order\n", ":5: scenarios[0].requests[0].trak: unknown key"),
    ("var", REQ + "      - url: /b/{{ nope }}\n", ":5: scenarios[0].requests[1]: '{{ nope }}' is not"),
]


@pytest.mark.parametrize(("name", "text", "fragment"), BAD, ids=[c[0] for c in BAD])
def test_bad_pipeline_or_track_is_one_line_with_file_and_line(
    cli: Callable[..., CliResult], tmp_path: Path, name: str, text: str, fragment: str
) -> None:
    path = _write(tmp_path, text, f"{name}.yaml")
    assert_bad(cli("run", path, "--no-history"), path + fragment)


def test_load_errors_name_the_line_without_the_cli(tmp_path: Path) -> None:
    path = _write(tmp_path, REQ + "        track: {from: 3}\n")
    with pytest.raises(
        BadInput, match=r"s\.yaml:5: scenarios\[0\]\.requests\[0\]\.track: from: 3 is not a JSON"
    ):
        load_yaml(path)
