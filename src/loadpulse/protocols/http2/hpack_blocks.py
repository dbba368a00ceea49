"""HPACK header blocks for requests, made once per distinct header list and never touching the dynamic
table, so a block can be reused for every stream that sends the same headers.

The h2 library's encoder compresses every request anew in pure Python (most of a small request's cost);
a load test sends the same few header lists again and again. Blocks made here use only the static table
and literals "never indexed", so they depend on no connection state (RFC 7541 6.2.3) and the server's
decoder stays in step whatever order they go out in. A server lowering SETTINGS_HEADER_TABLE_SIZE is
answered with the table size update the RFC asks for at the start of the next block (4.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from hpack import Encoder, NeverIndexedHeaderTuple
from hpack.hpack import encode_integer

CACHE_MAX = 4096
"""Distinct header lists kept (URLs made per request miss and are encoded each time, within the bound)."""

DEFAULT_TABLE_SIZE = 4096


def stateless_block(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """``headers`` as an HPACK block that adds nothing to the dynamic table."""
    return Encoder().encode([NeverIndexedHeaderTuple(k, v) for k, v in headers], huffman=True)


class StatelessEncoder:
    """Stands in for the h2 connection's ``encoder``: ``encode(headers)`` from a shared cache of blocks."""

    __slots__ = ("_size", "_update")

    _blocks: ClassVar[dict[tuple[tuple[bytes, bytes], ...], bytes]] = {}
    """Shared by every connection of the process: blocks carry no connection state."""

    def __init__(self) -> None:
        self._size = DEFAULT_TABLE_SIZE
        self._update = b""

    @property
    def header_table_size(self) -> int:
        return self._size

    @header_table_size.setter
    def header_table_size(self, value: int) -> None:
        # We never use the table, but a smaller maximum than the one we started with must be said.
        if value < self._size:
            b = encode_integer(value, 5)
            b[0] |= 0x20
            self._update += bytes(b)
        self._size = value

    def encode(self, headers: Iterable[tuple[bytes, bytes]], huffman: bool = True) -> bytes:
        key = tuple(headers)
        blocks = StatelessEncoder._blocks
        block = blocks.get(key)
        if block is None:
            if len(blocks) >= CACHE_MAX:
                blocks.clear()
            block = blocks[key] = stateless_block(key)
        if self._update:
            block, self._update = self._update + block, b""
        return block
