"""What a ``ws:`` or ``grpc:`` step of a YAML flow does with a message it got: checks on its JSON (and
text), captures from it, and ``recv_until:``'s condition (yaml_ws.py, yaml_grpc.py).

    check: {json: {$.text: hi}, body_contains: hi}     # each part a named check, as on a request
    capture: {seq: $.seq}                              # a JSON path -> a variable for later steps
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from loadpulse.bounds import MAX_DURATION_S
from loadpulse.errors import BadInput
from loadpulse.jsonpath import lookup, parse_json_path
from loadpulse.scenario.yaml_env import BUILTINS, MISSING, TEMPLATE, capture_value
from loadpulse.units import duration_value

VARIABLE = re.compile(r"[A-Za-z_]\w*")

if TYPE_CHECKING:
    from loadpulse.scenario.ctx import Ctx
    from loadpulse.scenario.yaml_env import Env


def _json_paths(value: dict[str, str]) -> dict[str, str]:
    for var, path in value.items():
        if not VARIABLE.fullmatch(var):
            raise ValueError(
                f"{var!r} is not a variable name (letters, digits and _), like capture: {{id: $.id}}"
            )
        if var in BUILTINS or var == "env":
            raise ValueError(f"{var!r} is a built-in variable; capture into a name of your own")
        parse_json_path(path)  # a path that does not parse is bad input at the step's line
    return value


def _fixed_name(value: str | None) -> str | None:
    if value is not None:
        if not value.strip():
            raise ValueError("a name must not be empty (leave name: out for the default)")
        if TEMPLATE.search(value):
            raise ValueError(
                f"{value!r}: a name is fixed text, not a template (stats are kept per name: one per "
                "rendered value would be one per VU or id)"
            )
    return value


Name = Annotated[str | None, AfterValidator(_fixed_name)]
"""A ``ws:``/``grpc:`` step's or action's ``name:``: not empty, no ``{{ }}``."""


Captures = Annotated[dict[str, str], AfterValidator(_json_paths)]
"""A step's ``capture: {variable: $.json.path}``: variables set from a reply, every path checked."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def json_paths(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A pydantic validator's check that each key is a JSON path (ValueError naming what is wrong)."""
    for path in value or {}:
        parse_json_path(path)
    return value


class JsonCheck(Strict):
    json_: Annotated[dict[str, Any] | None, Field(alias="json")] = None

    @field_validator("json_")
    @classmethod
    def _paths(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return json_paths(value)


class MessageCheck(JsonCheck):
    """A check on a WebSocket message, and ``recv_until:``'s condition: JSON values, text it contains."""

    body_contains: str | None = None


def seconds(value: Any, where: str) -> float:
    """A timeout written as ``2s``, ``500ms`` or a number of seconds, > 0 and at most 30 days (the longest
    run: more is a typo, and overflows what the clients convert it to); BadInput at ``where``."""
    s = duration_value(value, f"{where}:")
    if s <= 0:
        raise BadInput(f"{where}: {value!r} must be greater than zero (leave it out for the default)")
    if s > MAX_DURATION_S:
        raise BadInput(f"{where}: {value!r} is longer than a run can be (at most 30 days, 2592000s)")
    return s


def message_doc(message: str | bytes) -> Any:
    """A WebSocket message as JSON, or MISSING when it is not JSON."""
    try:
        return json.loads(message)
    except (ValueError, TypeError):
        return MISSING


def message_text(message: str | bytes) -> str:
    return message if isinstance(message, str) else message.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Expect:
    """A step's ``check:`` and ``capture:`` on one message, compiled once (JSON paths parsed)."""

    json: tuple[tuple[str, list[str | int], Any], ...]
    body_contains: str | None
    captures: tuple[tuple[str, str, list[str | int]], ...]

    @classmethod
    def of(cls, check: JsonCheck | None, capture: dict[str, str]) -> Expect | None:
        if check is None and not capture:
            return None
        pairs = tuple((p, parse_json_path(p), want) for p, want in ((check and check.json_) or {}).items())
        contains = getattr(check, "body_contains", None)
        return cls(pairs, contains, tuple((var, p, parse_json_path(p)) for var, p in capture.items()))

    def holds(self, doc: Any, text: str) -> bool:
        """Every part holds (``recv_until:``'s condition)."""
        return all(ok for _, ok in self.results(doc, text, ""))

    def results(self, doc: Any, text: str, label: str) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        if self.body_contains is not None:
            out.append((f"{label}: body contains {self.body_contains!r}", self.body_contains in text))
        for p, parts, want in self.json:
            try:
                got = lookup(doc, parts) if doc is not MISSING else MISSING
            except KeyError:
                got = MISSING
            out.append((f"{label}: {p} == {want!r}", got == want))
        return out

    def describe(self) -> str:
        parts = [f"body contains {self.body_contains!r}"] if self.body_contains is not None else []
        parts += [f"{p} == {want!r}" for p, _, want in self.json]
        return " and ".join(parts) or "a message"

    def apply(self, ctx: Ctx, env: Env, doc: Any, text: str, label: str, where: str, what: str) -> None:
        """Record the checks (named after ``label``) and set the captures; a capture that finds nothing
        ends the iteration, named by its YAML path (``where``)."""
        for name, ok in self.results(doc, text, label):
            ctx.check(ok, name)
        for var, p, parts in self.captures:
            env[var] = capture_value(doc, parts, f"{where}.capture.{var}: {p}", what)
