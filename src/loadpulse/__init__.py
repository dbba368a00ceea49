"""loadpulse: a fast, truthful load-testing toolkit.

The public API is re-exported here lazily (PEP 562), so ``import loadpulse`` stays cheap and runs nothing:

    from loadpulse import RunSpec, RequestSpec, LoadSpec, execute, build_summary
    outcome = execute(RunSpec(requests=(RequestSpec(url="http://127.0.0.1:8000/health"),),
                              load=LoadSpec(connections=10, requests=1000)), handle_signals=False)
    print(build_summary(outcome)["latency_ms"]["p99"])
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "RunSpec": "loadpulse.spec",
    "RequestSpec": "loadpulse.spec",
    "LoadSpec": "loadpulse.spec",
    "TimeoutSpec": "loadpulse.spec",
    "BadInput": "loadpulse.errors",
    "execute": "loadpulse.engine.run",
    "RunOutcome": "loadpulse.engine.run",
    "build_summary": "loadpulse.outputs.summary",
    "Histogram": "loadpulse.metrics.histogram",
    "ErrorKind": "loadpulse.metrics.error_kinds",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'loadpulse' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
