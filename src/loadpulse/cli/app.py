"""The typer application and the process entry point (error and exit-code policy lives here)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.exceptions import TyperException

from loadpulse import __version__
from loadpulse.cli.capacity import capacity
from loadpulse.cli.compare import compare
from loadpulse.cli.console import fail
from loadpulse.cli.demo import demo
from loadpulse.cli.grpc import grpc
from loadpulse.cli.history import history, show
from loadpulse.cli.http import http
from loadpulse.cli.live_options import expand_optional_values
from loadpulse.cli.plan import plan
from loadpulse.cli.proxy import proxy
from loadpulse.cli.report import report
from loadpulse.cli.run import run
from loadpulse.cli.target import target_app
from loadpulse.errors import BadInput

EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="loadpulse",
    help="Fast, truthful load testing: one-liners, scenarios, SLO verdicts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"loadpulse {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Fast, truthful load testing: one-liners, scenarios, SLO verdicts."""


app.command("http")(http)
app.command("grpc")(grpc)
app.command("run")(run)
app.command("demo")(demo)
app.command("report")(report)
app.command("history")(history)
app.command("show")(show)
app.command("compare")(compare)
app.command("plan")(plan)
app.command("capacity")(capacity)
app.command("proxy")(proxy)
app.add_typer(target_app, name="target")


def usage_line(exc: TyperException) -> str:
    """One line for a usage error: the subcommand it is about (not the program name, which ``fail``
    already prints) and click's message without its closing full stop."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else ""
    sub = path.removeprefix(app.info.name or "loadpulse").strip()
    where = f"{sub}: " if sub else ""
    # A group called without its command: the help (printed already, to stdout) is the message, so the
    # line says what is missing instead of an empty reason. Matched by name: typer vendors click.
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        names = ", ".join(getattr(ctx.command, "list_commands", lambda c: [])(ctx))
        return f"{where}name a command" + (f" ({names})" if names else "") + "; see the help above"
    return f"{where}{exc.format_message().strip().rstrip('.')}; see --help"


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: bad input is one line and exit 2, never a traceback."""
    args = expand_optional_values(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="loadpulse", standalone_mode=False)
    except BadInput as exc:
        fail(str(exc), exc.detail)
        sys.exit(EXIT_BAD_INPUT)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        # Ctrl-C before the run installed its own handler (or outside a run): no traceback either.
        sys.exit(130)
    except TyperException as exc:
        # Typer vendors its own click; usage errors carry the message and, for unknown options, the
        # close matches, which we fold into one line instead of click's multi-line usage block.
        possibilities = getattr(exc, "possibilities", None)
        option = getattr(exc, "option_name", None)
        if option and possibilities is not None:
            hint = f" (did you mean {', '.join(possibilities)}?)" if possibilities else ""
            fail(f"no such option {option}{hint}; see --help")
        else:
            fail(usage_line(exc))
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(code if isinstance(code, int) else 0)
