"""``pitwall mirror``: the commands of :mod:`pitwall.postgres.cli`, imported only when one of
them runs (the mirror's imports cost about a second that ``pitwall sql`` should not pay)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="PostgreSQL mirror of the lake.", no_args_is_help=True)


@app.command("status")
def status_command() -> None:
    """Per table: Delta version, mirrored version, rows, last mirrored."""
    from pitwall.postgres.cli import status_command as status

    status()


@app.command("run")
def run_command(
    swap_fraction: Annotated[
        float | None,
        typer.Option(help="override the swap-or-upsert threshold (fraction of the table)"),
    ] = None,
) -> None:
    """Mirror the lake now (the same as the mirror_postgres pipeline)."""
    from pitwall.postgres.cli import run_command as run

    run(swap_fraction=swap_fraction)
