"""Where a value sits in a YAML scenario file: the line of a path like ``scenarios[0].requests[2].track``.

Every bad-input message about a YAML file starts with ``file:line:`` so an editor can jump to it. PyYAML's
composed node graph keeps each node's position; pydantic's error locations (and loadpulse's own YAML paths)
are walked down that graph as far as they go: an unknown key points at the key's own line, a missing one
at the mapping that lacks it.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

Loc = Sequence[str | int]


class YamlLines:
    """Lines of one file's nodes, by path; a file without a document (or a path not in it) falls back to
    the deepest node found, line 1 at worst."""

    def __init__(self, path: str, root: yaml.Node | None) -> None:
        self.path = path
        self._root = root

    def line(self, loc: Loc) -> int:
        node = self._root
        if node is None:
            return 1
        line = node.start_mark.line
        for part in loc:
            found = _child(node, part)
            if found is None:
                break
            line, node = found
        return line + 1

    def at(self, *loc: str | int) -> str:
        """``file:line`` of ``loc``, the prefix of a bad-input message."""
        return f"{self.path}:{self.line(loc)}"


def _child(node: yaml.Node, part: str | int) -> tuple[int, yaml.Node] | None:
    """(line the entry starts on, the value node) of ``part`` in ``node``; None when it has none."""
    if isinstance(node, yaml.MappingNode):
        merged: list[yaml.Node] = []
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key.start_mark.line, value
            if isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:merge":
                merged += value.value if isinstance(value, yaml.SequenceNode) else [value]
        # `<<: *defaults`: the key was written in the anchored mapping
        return next((hit for m in merged if (hit := _child(m, part)) is not None), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return item.start_mark.line, item
    return None
