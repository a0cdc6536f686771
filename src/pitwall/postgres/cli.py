"""``pitwall mirror``: status of the PostgreSQL mirror, and a run on demand."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pitwall.postgres.mirror import MirrorError, TableSummary, mirror_lake
from pitwall.postgres.options import read_mirror_options
from pitwall.postgres.status import TableStatus, read_status

app = typer.Typer(help="PostgreSQL mirror of the lake.", no_args_is_help=True)

_FRESHNESS_STYLE = {
    "up to date": "green",
    "behind": "yellow",
    "not mirrored": "red",
    "not in lake": "dim",
}


@app.command("status")
def status_command() -> None:
    """Per table: Delta version, mirrored version, rows, last mirrored."""
    rows = read_status(options=read_mirror_options())
    Console().print(render_status(rows))


@app.command("run")
def run_command(
    swap_fraction: Annotated[
        float | None,
        typer.Option(help="override the swap-or-upsert threshold (fraction of the table)"),
    ] = None,
) -> None:
    """Mirror the lake now (the same as the mirror_postgres pipeline)."""
    options = read_mirror_options()
    if swap_fraction is not None:
        options = options.model_copy(update={"swap_fraction": swap_fraction})
    console = Console()
    try:
        summaries = mirror_lake(options=options)
    except MirrorError as exc:
        console.print(render_summaries(exc.summaries))
        raise typer.Exit(1) from exc
    console.print(render_summaries(summaries))


def render_status(rows: list[TableStatus]) -> Table:
    table = Table(title="PostgreSQL mirror")
    for header in ("table", "Delta version", "mirrored version", "rows", "last mirrored", "state"):
        justify = "right" if "version" in header or header == "rows" else "left"
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            f"{row.schema}.{row.table}",
            _text(row.delta_version),
            _text(row.mirrored_version),
            _text(row.rows),
            row.mirrored_at.isoformat(timespec="seconds") if row.mirrored_at else "-",
            f"[{_FRESHNESS_STYLE[row.freshness]}]{row.freshness}[/]",
        )
    return table


def render_summaries(summaries: list[TableSummary]) -> Table:
    table = Table(title="Mirror run")
    for header in ("table", "action", "Delta version", "rows", "changed", "seconds", "why"):
        table.add_column(header)
    for s in summaries:
        style = "red" if s.action == "failed" else "green" if s.action != "skipped" else "dim"
        table.add_row(
            f"{s.schema}.{s.table}",
            f"[{style}]{s.action}[/]",
            _text(s.delta_version),
            str(s.rows),
            str(s.changed_rows),
            f"{s.seconds:.2f}",
            s.reason,
        )
    return table


def _text(value: int | None) -> str:
    return "-" if value is None else str(value)
