"""The ``pitwall`` command line."""

from __future__ import annotations

import logging
import warnings

import typer
from rich.console import Console
from rich.logging import RichHandler

from pitwall.cli.sql import sql_command
from pitwall.cli.token import token_command
from pitwall.postgres.cli import app as mirror_app

app = typer.Typer(
    name="pitwall",
    help="Pitwall: lakehouse analytics for motorsport and sim-racing data.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("sql")(sql_command)
app.command("token")(token_command)
app.add_typer(mirror_app, name="mirror", help="The PostgreSQL mirror: status and run.")


@app.command("demo")
def demo_command(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="serve the apps until Ctrl-C"),
    telemetry_seconds: float = typer.Option(20.0, help="length of the simulated AC session"),
) -> None:
    """Run the whole platform on embedded defaults: sandbox, telemetry, kedro run, mirror."""
    from pitwall.demo import run_demo

    try:
        run_demo(serve=serve, telemetry_seconds=telemetry_seconds)
    except RuntimeError as exc:
        typer.secho(f"demo failed: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="debug logging"),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        # logs go to stderr: stdout carries only results (TOKEN=$(pitwall token), --format csv)
        handlers=[RichHandler(console=Console(stderr=True), show_path=False, markup=False)],
    )
    if not verbose:  # the embedded PostgreSQL's library narrates every start and stop
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        # Kedro's config loader calls an omegaconf API deprecated upstream; not actionable here
        warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated")
