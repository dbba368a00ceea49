"""loadpulse: a fast, truthful load-testing toolkit.

The public API is re-exported here lazily (PEP 562), so ``import loadpulse`` stays cheap and runs nothing:

    from loadpulse import RunSpec, RequestSpec, LoadSpec, execute, build_summary
    outcome = execute(RunSpec(requests=(RequestSpec(url="http://127.0.0.1:8000/health"),),
                              load=LoadSpec(connections=10, requests=1000)), handle_signals=False)
    print(build_summary(outcome)["latency_ms"]["p99"])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs; at run time they happen on first use
    from loadpulse.engine.execute import execute, execute_plan
    from loadpulse.errors import BadInput
    from loadpulse.metrics.error_kinds import ErrorKind
    from loadpulse.metrics.histogram import Histogram
    from loadpulse.protocols.grpc import load_protos
    from loadpulse.protocols.http.client import Response
    from loadpulse.results.outcome import RunOutcome
    from loadpulse.results.summary import build_summary
    from loadpulse.scenario.api import task
    from loadpulse.scenario.ctx import Ctx, SetupCtx, Vu
    from loadpulse.scenario.feed import Feed, feed
    from loadpulse.scenario.loader import load_scenario
    from loadpulse.scenario.model import Plan
    from loadpulse.scenario.source import RunOptions, build_plan
    from loadpulse.spec import LoadSpec, RequestSpec, RunSpec, TimeoutSpec

__version__ = "0.1.0"

_EXPORTS = {
    "RunSpec": "loadpulse.spec",
    "RequestSpec": "loadpulse.spec",
    "LoadSpec": "loadpulse.spec",
    "TimeoutSpec": "loadpulse.spec",
    "BadInput": "loadpulse.errors",
    "execute": "loadpulse.engine.execute",
    "RunOutcome": "loadpulse.results.outcome",
    "build_summary": "loadpulse.results.summary",
    "Histogram": "loadpulse.metrics.histogram",
    "ErrorKind": "loadpulse.metrics.error_kinds",
    "task": "loadpulse.scenario.api",
    "Ctx": "loadpulse.scenario.ctx",
    "SetupCtx": "loadpulse.scenario.ctx",
    "Vu": "loadpulse.scenario.ctx",
    "feed": "loadpulse.scenario.feed",
    "Feed": "loadpulse.scenario.feed",
    "Response": "loadpulse.protocols.http.client",
    "load_protos": "loadpulse.protocols.grpc",
    "Plan": "loadpulse.scenario.model",
    "load_scenario": "loadpulse.scenario.loader",
    "build_plan": "loadpulse.scenario.source",
    "RunOptions": "loadpulse.scenario.source",
    "execute_plan": "loadpulse.engine.execute",
}

__all__ = [  # noqa: RUF022 - grouped like _EXPORTS
    "__version__",
    "RunSpec",
    "RequestSpec",
    "LoadSpec",
    "TimeoutSpec",
    "BadInput",
    "execute",
    "RunOutcome",
    "build_summary",
    "Histogram",
    "ErrorKind",
    "task",
    "Ctx",
    "SetupCtx",
    "Vu",
    "feed",
    "Feed",
    "Response",
    "load_protos",
    "Plan",
    "load_scenario",
    "build_plan",
    "RunOptions",
    "execute_plan",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'loadpulse' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
