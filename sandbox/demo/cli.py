"""The demo's command line: ``python -m sandbox.demo [--no-serve]`` (``make demo``)."""

from __future__ import annotations

import logging
import re
import warnings
from typing import Annotated

import typer
from rich.logging import RichHandler

from sandbox.demo.processes import exit_on_signals
from sandbox.demo.runner import run_demo
from sandbox.demo.steps import QUIET_WARNINGS


def main(
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the apps until Ctrl-C")
    ] = True,
    telemetry_seconds: Annotated[
        float, typer.Option(help="length of the simulated AC session")
    ] = 20.0,
) -> None:
    """Run the whole platform on embedded defaults: sandbox, telemetry, kedro run, mirror."""
    exit_on_signals()
    # the steps say what they do; the libraries' logs only when something is wrong
    handler = RichHandler(show_path=False, markup=False, level=logging.WARNING)
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[handler])
    # authlib puts an "always" filter for its deprecations first when it is imported: import
    # it now, so that the filters below come before it
    import authlib.deprecate  # noqa: F401

    for option in QUIET_WARNINGS.split(","):
        _action, message = option.split(":", 1)
        warnings.filterwarnings("ignore", message=re.escape(message))
    try:
        run_demo(serve=serve, telemetry_seconds=telemetry_seconds)
    except RuntimeError as exc:
        typer.secho(f"demo failed: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
