"""The ``pitwall`` command line."""

from __future__ import annotations

import logging
import warnings

import typer
from rich.console import Console
from rich.logging import RichHandler

from pitwall.cli.lake import app as lake_app
from pitwall.cli.mirror import app as mirror_app
from pitwall.cli.sql import sql_command
from pitwall.cli.token import token_command

app = typer.Typer(
    name="pitwall",
    help="Pitwall: lakehouse analytics for motorsport and sim-racing data.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("sql")(sql_command)
app.command("token")(token_command)
app.add_typer(lake_app, name="lake", help="Lake tables: status and maintenance.")
app.add_typer(mirror_app, name="mirror", help="The PostgreSQL mirror: status and run.")


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="debug logging"),
) -> None:
    # logs go to stderr: stdout is the command's output (`TOKEN=$(pitwall token)`, CSV, JSON).
    # force: a handler installed earlier in the process (Kedro's rich logging) would write to stdout
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=Console(stderr=True), show_path=False, markup=False)],
        force=True,
    )
    if not verbose:  # these libraries narrate every request, start and stop
        for name in ("pgserver", "httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # Kedro's config loader calls an omegaconf API deprecated upstream; not actionable here
        warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated")
