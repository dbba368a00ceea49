"""Secrets never reach an output: header values that carry credentials, and every ``--secret`` value, are
replaced before anything is printed or written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
REDACTED = "[redacted]"


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, REDACTED if n.lower() in SECRET_HEADERS else v) for n, v in headers]


def redact_values(obj: Any, secrets: Sequence[str]) -> Any:
    """``obj`` (plain JSON-like data) with every occurrence of a ``--secret`` value replaced, in keys and
    values alike (a token in a URL becomes part of a request name)."""
    wanted = [s for s in secrets if s]
    if not wanted:
        return obj

    def clean(text: str) -> str:
        for secret in wanted:
            text = text.replace(secret, REDACTED)
        return text

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, dict):
            return {clean(k) if isinstance(k, str) else k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return walk(obj)
