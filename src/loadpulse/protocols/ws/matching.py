"""Which incoming message answers a request (``ws.request(msg, match=...)``) (pure).

``match`` is one of:

- ``None``: the next message that no other request claims (a strict request/reply server, like an echo);
- a field name such as ``"id"``: the first JSON object whose field equals the sent object's (a server
  that tags replies with the request's id and may answer out of order or push other messages between);
- a function ``reply -> bool`` given each message (text as ``str``, binary as ``bytes``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Matcher = Callable[["Incoming"], bool]

_MISSING = object()


class Incoming:
    """One received message, parsed as JSON at most once however many requests look at it."""

    __slots__ = ("_json", "data")

    def __init__(self, data: str | bytes) -> None:
        self.data = data
        self._json: Any = _MISSING

    def json(self) -> Any:
        """The message as JSON, or None when it is not JSON."""
        if self._json is _MISSING:
            try:
                self._json = json.loads(self.data)
            except (ValueError, TypeError):
                self._json = None
        return self._json


def matcher(match: object, sent: object) -> Matcher | None:
    """What decides whether a message answers the request that sent ``sent``; None: the next message.

    ValueError for a ``match`` that cannot work (a field the sent message does not have)."""
    if match is None:
        return None
    if isinstance(match, str):
        if not isinstance(sent, dict) or match not in sent:
            raise ValueError(
                f"match={match!r} correlates JSON objects by a field: send a dict that has {match!r}"
            )
        want = sent[match]

        def by_field(msg: Incoming) -> bool:
            reply = msg.json()
            return isinstance(reply, dict) and reply.get(match, _MISSING) == want

        return by_field
    if callable(match):

        def by_function(msg: Incoming) -> bool:
            return bool(match(msg.data))

        return by_function
    raise ValueError(f"match= takes None, a JSON field name or a function reply -> bool, not {match!r}")
