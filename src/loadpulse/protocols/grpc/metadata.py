"""Call metadata checked before it is sent: gRPC's C core refuses a bad key or value only when the call
starts, as an opaque batch error on every call, so it is bad input here instead, once, naming the pair.

Keys are lowercased (gRPC metadata keys are lowercase; ``-H 'X-Tenant: a'`` means ``x-tenant``) and may
hold ``0-9 a-z - _ .``; a ``-bin`` key's value is bytes (a str is sent as its UTF-8); any other value is
printable ASCII text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from loadpulse.errors import BadInput


class Metadata(tuple[tuple[str, str | bytes], ...]):
    """Pairs already checked: given again (to each call of the one-liner), they are not checked again."""

    __slots__ = ()


_KEY = re.compile(r"[0-9a-z_.\-]+")
_VALUE = re.compile(rb"[\x20-\x7e]*")


def checked_metadata(given: Any, where: str = "metadata") -> Metadata | None:
    """``given`` (a mapping or ``(key, value)`` pairs; None for none) as what grpc sends, or
    :class:`BadInput` saying which pair is wrong and why."""
    if given is None or isinstance(given, Metadata):
        return given
    if isinstance(given, Mapping):
        pairs = list(given.items())
    elif isinstance(given, list | tuple):
        pairs = list(given)
    else:
        raise BadInput(f"{where} must be a dict or (key, value) pairs, not {type(given).__name__}")
    out: list[tuple[str, str | bytes]] = []
    for pair in pairs:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise BadInput(f"{where}: {pair!r} is not a (key, value) pair")
        key, value = pair
        if not isinstance(key, str):
            raise BadInput(f"{where} key {key!r} must be a str, not {type(key).__name__}")
        key = key.lower()
        if not _KEY.fullmatch(key):
            raise BadInput(
                f"{where} key {key!r} is not a gRPC metadata key (letters, digits, '-', '_' and '.' only)"
            )
        if key.startswith("grpc-"):  # grpc's own (grpc-timeout is the deadline: give timeout=)
            raise BadInput(f"{where} key {key!r} is reserved by gRPC (grpc-*); a deadline is timeout=")
        if key.endswith("-bin"):
            if isinstance(value, str):
                value = value.encode()
            elif not isinstance(value, bytes):
                raise BadInput(f"{where} value of {key!r} must be bytes (or str), not {type(value).__name__}")
        else:
            if not isinstance(value, str | bytes):
                raise BadInput(
                    f"{where} value of {key!r} must be a str, not {type(value).__name__} "
                    "(binary values go under a key ending in -bin)"
                )
            raw = value.encode("utf-8", "replace") if isinstance(value, str) else value
            if not _VALUE.fullmatch(raw):
                raise BadInput(
                    f"{where} value of {key!r} must be printable ASCII: {value!r} is not "
                    "(binary values go under a key ending in -bin)"
                )
        out.append((key, value))
    return Metadata(out)
