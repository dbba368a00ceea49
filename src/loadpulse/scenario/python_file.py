"""Loading a Python scenario file: a plain module whose ``@task`` functions are collected and checked.

Module-level names the loader reads (all optional except at least one task):

- ``base_url``: where relative request URLs go (``--base-url`` overrides);
- ``profile``: a preset name (``"quick"``) or a profile mapping (``{"profile": "constant-vus", ...}``)
  for scenarios that have no entry of their own in ``scenarios``;
- ``scenarios``: ``{name: {"profile": ..., params..., "start": "10s", "think_time": "100ms"}}``;
- ``headers``: sent with every request; ``thresholds``: a list of threshold expressions;
- ``http2``: True sends ``ctx.http`` requests over HTTP/2 (docs/http2.md; a request's ``http2=`` wins);
- ``metrics``: ``{name: "counter" | "trend" | "rate"}`` declares custom metrics thresholds can name;
- ``probes``: ``{name: "http:URL#$.path" | "process:NAME" | ... | function}`` sampled once a second;
- ``faults``: a list of faults on the run's timeline, ``proxies``: the fault proxies they act on
  (scenario/chaos_spec.py, docs/chaos.md);
- ``setup()`` / ``teardown(data)``: run once before / after the load (sync or async); what ``setup``
  returns reaches every VU as ``ctx.data``; ``setup_timeout`` (default 60s) bounds ``setup()``.

Problems are reported as ``file:line: what is wrong`` with exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.scenario.api import TASK_MARK
from loadpulse.scenario.chaos_spec import python_chaos
from loadpulse.scenario.model import DEFAULT_SCENARIO, DEFAULT_SETUP_TIMEOUT_S, TaskDef
from loadpulse.scenario.pipeline_spec import pipeline_from_file
from loadpulse.scenario.source import ScenarioSource
from loadpulse.units import parse_duration

_loaded = 0


def where_in(path: str, exc: BaseException) -> str:
    """'file:line' of the innermost traceback frame inside ``path`` (the user's own line)."""
    target = str(Path(path).resolve())
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if str(Path(frame.filename).resolve()) == target:
            line = frame.lineno
    return f"{path}:{line}" if line else path


def _exec_module(path: str) -> ModuleType:
    global _loaded
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"scenario file {path!r} not found")
    _loaded += 1
    mod_name = f"loadpulse_scenario_{_loaded}_{file.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, file)
    if spec is None or spec.loader is None:  # pragma: no cover - .py files always get a spec
        raise BadInput(f"{path}: cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    # The file's own folder on sys.path, so scenarios can import helpers sitting next to them.
    folder = str(file.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise BadInput(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except BadInput:
        raise
    except SystemExit as exc:
        # exit() at import would end loadpulse itself, silently and with the file's own code.
        raise BadInput(
            f"{where_in(path, exc)}: the scenario called exit({exc.code!r}) while loading"
        ) from None
    except Exception as exc:
        raise BadInput(f"{where_in(path, exc)}: {type(exc).__name__} while loading: {exc}") from None
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    return module


def _line_of(fn: Callable[..., Any]) -> int:
    code = getattr(fn, "__code__", None)
    return code.co_firstlineno if code is not None else 0


def _optional_callable(module: ModuleType, name: str, path: str) -> Any:
    fn = getattr(module, name, None)
    if fn is not None and not callable(fn):
        raise BadInput(f"{path}: '{name}' must be a function, not {type(fn).__name__}")
    return fn


def load_python(path: str) -> ScenarioSource:
    module = _exec_module(path)
    tasks: dict[str, list[TaskDef]] = {}
    for value in vars(module).values():
        mark = getattr(value, TASK_MARK, None)
        if mark is None or not callable(value):
            continue
        where = f"{path}:{_line_of(value)}"
        name = mark["name"]
        if not inspect.iscoroutinefunction(value):
            raise BadInput(f"{where}: task {name!r} is not an async def; write 'async def {name}(ctx)'")
        weight = mark["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            raise BadInput(f"{where}: task {name!r} has weight {weight!r}; weights must be numbers > 0")
        scenario = mark["scenario"] or DEFAULT_SCENARIO
        tasks.setdefault(scenario, []).append(TaskDef(name, value, float(weight), where))
    if not tasks:
        raise BadInput(
            f"{path}: no scenario defined: mark at least one 'async def task(ctx)' with @loadpulse.task"
        )
    configs = getattr(module, "scenarios", {}) or {}
    if not isinstance(configs, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in configs.items()
    ):
        raise BadInput(f"{path}: 'scenarios' must map scenario names to profile mappings")
    profile = getattr(module, "profile", None)
    if isinstance(profile, str):
        from loadpulse.scenario.source import named_profile

        profile = named_profile(profile, f"{path}: profile")
    if profile is not None and not isinstance(profile, dict):
        raise BadInput(f"{path}: 'profile' must be a preset name or a mapping, not {type(profile).__name__}")
    base_url = getattr(module, "base_url", None)
    if base_url is not None and not isinstance(base_url, str):
        raise BadInput(f"{path}: 'base_url' must be a string")
    headers = getattr(module, "headers", {}) or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise BadInput(f"{path}: 'headers' must map header names to string values")
    thresholds = getattr(module, "thresholds", ()) or ()
    if isinstance(thresholds, str) or not all(isinstance(t, str) for t in thresholds):
        raise BadInput(f"{path}: 'thresholds' must be a list of expressions like 'p95 < 200ms'")
    metrics = getattr(module, "metrics", {}) or {}
    if not isinstance(metrics, dict) or not all(
        isinstance(k, str) and v in ("counter", "trend", "rate") for k, v in metrics.items()
    ):
        raise BadInput(f"{path}: 'metrics' must map custom metric names to 'counter', 'trend' or 'rate'")
    probes = getattr(module, "probes", {}) or {}
    if not isinstance(probes, dict) or not all(isinstance(k, str) for k in probes):
        raise BadInput(f"{path}: 'probes' must map probe names to spec strings or functions")
    return ScenarioSource(
        path=path,
        probes=dict(probes),
        metrics=dict(metrics),
        tasks=tasks,
        configs={k: dict(v) for k, v in configs.items()},
        profile=profile,
        base_url=base_url,
        headers=headers,
        thresholds=tuple(thresholds),
        setup=_optional_callable(module, "setup", path),
        teardown=_optional_callable(module, "teardown", path),
        setup_timeout_s=_setup_timeout(module, path),
        pipeline=pipeline_from_file(getattr(module, "pipeline", None), path),
        chaos=python_chaos(getattr(module, "faults", None), getattr(module, "proxies", None), path),
        http2=_http2(module, path),
    )


def _http2(module: ModuleType, path: str) -> bool:
    value = getattr(module, "http2", False)
    if not isinstance(value, bool):
        raise BadInput(f"{path}: 'http2' must be True or False, not {value!r}")
    return value


def _setup_timeout(module: ModuleType, path: str) -> float:
    value = getattr(module, "setup_timeout", None)
    if value is None:
        return DEFAULT_SETUP_TIMEOUT_S
    try:
        return parse_duration(str(value), "setup_timeout")
    except BadInput as exc:
        raise BadInput(f"{path}: {exc}") from None
