"""Turning concrete request names into the ``name=`` template that would group them.

``GET /item/123`` and ``GET /item/456`` suggest ``GET /item/{id}``: a path segment that looks like an
identifier (digits, a UUID, a long hex or base64-ish token, a short prefix with a number) becomes
``{id}``, API versions (``v1``) excepted; query strings are dropped (the HTTP client's default name has
none anyway). Pure string work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ID_SEGMENT = re.compile(
    r"""
    (?!v\d{1,2}$)                                          # v1, v2: API versions stay
    (?: \d+                                                # 123
    | [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}  # UUID
    | [0-9a-f]{16,}                                        # long hex: hashes, object ids
    | (?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}               # long token with a digit in it
    | [A-Za-z]{0,3}[-_]?\d[\d_-]*                          # prefixed number: u42, id-7, 2024-01-05
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _segment(seg: str) -> str:
    return "{id}" if _ID_SEGMENT.fullmatch(seg) else seg


def template(name: str) -> str:
    """``name`` with identifier-like path segments replaced by ``{id}`` (``METHOD /path`` or a bare path)."""
    method, sep, path = name.partition(" ")
    if not sep:
        method, path = "", name
    path = path.split("?", 1)[0].split("#", 1)[0]
    templated = "/".join(_segment(s) for s in path.split("/"))
    return f"{method} {templated}" if method else templated


def templates(names: Iterable[str], limit: int = 3) -> list[str]:
    """Distinct templates of ``names``, most frequent first (ties in order of first appearance). Names that
    keep apart only by numbers inside a segment (``/u/alice1/orders``, ``/u/alice2/orders``, ``/x-7.html``)
    are folded by comparing them with each other, which one name alone cannot show."""
    counts: dict[str, int] = {}
    for t in _folded([template(name) for name in names]):
        counts[t] = counts.get(t, 0) + 1
    return sorted(counts, key=lambda t: -counts[t])[:limit]


_DIGITS = re.compile(r"\d+")


def _folded(names: list[str]) -> list[str]:
    """Names of the same shape once numbers are set aside are folded into one template: a segment they all
    share stays as it is (``v1``), one where they differ gets ``{id}`` for its numbers."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(_DIGITS.sub("{id}", name), []).append(name)
    folded: dict[str, str] = {}
    for members in groups.values():
        split = [m.split("/") for m in members]
        segments = zip(*split, strict=True)
        template = "/".join(s[0] if len(set(s)) == 1 else _DIGITS.sub("{id}", s[0]) for s in segments)
        folded.update(dict.fromkeys(members, template))
    return [folded[name] for name in names]
