"""The small JSON path dialect of YAML captures and http probes: ``$.items[0].id`` (pure)."""

from __future__ import annotations

import re
from typing import Any

_PATH_PART = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]")


def parse_json_path(path: str) -> list[str | int]:
    """'$.items[0].id' -> ['items', 0, 'id']; ValueError when it is not that simple form."""
    if not path.startswith("$"):
        raise ValueError(f"JSON path {path!r} must start with '$', like $.id or $.items[0].id")
    parts: list[str | int] = []
    pos = 1
    for m in _PATH_PART.finditer(path, 1):
        if m.start() != pos:
            break
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos != len(path):
        raise ValueError(f"JSON path {path!r} is not of the form $.a.b[0].c")
    return parts


def lookup(doc: Any, parts: list[str | int]) -> Any:
    """The value at a parsed JSON path, or KeyError naming where it stopped."""
    for part in parts:
        in_list = isinstance(part, int) and isinstance(doc, list) and -len(doc) <= part < len(doc)
        if in_list or (isinstance(part, str) and isinstance(doc, dict) and part in doc):
            doc = doc[part]
        else:
            raise KeyError(f"no {part!r} in the response JSON")
    return doc
