"""What the steps of a running YAML flow share: the iteration's variables and the ``{{ name }}`` templates
that read them, captures into them, and the errors that end the iteration (see yaml_flow.py).

Request steps (yaml_flow.py), ``ws:`` steps (yaml_ws.py) and ``grpc:`` steps (yaml_grpc.py) all render
through here, so a template means the same in each.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from loadpulse.errors import BadInput
from loadpulse.jsonpath import lookup
from loadpulse.profiles.registry import format_loc

if TYPE_CHECKING:
    from loadpulse.scenario.ctx import Ctx
    from loadpulse.scenario.feed import Feed
    from loadpulse.scenario.yaml_lines import YamlLines

TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
BUILTINS = ("vu", "iteration", "uuid")
MISSING = object()
"""A document that is not there (a response or message that is not JSON)."""


class FlowError(Exception):
    """A YAML flow cannot go on; ``script_error_key`` is what the run reports (the YAML path and why), the
    message (the key unless given) what it says about it."""

    def __init__(self, key: str, message: str | None = None) -> None:
        super().__init__(message or key)
        self.script_error_key = key


class StepState:
    """What a compiled step learns as it runs: whether it has gone through once in this process."""

    __slots__ = ("ran",)

    def __init__(self) -> None:
        self.ran = False


def refused(
    exc: BadInput, state: StepState, env: Env, at: str, where: str, value: Any = MISSING
) -> Exception:
    """A rendered value loadpulse refuses (a URL, a request that does not fit). Before the step has run
    once it is the same mistake on every iteration: bad input at the step's line, which stops the run.
    After, it is a value that turned bad (a feed row): that iteration's script error, keyed by the step,
    its message naming the value (when given) and the feed rows the iteration took, and the run goes on."""
    rows = [f"{k} row {_short(v)}" for k, v in env.items() if k.startswith("data.") and k.count(".") == 1]
    parts = [] if value is MISSING else [_short(value)]
    parts += [f"this iteration took {', '.join(rows)}"] if rows else []
    if not state.ran:
        took = f" ({'; '.join(parts)})" if parts else ""
        return BadInput(f"{at}: {where}: {exc}{took}")
    # the key names the step only (a fixed set); the message (cut at 200 characters) the value first
    said = f"{'; '.join(parts)}: {exc}" if parts else str(exc)
    return FlowError(f"{where}: a rendered value is refused (it was not at first)", said)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:200]}…"


def render(value: Any, env: Mapping[str, Any]) -> Any:
    """Fill {{ name }} templates in strings (recursively in lists and mappings)."""
    if isinstance(value, str):
        whole = TEMPLATE.fullmatch(value.strip())
        if whole:
            return env[whole.group(1)]  # keep the JSON type of a whole-string template
        return TEMPLATE.sub(lambda m: as_text(env[m.group(1)]), value)
    if isinstance(value, list):
        return [render(v, env) for v in value]
    if isinstance(value, dict):
        return {k: render(v, env) for k, v in value.items()}
    return value


def as_text(value: Any) -> str:
    """A value as it goes into text (a URL, a header): a mapping or list as JSON, not Python's repr."""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def rendered(value: Any, env: Mapping[str, Any], where: str) -> Any:
    """:func:`render`, a template without a value being the flow's error at ``where``."""
    try:
        return render(value, env)
    except KeyError as exc:
        name = str(exc.args[0]) if exc.args else "?"
        env_var = name.startswith("env.")
        what = f"{name} is not set (give --env {name[4:]}=...)" if env_var else f"{name} has no value"
        raise FlowError(f"{where}: {{{{ {name} }}}}: {what}") from None


def refs(value: Any) -> set[str]:
    """The names a value's templates refer to."""
    return {m.group(1) for m in TEMPLATE.finditer(value if isinstance(value, str) else repr(value))}


