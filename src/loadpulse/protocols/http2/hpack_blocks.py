"""HPACK header blocks cached both ways: requests encoded once per distinct header list without touching
the dynamic table, so a block can be reused for every stream that sends the same headers; responses
decoded once per distinct block where the block cannot depend on the table (:class:`CachingDecoder`).

The h2 library's encoder compresses every request anew in pure Python (most of a small request's cost);
a load test sends the same few header lists again and again. Blocks made here use only the static table
and literals "never indexed", so they depend on no connection state (RFC 7541 6.2.3) and the server's
decoder stays in step whatever order they go out in. A server lowering SETTINGS_HEADER_TABLE_SIZE is
answered with the table size update the RFC asks for at the start of the next block (4.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from hpack import Decoder, Encoder, NeverIndexedHeaderTuple
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
    def pending(self) -> bool:
        """A table size update is due: the next block must start with it."""
        return bool(self._update)

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


def _int(b: bytes, i: int, prefix: int) -> tuple[int, int]:
    mask = (1 << prefix) - 1
    v = b[i] & mask
    i += 1
    if v < mask:
        return v, i
    m = 0
    while True:
        c = b[i]
        i += 1
        v += (c & 0x7F) << m
        m += 7
        if not c & 0x80:
            return v, i


def table_use(block: bytes) -> int:
    """How ``block`` depends on the dynamic table: 0 not at all, 1 only through literals "with incremental
    indexing" (no-ops while the table's size is 0, as nginx sets it), 2 otherwise (a table size update, a
    reference to a dynamic entry, or a malformed block)."""
    use = 0
    i, n = 0, len(block)
    try:
        while i < n:
            c = block[i]
            if c & 0x80:  # indexed field
                index, i = _int(block, i, 7)
                if index > STATIC_ENTRIES:
                    return 2
                continue
            if c & 0x40:  # literal with incremental indexing
                use = 1
                index, i = _int(block, i, 6)
            elif c & 0x20:  # dynamic table size update
                return 2
            else:  # literal without indexing / never indexed
                index, i = _int(block, i, 4)
            if index > STATIC_ENTRIES:
                return 2
            if index == 0:  # a literal name
                length, i = _int(block, i, 7)
                i += length
            length, i = _int(block, i, 7)
            i += length
    except IndexError:
        return 2
    return use if i == n else 2


STATIC_ENTRIES = 61
DECODED_MAX = 256
"""Distinct response header blocks kept decoded (a Date header makes a new one every second)."""


class CachingDecoder(Decoder):
    """The h2 connection's decoder, answering a block it decoded before from a cache when the block does
    not depend on the dynamic table (or only through indexing literals while the table's size is 0):
    responses repeat their headers, and decoding them anew (Huffman, in pure Python) was a third of a
    small request's cost."""

    _decoded: ClassVar[dict[bytes, tuple[list[Any], int]]] = {}
    """Shared by every connection of the process: what is kept depends on no connection's state."""

    def decode(self, data: bytes, raw: bool = False) -> Any:
        hit = CachingDecoder._decoded.get(data)
        if hit is not None and raw and (hit[1] == 0 or self.header_table.maxsize == 0):
            return list(hit[0])
        headers = super().decode(data, raw)
        if raw:
            use = table_use(data)
            if use == 0 or (use == 1 and self.header_table.maxsize == 0):
                decoded = CachingDecoder._decoded
                if len(decoded) >= DECODED_MAX:
                    decoded.clear()
                decoded[bytes(data)] = (list(headers), use)
        return headers
