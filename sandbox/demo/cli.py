"""The demo's command line: ``python -m sandbox.demo [--no-serve]``."""

from __future__ import annotations

import logging
import warnings
from typing import Annotated

import typer
from rich.logging import RichHandler

from sandbox.demo.runner import run_demo


def main(
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the apps until Ctrl-C")
    ] = True,
    telemetry_seconds: Annotated[
        float, typer.Option(help="length of the simulated AC session")
    ] = 20.0,
) -> None:
    """Run the whole platform on embedded defaults: sandbox, telemetry, kedro run, mirror."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(show_path=False, markup=False)],
    )
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated")
    try:
        run_demo(serve=serve, telemetry_seconds=telemetry_seconds)
    except RuntimeError as exc:
        typer.secho(f"demo failed: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
