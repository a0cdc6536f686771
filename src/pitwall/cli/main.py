"""The ``pitwall`` command line."""

from __future__ import annotations

import logging

import typer
from rich.logging import RichHandler

from pitwall.cli.sql import sql_command

app = typer.Typer(
    name="pitwall",
    help="Pitwall: lakehouse analytics for motorsport and sim-racing data.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("sql")(sql_command)


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="debug logging"),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(show_path=False, markup=False)],
    )
