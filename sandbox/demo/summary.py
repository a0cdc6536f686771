"""The demo's closing summary: lake tables, quarantine, ingestion log, mirror."""

from __future__ import annotations

import duckdb
import polars as pl
from rich.console import Console
from rich.table import Table

from pitwall.lake.layout import Lake
from pitwall.sql import connect
from pitwall.sql.quoting import quote_ident


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
    return con.sql(
        """
        SELECT pipeline, count(*) AS batches, sum(rows_in) AS rows_in,
               sum(rows_landed) AS landed, sum(rows_quarantined) AS quarantined,
               count(*) FILTER (WHERE status IN ('rejected', 'failed')) AS rejected
        FROM raw.ingestion_log GROUP BY pipeline ORDER BY pipeline
        """
    ).pl()


def render_summary(lake: Lake, *, console: Console) -> None:
    counts = read_table_counts(lake)
    tables = Table(title="Lake tables", header_style="bold cyan")
    for col in ("layer", "table", "rows"):
        tables.add_column(col, justify="right" if col == "rows" else "left")
    for layer, name, rows in counts.iter_rows():
        style = "yellow" if layer == "quarantine" and rows else None
        tables.add_row(layer, name, f"{rows:,}", style=style)
    console.print(tables)

    totals = read_source_totals(lake)
    log = Table(title="Ingestion (rows in = landed + quarantined)", header_style="bold cyan")
    for col in totals.columns:
        log.add_column(col, justify="left" if col == "pipeline" else "right")
    for row in totals.iter_rows():
        log.add_row(*[str(v) for v in row])
    console.print(log)


def render_mirror(lake: Lake, *, console: Console) -> None:
    """The PostgreSQL mirror's status table (same as ``pitwall mirror status``)."""
    from pitwall.postgres.cli import render_status
    from pitwall.postgres.options import read_mirror_options
    from pitwall.postgres.status import read_status

    console.print(render_status(read_status(lake, options=read_mirror_options())))
