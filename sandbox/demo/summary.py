"""The demo's closing summary: lake tables, ingestion, mirror, and commands to try.

Everything fits 80 columns; a command to copy sits alone on its line and is never wrapped
by rich (a terminal narrower than the command wraps it softly: it still copies whole).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from rich.console import Console
from rich.table import Table

from pitwall.lake.layout import Lake
from pitwall.sql import connect
from pitwall.sql.quoting import quote_ident

TRY_QUERY = "SELECT name, length_m FROM clean.tracks ORDER BY 2 DESC"
_FRESHNESS_STYLE = {"up to date": "green", "behind": "yellow", "not mirrored": "red"}


@dataclass(frozen=True)
class Command:
    """A command for the user to copy, and what it does."""

    what: str
    line: str


def read_table_counts(lake: Lake) -> pl.DataFrame:
    """Rows per lake table (layer, table, rows)."""
    con = connect(lake)
    views = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2"
    ).fetchall()
    rows = [
        (layer, name, _count(con, f"{quote_ident(layer)}.{quote_ident(name)}"))
        for layer, name in views
    ]
    return pl.DataFrame(rows, schema=["layer", "table", "rows"], orient="row")


def _count(con: duckdb.DuckDBPyConnection, view: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0])  # nosec B608


def read_source_totals(lake: Lake) -> pl.DataFrame:
    """Per pipeline: batches, rows in/landed/quarantined, rejected files."""
    con = connect(lake)
    totals: pl.DataFrame = con.sql(
        """
        SELECT pipeline, count(*) AS batches, sum(rows_in) AS rows_in,
               sum(rows_landed) AS landed, sum(rows_quarantined) AS quarantined,
               count(*) FILTER (WHERE status IN ('rejected', 'failed')) AS rejected
        FROM raw.ingestion_log GROUP BY pipeline ORDER BY pipeline
        """
    ).pl()
    return totals


def render_summary(lake: Lake, *, console: Console) -> None:
    """The lake's tables with their rows, and the ingestion totals per pipeline."""
    counts = read_table_counts(lake)
    tables = Table(title="Lake tables", header_style="bold cyan")
    for col in ("layer", "table", "rows"):
        tables.add_column(col, justify="right" if col == "rows" else "left", no_wrap=True)
    for layer, name, rows in counts.iter_rows():
        style = "yellow" if layer == "quarantine" and rows else None
        tables.add_row(layer, name, f"{rows:,}", style=style)
    console.print(tables)

    totals = read_source_totals(lake)
    log = Table(
        title="Ingestion: rows in = landed (reached CLEAN) + quarantined",
        header_style="bold cyan",
    )
    for col in totals.columns:
        log.add_column(col, justify="left" if col == "pipeline" else "right", no_wrap=True)
    for row in totals.iter_rows():
        log.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
    console.print(log)


def render_mirror(lake: Lake) -> Table:
    """The PostgreSQL mirror per table, narrow enough for 80 columns (full detail:
    ``pitwall mirror status``)."""
    from pitwall.postgres.options import read_mirror_options
    from pitwall.postgres.status import read_status

    table = Table(title="PostgreSQL mirror", header_style="bold cyan")
    table.add_column("table", no_wrap=True)
    table.add_column("Delta v.", justify="right", no_wrap=True)
    table.add_column("mirrored v.", justify="right", no_wrap=True)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("state", no_wrap=True)
    for row in read_status(lake, options=read_mirror_options()):
        style = _FRESHNESS_STYLE.get(row.freshness, "dim")
        table.add_row(
            f"{row.schema}.{row.table}",
            _text(row.delta_version),
            _text(row.mirrored_version),
            f"{row.rows:,}" if row.rows is not None else "-",
            f"[{style}]{row.freshness}[/]",
        )
    return table


def _text(value: int | None) -> str:
    return "-" if value is None else str(value)


def uv_command() -> str:
    """How to call uv so that the printed command works: ``uv`` when it is on PATH, else the
    uv that runs this demo (``UV``, set by ``uv run``) by its full path."""
    on_path = shutil.which("uv")
    if on_path:
        return "uv"
    return shlex.quote(os.environ.get("UV", "")) if os.environ.get("UV") else ""


def pitwall_command() -> str:
    """``uv run pitwall`` as it works here, else the environment's own ``pitwall``."""
    uv = uv_command()
    if uv:
        return f"{uv} run pitwall"
    return shlex.quote(str(Path(sys.executable).with_name("pitwall")))


def try_commands(query: str = TRY_QUERY) -> list[Command]:
    """What to try once the lake is built."""
    return [
        Command("query the lake with SQL", f"{pitwall_command()} sql {shlex.quote(query)}"),
        Command("or through make", f"make sql Q={shlex.quote(query)}"),
        Command("the mirror, table by table", f"{pitwall_command()} mirror status"),
    ]


def render_commands(commands: list[Command], *, console: Console) -> None:
    """Each command on its own line, never wrapped by rich."""
    console.print("[bold]Try[/bold] (from the project folder):")
    for command in commands:
        console.print(f"  [dim]# {command.what}[/dim]")
        console.print(f"  {command.line}", soft_wrap=True, markup=False, highlight=False)
