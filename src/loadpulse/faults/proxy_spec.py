"""The fault proxies a run declares (pure): ``proxies = {"db": {"listen": "127.0.0.1:6390", "upstream":
"127.0.0.1:6379"}}`` in a scenario, ``--proxy db=127.0.0.1:6390->127.0.0.1:6379`` on the command line. The
run starts them before the load (chaos/fault_runner.py) and proxy faults name them (faults/spec.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from loadpulse.faults.proxy_faults import BadFault

NAME = re.compile(r"[^\s{},=]+(?: [^\s{},=]+)*")
"""A name a threshold filter can hold (``recovery{fault=NAME}``): no braces, commas or '='."""


def required_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadFault(f"{what} must be a non-empty string, not {value!r}")
    return value.strip()


@dataclass(frozen=True, slots=True)
class ProxySpec:
    """A fault proxy the run starts before the load: the target is pointed at ``listen``."""

    name: str
    listen: tuple[str, int]
    upstream: tuple[str, int]
    where: str = ""


_ADDR = re.compile(r"(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\s]+)):(?P<port>\d+)|(?P<bare>\d+)")


def parse_address(text: object, what: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) or a bare port on 127.0.0.1."""
    raw = required_text(text, what)
    m = _ADDR.fullmatch(raw)
    if m is None:
        raise BadFault(f"{what} {raw!r} is not HOST:PORT (like 127.0.0.1:6390)")
    port = int(m.group("port") or m.group("bare"))
    if not 1 <= port <= 65535:
        raise BadFault(f"{what} {raw!r}: port {port} is not within 1..65535")
    host = m.group("v6") or m.group("host") or "127.0.0.1"
    return host, port


def parse_proxies(
    value: object, where: str, line_of: Callable[[str], str] | None = None
) -> dict[str, ProxySpec]:
    """A file's ``proxies``: ``{"db": {"listen": "127.0.0.1:6390", "upstream": "127.0.0.1:6379"}}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadFault(
            f"{where}: proxies must map names to {{'listen': 'HOST:PORT', 'upstream': 'HOST:PORT'}}"
        )
    out: dict[str, ProxySpec] = {}
    for name, spec in value.items():
        at = line_of(str(name)) if line_of is not None else where
        here = f"{at}: proxies.{name}"
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise BadFault(f"{here}: a proxy name is a word like db, not {name!r}")
        if not isinstance(spec, Mapping):
            raise BadFault(f"{here} must be a mapping with listen: and upstream:")
        for key in spec:
            if key not in ("listen", "upstream"):
                raise BadFault(f"{here}.{key}: unknown key (use listen, upstream)")
        for key in ("listen", "upstream"):
            if key not in spec:
                raise BadFault(f"{here}: {key}: HOST:PORT is missing")
        out[name] = ProxySpec(
            name,
            parse_address(spec["listen"], f"{here}.listen"),
            parse_address(spec["upstream"], f"{here}.upstream"),
            here,
        )
    listens: dict[tuple[str, int], str] = {}
    for p in out.values():
        if p.listen in listens:
            raise BadFault(
                f"{p.where}.listen: {p.listen[0]}:{p.listen[1]} is also proxy {listens[p.listen]!r}'s"
            )
        listens[p.listen] = p.name
    return out


def parse_proxy_arg(text: str) -> ProxySpec:
    """``--proxy NAME=LISTEN->UPSTREAM`` (``db=127.0.0.1:6390->127.0.0.1:6379``)."""
    name, sep, rest = text.partition("=")
    listen, arrow, upstream = rest.partition("->")
    where = f"--proxy {text!r}"
    if not sep or not arrow or not name.strip():
        raise BadFault(f"{where} is not NAME=LISTEN->UPSTREAM (like db=127.0.0.1:6390->127.0.0.1:6379)")
    name = name.strip()
    if not NAME.fullmatch(name):
        raise BadFault(f"{where}: a proxy name is a word like db, not {name!r}")
    return ProxySpec(
        name, parse_address(listen.strip(), where), parse_address(upstream.strip(), where), where
    )
