"""Small pure helpers: JSON paths, optional CLI values."""

from __future__ import annotations

import pytest

from loadpulse.cli.live_options import expand_optional_values
from loadpulse.jsonpath import lookup, parse_json_path


@pytest.mark.parametrize(
    ("path", "parts"), [("$", []), ("$.id", ["id"]), ("$.items[0].id", ["items", 0, "id"]), ("$[2]", [2])]
)
def test_json_paths(path: str, parts: list[str | int]) -> None:
    assert parse_json_path(path) == parts


@pytest.mark.parametrize("bad", ["id", "$.", "$..a", "$.a[x]", "$.a b"])
def test_bad_json_paths(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_json_path(bad)


def test_lookup() -> None:
    doc = {"items": [{"id": 7}], "n": 0}
    assert lookup(doc, ["items", 0, "id"]) == 7 and lookup(doc, ["n"]) == 0
    with pytest.raises(KeyError):
        lookup(doc, ["items", 3])


@pytest.mark.parametrize(
    ("argv", "expanded"),
    [
        (["run", "s.py", "--dashboard"], ["run", "s.py", "--dashboard", "8089"]),
        (["run", "--dashboard", "s.py"], ["run", "--dashboard", "8089", "s.py"]),
        (["run", "--dashboard", "9000", "s.py"], ["run", "--dashboard", "9000", "s.py"]),
        (
            ["http", "u", "--prometheus", "--dashboard=7000"],
            ["http", "u", "--prometheus", "9464", "--dashboard=7000"],
        ),
    ],
)
def test_optional_values(argv: list[str], expanded: list[str]) -> None:
    assert expand_optional_values(argv) == expanded
