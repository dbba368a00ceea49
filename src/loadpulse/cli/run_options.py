"""The output, threshold, history and live flags `http` and `run` share, declared once.

typer reads a command's options from its signature and has no ``**kwargs``: :func:`with_run_options`
appends these parameters to a command's signature and hands their values to it as one ``flags`` mapping
(which the outputs read, each its own flag; see :mod:`loadpulse.outputs.registry`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer

from loadpulse.cli.drift_options import DriftMinOpt, DriftOpt
from loadpulse.cli.fault_options import FaultOpt, ProxyOpt
from loadpulse.cli.live_options import BindOpt, DashboardOpt, LingerOpt, PrometheusOpt, TokenOpt
from loadpulse.cli.report_options import (
    BaselineOpt,
    CsvOpt,
    HtmlOpt,
    NoHistoryOpt,
    OutOpt,
    ProbeOpt,
    RunNameOpt,
    SecretOpt,
    StoreOpt,
    TagOpt,
)
from loadpulse.cli.verdict_options import AbortOpt, FailOnWarnOpt, JunitOpt, MarkdownOpt, ThresholdOpt

JsonOpt = Annotated[
    str | None,
    typer.Option("--json", help="Write Summary JSON v1 to this path ('-' for stdout).", metavar="PATH"),
]
NoProgressOpt = Annotated[bool, typer.Option("--no-progress", help="No live progress line.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no console summary.")]

RUN_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("json_out", JsonOpt, None),
    ("no_progress", NoProgressOpt, False),
    ("quiet", QuietOpt, False),
    ("threshold", ThresholdOpt, None),
    ("abort_on_fail", AbortOpt, False),
    ("fail_on_warn", FailOnWarnOpt, False),
    ("junit", JunitOpt, None),
    ("markdown", MarkdownOpt, None),
    ("out_file", OutOpt, None),
    ("html", HtmlOpt, None),
    ("csv", CsvOpt, None),
    ("no_history", NoHistoryOpt, False),
    ("store", StoreOpt, None),
    ("run_name", RunNameOpt, None),
    ("tag", TagOpt, None),
    ("baseline", BaselineOpt, None),
    ("probe", ProbeOpt, None),
    ("drift", DriftOpt, None),
    ("drift_min", DriftMinOpt, None),
    ("fault", FaultOpt, None),
    ("proxy", ProxyOpt, None),
    ("secret", SecretOpt, None),
    ("dashboard", DashboardOpt, None),
    ("prometheus", PrometheusOpt, None),
    ("bind_host", BindOpt, "127.0.0.1"),
    ("dashboard_token", TokenOpt, None),
    ("dashboard_linger", LingerOpt, "0s"),
)
"""(parameter name, typer type, default) in the order ``--help`` lists them, after the command's own."""

Flags = Mapping[str, Any]


def with_run_options(command: Callable[..., int]) -> Callable[..., int]:
    """``command`` with the shared flags appended to its options; its last parameter, ``flags``, receives
    their values by parameter name."""
    own = inspect.signature(command, eval_str=True)
    params = [p for p in own.parameters.values() if p.name != "flags"]
    shared = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=kind)
        for name, kind, default in RUN_OPTIONS
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> int:
        flags = {name: kwargs.pop(name) for name, _, _ in RUN_OPTIONS}
        return command(**kwargs, flags=flags)

    # typer reads both: the signature for names and defaults, the annotations for types and options.
    wrapper.__signature__ = own.replace(parameters=[*params, *shared])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in (*params, *shared)}
    wrapper.__annotations__["return"] = own.return_annotation
    return wrapper
