"""Every output by name: name -> ``"module:factory"``, imported only when a run builds its outputs
(uvicorn's ``config.py`` tables). The order is the order outputs start and stop in.

A factory is ``create(params: OutputParams) -> Output | None`` (None: not asked for). Its module imports
what the output needs (starlette, prometheus-client, SQLAlchemy) inside ``start``, so a plain run stays lean.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from loadpulse.outputs.contract import Output, OutputParams

OUTPUTS: dict[str, str] = {
    # Reports, stopped after the run in this order: the console summary, the comparison and the history
    # row are printed in this order, then the files are written.
    "console": "loadpulse.outputs.console:create",
    "baseline": "loadpulse.outputs.baseline:create",
    "history": "loadpulse.outputs.history:create",
    "json": "loadpulse.outputs.json_summary:create",
    "results": "loadpulse.outputs.results_file:create",
    "html": "loadpulse.outputs.html_report:create",
    "csv": "loadpulse.outputs.csv_export:create",
    "junit": "loadpulse.outputs.verdicts:create_junit",
    "markdown": "loadpulse.outputs.verdicts:create_markdown",
    "github-step-summary": "loadpulse.outputs.verdicts:create_step_summary",
    # Live: they see every interval and stop as soon as the outcome is known.
    "abort": "loadpulse.outputs.abort:create",
    "dashboard": "loadpulse.outputs.dashboard:create",
    "prometheus": "loadpulse.outputs.prometheus:create",
    "progress": "loadpulse.outputs.progress:create",
}

Factory = Callable[[OutputParams], Output | None]


def factory(name: str) -> Factory:
    module, _, attr = OUTPUTS[name].partition(":")
    made: Factory = getattr(importlib.import_module(module), attr)
    return made


def build_outputs(params: OutputParams, names: Iterable[str] | None = None) -> list[Output]:
    """The outputs ``params`` ask for, in registry order (``names``: only those)."""
    wanted = set(OUTPUTS if names is None else names)
    built = (factory(name)(params) for name in OUTPUTS if name in wanted)
    return [o for o in built if o is not None]
