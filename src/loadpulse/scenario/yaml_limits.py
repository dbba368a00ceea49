"""Reading a YAML scenario file within bounds: its size, and how far its aliases expand; a key given twice
in one mapping (PyYAML silently keeps the last) is refused at its line.

A 1 KB "billion laughs" file (anchors of anchors) parses into a small graph of shared nodes, but every
consumer that walks it — templating a request body, JSON-encoding it — expands each alias again: 256 MB
per request (issue 10, item 7). The composed node graph is measured *as expanded* before any Python
object is built; a huge file is refused before it is read. Both are bad input: one line, exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from loadpulse.errors import BadInput

MAX_FILE_BYTES = 10 * 2**20
"""A scenario file is a few KB; 10 MiB leaves room for large inline bodies."""
MAX_EXPANDED = 20 * 2**20
"""Nodes plus scalar characters once every alias is expanded (a file without aliases is under its size)."""
_MIB = 2**20


def read_yaml(file: Path, path: str) -> Any:
    """The file's YAML document as Python data; BadInput when it is too big, expands too far, or is not
    YAML (with the line where PyYAML stopped)."""
    return read_yaml_document(file, path)[0]


def read_yaml_document(file: Path, path: str) -> tuple[Any, yaml.Node | None]:
    """:func:`read_yaml`'s data and the composed node graph it came from (where each value sits)."""
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        raise BadInput(
            f"{path}: {size / _MIB:.1f} MiB is over the {MAX_FILE_BYTES // _MIB} MiB limit for a scenario "
            "file; keep large payloads in files the scenario reads"
        )
    try:
        with file.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat()
        if len(data) > MAX_FILE_BYTES:
            raise BadInput(f"{path}: over the {MAX_FILE_BYTES // _MIB} MiB limit for a scenario file")
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not readable as YAML: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read: {exc.strerror}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        size_expanded = expanded_size(node)
        if size_expanded > MAX_EXPANDED:
            raise BadInput(
                f"{path}: its aliases (*name) expand to over {MAX_EXPANDED:,} nodes and characters "
                "(an alias bomb?); write the values out or reuse fewer anchors"
            )
        twice = duplicate_key(node)
        if twice is not None:
            key, first, again = twice
            raise BadInput(
                f"{path}:{again}: {key!r} is given twice in one mapping (first at line {first}); YAML would "
                "keep only the last: remove one"
            )
        return loader.construct_document(node), node
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise BadInput(f"{path}:{line}: YAML syntax error: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: not readable as YAML: {str(exc)[:200]}") from None
    except RecursionError:
        raise BadInput(f"{path}: nested too deeply to be a scenario") from None
    finally:
        loader.dispose()


def expanded_size(root: yaml.Node) -> int:
    """Nodes plus scalar characters of ``root`` with every alias expanded, in time linear in the graph
    (each shared node is sized once); a node that contains itself counts as too big."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # iterative post-order walk: deep nesting must not hit Python's recursion limit
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in _children(node)), MAX_EXPANDED + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:  # a recursive alias: infinite once expanded
            return MAX_EXPANDED + 1
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1 + len(str(node.value))
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    return sizes[id(root)]


def duplicate_key(root: yaml.Node) -> tuple[str, int, int] | None:
    """(key, its first line, the line it comes again) of the first mapping that repeats a key; None when
    none does. A ``<<: *merged`` mapping's keys may be overridden: they are not this mapping's own."""
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[str, int] = {}
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line + 1
                    if key.value in lines:
                        return key.value, lines[key.value], line
                    lines[key.value] = line
        stack.extend(_children(node))
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
