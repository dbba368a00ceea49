"""A scenario file's faults and proxies (faults/spec.py), with the line each entry is on.

- Python: ``faults = [...]`` and ``proxies = {...}`` at module level; the entries' lines are read from the
  file's syntax tree (the loader only sees values), so a bad one is ``scenario.py:14: faults[2].kill: …``.
- YAML: ``faults:`` and ``proxies:`` (lines from the composed document, yaml_lines.py).
- Either: a ``scenarios`` entry with ``faults`` and no tasks is a *fault-only scenario*: its faults are
  timed from its own ``start``, and ``--profile``/``--preset`` (which replace every load scenario's
  profile) leave it alone. A load scenario's ``faults`` are timed from its ``start`` the same way.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.faults.proxy_spec import parse_proxies
from loadpulse.faults.spec import FaultPlan, FaultSpec, parse_faults
from loadpulse.units import duration_value

FAULT_ONLY_KEYS = ("faults", "start")


def _python_lines(path: str) -> dict[str, Any]:
    """Where ``faults`` / ``proxies`` are assigned at module level: {'faults': [line of entry i, …],
    'proxies': {name: line}}; {} when the file cannot be read or the values are not literals."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    out: dict[str, Any] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        value = getattr(node, "value", None)
        for target in targets:
            if not isinstance(target, ast.Name) or value is None:
                continue
            if target.id == "faults" and isinstance(value, ast.List | ast.Tuple):
                out["faults"] = [e.lineno for e in value.elts]
            elif target.id == "proxies" and isinstance(value, ast.Dict):
                out["proxies"] = {
                    k.value: k.lineno
                    for k in value.keys
                    if isinstance(k, ast.Constant) and k.value is not None
                }
    return out


def python_chaos(faults: object, proxies: object, path: str) -> FaultPlan:
    """A Python scenario's ``faults`` and ``proxies`` (None where the file has none)."""
    if faults is None and proxies is None:
        return FaultPlan()
    lines = _python_lines(path)
    fault_lines: list[int] = lines.get("faults", [])
    proxy_lines: dict[str, int] = lines.get("proxies", {})

    def fault_at(i: int) -> str:
        return f"{path}:{fault_lines[i]}" if i < len(fault_lines) else path

    def proxy_at(name: str) -> str:
        return f"{path}:{proxy_lines[name]}" if name in proxy_lines else path

    return FaultPlan(parse_faults(faults, path, fault_at), parse_proxies(proxies, path, proxy_at))


def yaml_chaos(faults: object, proxies: object, at: Callable[..., str]) -> FaultPlan:
    """A YAML scenario's ``faults:`` and ``proxies:``; ``at(*path)`` is ``file:line`` of a YAML path."""
    return FaultPlan(
        parse_faults(faults, at("faults"), lambda i: at("faults", i)),
        parse_proxies(proxies, at("proxies"), lambda name: at("proxies", name)),
    )


def scenario_faults(
    name: str, config: Mapping[str, Any], path: str, has_tasks: bool
) -> tuple[FaultSpec, ...]:
    """The faults a ``scenarios`` entry declares, timed from its ``start``; a fault-only entry (no tasks)
    may hold nothing but ``faults`` and ``start``."""
    where = f"{path}: scenarios.{name}"
    if not has_tasks:
        extra = [k for k in config if k not in FAULT_ONLY_KEYS]
        if extra:
            raise BadInput(
                f"{where}.{extra[0]}: a fault-only scenario (no tasks) takes only faults and start; "
                f"give it tasks with @task(scenario={name!r}) to make it a load scenario"
            )
    start = duration_value(config.get("start", 0), f"{where}.start")
    faults = parse_faults(config["faults"], where)
    return tuple(
        replace(
            f,
            at_s=f.at_s + start,
            until_s=None if f.until_s is None else f.until_s + start,
            where=f.where.replace(f"{where}: faults", f"{where}.faults"),
        )
        for f in faults
    )


def with_scenario_faults(
    chaos: FaultPlan, configs: dict[str, dict[str, Any]], tasks: Mapping[str, object], path: str
) -> tuple[FaultPlan, dict[str, dict[str, Any]]]:
    """The file's plan with every ``scenarios`` entry's faults added, and the configs of the load
    scenarios without their ``faults`` (fault-only entries removed)."""
    extra: list[FaultSpec] = []
    kept: dict[str, dict[str, Any]] = {}
    for name, config in configs.items():
        if "faults" not in config:
            kept[name] = config
            continue
        extra.extend(scenario_faults(name, config, path, name in tasks))
        if name in tasks:
            kept[name] = {k: v for k, v in config.items() if k != "faults"}
    if not extra:
        return chaos, configs
    return chaos.merged(FaultPlan(tuple(extra))), kept
