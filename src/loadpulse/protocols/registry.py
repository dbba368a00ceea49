"""Protocols by name: ``ctx.http``, ``ctx.timed`` … are looked up here and imported only when used.

A table of name -> ``"module:attribute"`` (the way uvicorn's ``config.py`` names its loop and protocol
implementations): a scenario that never touches WebSocket never imports it, and a new protocol is one
module plus one line here, with no edit to the engine. Tests and plug-ins add their own with
:func:`register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from loadpulse.protocols.session import SessionFactory

DEFAULT = "http"
"""The protocol a base URL is for: opened before the load starts, so a bad base URL is bad input."""

_PROTOCOLS: dict[str, str | SessionFactory] = {
    "http": "loadpulse.protocols.http.plugin:HttpProtocol",
    "timed": "loadpulse.protocols.timed:TimedProtocol",
    "call": "loadpulse.protocols.call:CallProtocol",
    "ws": "loadpulse.protocols.ws.plugin:WsProtocol",
    "grpc": "loadpulse.protocols.grpc.plugin:GrpcProtocol",
}


def names() -> list[str]:
    return sorted(_PROTOCOLS)


def known(name: str) -> bool:
    return name in _PROTOCOLS


def factory(name: str) -> SessionFactory:
    """The session factory registered under ``name``; KeyError for an unknown name."""
    entry = _PROTOCOLS[name]
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = getattr(importlib.import_module(module), attr)
        _PROTOCOLS[name] = entry
    return entry


def register(name: str, target: str | SessionFactory) -> None:
    """Add (or replace) a protocol: ``target`` is a factory or its ``"module:attribute"`` path."""
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"protocol name {name!r} must be a Python identifier (it is used as ctx.{name})")
    _PROTOCOLS[name] = target


def unregister(name: str) -> None:
    _PROTOCOLS.pop(name, None)


@contextmanager
def registered(name: str, target: str | SessionFactory) -> Iterator[None]:
    """A protocol registered for the duration of a ``with`` block (tests)."""
    previous = _PROTOCOLS.get(name)
    register(name, target)
    try:
        yield
    finally:
        if previous is None:
            unregister(name)
        else:
            _PROTOCOLS[name] = previous
