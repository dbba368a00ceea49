"""The one redaction policy: credentials never reach an output.

What counts as a secret (DESIGN.md "Secrets"):

- the value of every header whose name contains auth, token, session, key, cookie or secret
  (Authorization, Cookie, Set-Cookie, X-Auth-Token, X-Session-Token, X-Api-Key, ...);
- the password in a URL's userinfo (``http://user:pass@host/``, database and Redis URLs alike) and the value
  of every query parameter with such a name (``?api_key=...``, ``?token=...``);
- every ``--env`` value whose name is such a name (a token read from the environment);
- every ``--secret`` value.

Redaction works on values, not only on fields: the secret values of a run are collected once
(:func:`run_secrets`) and every occurrence is replaced in whatever is printed or written, so a token that
ends up in a request name, an error text or a check name is caught too. Pure: no I/O.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

REDACTED = "[redacted]"
SECRET_NAME_PARTS = ("auth", "token", "session", "key", "cookie", "secret", "password", "passwd")
MIN_SECRET_LEN = 3
"""Shorter values are not scrubbed as free text: replacing every 'a' or '1' would wreck the output."""

_URL_USERINFO = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)(?P<pw>[^@/?#\s]*)(?P<at>@)")
_QUERY_PARAM = re.compile(r"(?P<head>[?&;](?P<name>[^=&;#\s]+)=)(?P<value>[^&;#\s]*)")


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_NAME_PARTS)


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, REDACTED if is_secret_name(n) else v) for n, v in headers]


def redact_text(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with URL passwords, secret-named query values and every one of ``secrets`` replaced."""
    if "://" in text:
        text = _URL_USERINFO.sub(lambda m: m["head"] + (REDACTED if m["pw"] else "") + m["at"], text)
    if "=" in text:
        text = _QUERY_PARAM.sub(
            lambda m: m["head"] + (REDACTED if is_secret_name(m["name"]) and m["value"] else m["value"]), text
        )
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _cut_secret_tail(text, secrets) if text.endswith(TRUNCATED) and secrets else text


TRUNCATED = "…"
"""How a text cut short ends (script error messages, long names): what precedes it may be part of a secret."""


def _cut_secret_tail(text: str, secrets: Sequence[str]) -> str:
    """A text cut short in the middle of a secret ends with the secret's first characters, which a whole-
    secret match misses: they are redacted too (from 3 characters on; redacting too much is the safe way)."""
    body = text[: -len(TRUNCATED)]
    for secret in secrets:
        for k in range(len(secret) - 1, MIN_SECRET_LEN - 1, -1):
            if body.endswith(secret[:k]):
                return body[:-k] + REDACTED + TRUNCATED
    return text


def redact_url(url: str) -> str:
    """A URL safe to show: no password, no secret-named query value."""
    return redact_text(url)


def redact_values(obj: Any, secrets: Sequence[str] = ()) -> Any:
    """``obj`` (plain JSON-like data) with :func:`redact_text` applied to every string, keys included (a
    token in a URL becomes part of a request name)."""
    # Texts that reached an output one-lined (whitespace runs squeezed) or with control characters escaped
    # carry the secret in that form too.
    forms = {f for s in secrets for f in (s, " ".join(s.split()), _escaped(s))}
    wanted = sorted({s for s in forms if len(s) >= MIN_SECRET_LEN}, key=len, reverse=True)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return redact_text(value, wanted)
        if isinstance(value, dict):
            return {redact_text(k, wanted) if isinstance(k, str) else k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return walk(obj)


def _escaped(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def url_secrets(url: str) -> list[str]:
    """The password in ``url`` (as written and percent-decoded) and its secret-named query values."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return found
    if password:
        found += [password, unquote(password)]
    found += [v for n, v in parse_qsl(parts.query, keep_blank_values=False) if is_secret_name(n)]
    return found


def header_secrets(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Secret header values, and their credential part (the token after 'Bearer ', the decoded
    'user:password' of Basic auth and its password), which may appear elsewhere on their own."""
    found: list[str] = []
    for name, value in headers:
        if not is_secret_name(name) or not value:
            continue
        found.append(value)
        scheme, _, credential = value.partition(" ")
        if credential:
            found.append(credential.strip())
            if scheme.lower() == "basic":
                try:
                    decoded = base64.b64decode(credential, validate=True).decode()
                except ValueError:
                    continue
                found += [decoded, decoded.partition(":")[2]]
    return found


def run_secrets(
    urls: Iterable[str] = (),
    headers: Iterable[tuple[str, str]] = (),
    env: Mapping[str, str] | None = None,
    given: Sequence[str] = (),
) -> list[str]:
    """Every secret value of a run: what :func:`redact_values` must replace wherever it appears."""
    found = list(given)
    for url in urls:
        found += url_secrets(url)
    found += header_secrets(headers)
    found += [v for k, v in (env or {}).items() if is_secret_name(k) and v]
    return sorted({s for s in found if len(s) >= MIN_SECRET_LEN}, key=len, reverse=True)
