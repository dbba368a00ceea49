"""``track:`` on a YAML request, and the ``{{ track }}`` placeholder of the one-liner: which items a flow
sends into the pipeline under test (issue 11).

Two forms, like ``ctx.track()`` in Python scenarios:

    - method: POST
      url: /api/orders
      track: order                  # a fresh tracked id, as the variable {{ order }} (this request on)
      json: {id: "{{ order }}", qty: 1}

    - method: POST
      url: /api/messages
      json: {content: hi}
      track: {from: $.id}           # the id the system assigned, read from the response (ctx.track(id,
                                    # since=response))

A generated id counts as sent when its request is accepted (2xx/3xx), as rejected when it fails. The
one-liner ``loadpulse http URL --sink SPEC`` is such a flow with ``track: track``: each ``{{ track }}`` in
its URL, headers or body is that request's fresh id. Running the forms is yaml_flow.py.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from loadpulse.jsonpath import parse_json_path
from loadpulse.scenario.yaml_env import BUILTINS, TEMPLATE

NAME = re.compile(r"[A-Za-z_]\w*")
PLACEHOLDER = "track"
"""The variable the one-liner's fresh id is in: ``{{ track }}``."""
_USAGE = "write track: order_id (a fresh id, as {{ order_id }}) or track: {from: $.id} (the response's id)"


class TrackSpec(BaseModel):
    """A request's ``track:``: ``var`` gets a fresh id before the request, or the id at ``path`` in its
    response is tracked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    var: str | None = None
    path: str | None = None


def parse_track(value: Any) -> Any:
    """``track:`` as written -> TrackSpec fields (a pydantic before-validator: ValueError is the message)."""
    if isinstance(value, TrackSpec):
        return value
    if isinstance(value, str):
        if not NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a variable name; {_USAGE}")
        if value in BUILTINS or value == "env":
            raise ValueError(f"{value!r} is a built-in variable; name the tracked id, like track: order_id")
        return {"var": value}
    if isinstance(value, dict):
        unknown = [k for k in value if k != "from"]
        if unknown or "from" not in value:
            what = f"unknown key {unknown[0]!r}" if unknown else "a mapping without 'from'"
            raise ValueError(f"{what}; {_USAGE}")
        path = value["from"]
        if not isinstance(path, str):
            raise ValueError(f"from: {path!r} is not a JSON path like $.id")
        parse_json_path(path)  # ValueError naming what is wrong with it
        return {"path": path}
    raise ValueError(_USAGE)


def placeholder_parts(text: str) -> list[str]:
    """``text`` split at each ``{{ track }}`` (other templates stay as written); one part when none."""
    parts: list[str] = []
    start = 0
    for m in TEMPLATE.finditer(text):
        if m.group(1) == PLACEHOLDER:
            parts.append(text[start : m.start()])
            start = m.end()
    parts.append(text[start:])
    return parts
