"""Result-file, report and history flags shared by `http`, `run` and `demo` (typer types declared once)."""

from __future__ import annotations

from typing import Annotated

import typer

OutOpt = Annotated[
    str | None,
    typer.Option(
        "--out", help="Write the full results file (reports can be regenerated from it).", metavar="PATH"
    ),
]
HtmlOpt = Annotated[
    str | None, typer.Option("--html", help="Write a self-contained HTML report with charts.", metavar="PATH")
]
CsvOpt = Annotated[
    str | None, typer.Option("--csv", help="Write the per-second series as CSV.", metavar="PATH")
]
NoHistoryOpt = Annotated[bool, typer.Option("--no-history", help="Do not save this run in the run history.")]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="History database URL: sqlite:///path or postgresql://user@host/db "
        "(default: history.sqlite in the user data directory, or $LOADPULSE_STORE).",
        metavar="URL",
    ),
]
RunNameOpt = Annotated[
    str | None, typer.Option("--run-name", help="Name this run in the history (for history/compare).")
]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", help="Tag this run in the history; repeatable.")]
SecretOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--secret",
        help="A value (token, password) to replace with \\[redacted] in every output: console, JSON, "
        "reports, history; repeatable. Authorization/Cookie headers are always redacted.",
        envvar="LOADPULSE_SECRETS",
    ),
]
ProbeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--probe",
        help="Watch the target once a second: NAME=process:PID|NAME, NAME=file:PATH, "
        "NAME=http:URL#$.json.path, NAME=sql:URL#QUERY, NAME=redis:URL#COMMAND; repeatable.",
    ),
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        help="After the run, compare it with this run: an id, 'last', 'best', 'tag:NAME' or a results file.",
        metavar="REF",
    ),
]
