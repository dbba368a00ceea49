"""Secrets never reach an output: header values that carry credentials are replaced before writing."""

from __future__ import annotations

from collections.abc import Iterable

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
REDACTED = "[redacted]"


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, REDACTED if n.lower() in SECRET_HEADERS else v) for n, v in headers]
