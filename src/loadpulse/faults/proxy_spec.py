"""The fault proxies a run declares (pure): ``proxies = {"db": {"listen": "127.0.0.1:6390", "upstream":
"127.0.0.1:6379"}}`` in a scenario, ``--proxy db=127.0.0.1:6390->127.0.0.1:6379`` on the command line. The
run starts them before the load (chaos/fault_runner.py) and proxy faults name them (faults/spec.py)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from loadpulse.faults.proxy_faults import BadFault

NAME_MAX = 64
NAME = re.compile(rf"[A-Za-z0-9_.-]{{1,{NAME_MAX}}}")
"""A fault's or proxy's name: it goes into thresholds (``recovery{fault=NAME}``), terminals, reports and
Prometheus labels, so letters, digits, '-', '_' and '.' only, at most 64 of them."""
NAME_RULE = f"use letters, digits, '-', '_', '.' (at most {NAME_MAX})"


def check_name(name: str, what: str) -> str:
    """``name`` when it is one (:data:`NAME`); else BadFault, the name shown escaped and cut."""
    if not NAME.fullmatch(name):
        shown = ascii(name[:NAME_MAX]) + ("…" if len(name) > NAME_MAX else "")
        raise BadFault(f"{what} {shown}: {NAME_RULE}")
    return name


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    allow_remote: bool = False
    """Listen on a non-loopback address: anyone who can reach it goes through (and past) the proxy."""


def _check_listen(proxy: ProxySpec, key: str, how: str) -> ProxySpec:
    """As ``loadpulse proxy`` without ``--allow-remote``: a run's proxy listens on loopback only."""
    host = proxy.listen[0]
    if not proxy.allow_remote and not is_loopback(host):
        raise BadFault(
            f"{proxy.where}{key}: {host} is not a loopback address (127.0.0.1, ::1, localhost): anyone who "
            f"can reach it could use the proxy; {how}"
        )
    return proxy


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
        if not isinstance(name, str):
            raise BadFault(f"{here}: a proxy name is a word like db, not {name!r}")
        check_name(name, f"{here}: proxy name")
        if not isinstance(spec, Mapping):
            raise BadFault(f"{here} must be a mapping with listen: and upstream:")
        for key in spec:
            if key not in ("listen", "upstream", "allow_remote"):
                raise BadFault(f"{here}.{key}: unknown key (use listen, upstream, allow_remote)")
        remote = spec.get("allow_remote", False)
        if not isinstance(remote, bool):
            raise BadFault(f"{here}.allow_remote must be true or false, not {remote!r}")
        for key in ("listen", "upstream"):
            if key not in spec:
                raise BadFault(f"{here}: {key}: HOST:PORT is missing")
        proxy = ProxySpec(
            name,
            parse_address(spec["listen"], f"{here}.listen"),
            parse_address(spec["upstream"], f"{here}.upstream"),
            here,
            remote,
        )
        out[name] = _check_listen(proxy, ".listen", "add allow_remote: true to this proxy to mean it")
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
    name = check_name(name.strip(), f"{where}: proxy name")
    proxy = ProxySpec(
        name, parse_address(listen.strip(), where), parse_address(upstream.strip(), where), where
    )
    return _check_listen(
        proxy, "", "declare it in the scenario file's proxies: with allow_remote: true to mean it"
    )