def known(ref: str, names: set[str]) -> bool:
    # "data.NAME.*": a JSON Lines feed, whose rows' keys are not known before the run.
    return ref in names or ref.startswith("env.") or ".".join(ref.split(".", 2)[:2]) + ".*" in names


def merged_headers(
    file_headers: Mapping[str, str], step_headers: Mapping[str, str], names: set[str]
) -> dict[str, str]:
    """The step's headers over the file's; a file header naming a capture not made yet is left out of
    this step (the login request before its token exists), the step's own always stay."""
    own = {k.lower() for k in step_headers}
    out = {
        k: v
        for k, v in file_headers.items()
        if k.lower() not in own and all(known(ref, names) for ref in refs(v))
    }
    out.update(step_headers)
    return out


class FlowStep(Protocol):
    """A compiled ``ws:`` or ``grpc:`` step: what the flow runs for it in each iteration."""

    async def run(self, ctx: Ctx, env: Env) -> None: ...


@dataclass(frozen=True, slots=True)
class Site:
    """Where a step sits in its file, and what its templates may name there: what a ``ws:`` or ``grpc:``
    step is compiled with."""

    lines: YamlLines
    loc: tuple[str | int, ...]
    """``('scenarios', 0, 'requests', 2)``"""
    names: set[str]
    """Variables, built-ins, feeds, and the captures of the steps before this one."""
    file_headers: Mapping[str, str]
    """The file's ``headers:`` that go with each step, templated (the static ones are the run's)."""

    def where(self, *sub: str | int) -> str:
        """The YAML path of ``sub`` in the step: ``scenarios[0].requests[2].ws.url``."""
        return format_loc((*self.loc, *sub))

    def at(self, *sub: str | int) -> str:
        """``file:line`` of ``sub`` in the step."""
        return self.lines.at(*self.loc, *sub)

    @property
    def folder(self) -> Path:
        """The scenario file's folder, which the step's relative paths start from."""
        return Path(self.lines.path).resolve().parent


def check_refs(values: Iterable[Any], names: set[str], at: str, where: str) -> None:
    """BadInput at ``at`` for the first template in ``values`` that names nothing known at that step."""
    for value in values:
        for ref in refs(value):
            if not known(ref, names):
                raise BadInput(
                    f"{at}: {where}: '{{{{ {ref} }}}}' is not a variable, an earlier capture or "
                    "tracked id, or one of vu, iteration, uuid, env.KEY, data.NAME.column"
                )


def capture_value(doc: Any, parts: list[str | int], where: str, what: str = "the response") -> Any:
    """The value at ``parts`` of ``doc``; the flow's error at ``where`` when it is not there."""
    if doc is MISSING:
        raise FlowError(f"{where}: {what} is not JSON")
    try:
        return lookup(doc, parts)
    except KeyError:
        raise FlowError(f"{where} not found in {what}") from None


class Env(dict[str, Any]):
    """Variables of one iteration; built-ins computed on demand."""

    def __init__(self, base: dict[str, Any], ctx: Ctx, feeds: Mapping[str, Feed]) -> None:
        super().__init__(base)
        self.ctx = ctx
        self.feeds = feeds

    def __missing__(self, key: str) -> Any:
        if key.startswith("data.") and self.feeds:
            # One row per feed per iteration, taken when a template first names it.
            _, name, *column = key.split(".", 2)
            row_key = f"data.{name}"
            if row_key not in self:
                self[row_key] = self.feeds[name].next(self.ctx)
            row = self[row_key]
            if not column:
                return row
            if not isinstance(row, dict) or column[0] not in row:
                raise KeyError(key)
            return row[column[0]]
        if key == "vu":
            return self.ctx.vu.id
        if key == "iteration":
            return self.ctx.vu.iteration
        if key == "uuid":
            return str(uuid.uuid4())
        if key.startswith("env."):
            try:
                return self.ctx.env[key[4:]]
            except KeyError:  # named as written, for rendered()'s "give --env KEY=..."
                raise KeyError(key) from None
        raise KeyError(key)
