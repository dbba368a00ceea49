"""A plan file's value errors in the project's words: what was expected, what the YAML holds
(``runs[2]: expected a mapping (key: value), got a list``), instead of pydantic's "Input should be a
valid dictionary". A type pydantic grows later falls back to its own message."""

from __future__ import annotations

from typing import Any

EXPECTED = {
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list (- item, or [a, b])",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def yaml_kind(value: Any) -> str:
    """What a YAML value is, as a plan's author wrote it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) <= 40 else "a text"
    return type(value).__name__


def plan_value_problem(err: Any) -> str:
    """One pydantic error (an ``ErrorDetails``) as ``expected X, got Y`` or a bound it broke."""
    kind, given = err["type"], err.get("input")
    ctx = err.get("ctx") or {}
    if kind in EXPECTED:
        return f"expected {EXPECTED[kind]}, got {yaml_kind(given)}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}, got {yaml_kind(given)}"
    if kind == "finite_number":
        return f"must be a finite number, got {yaml_kind(given)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "missing":
        return "missing"
    return str(err["msg"]).removeprefix("Value error, ")
