"""``pitwall sql``: run a query over the lake, or an interactive shell."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Annotated, Literal

import duckdb
import polars as pl
import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from pitwall.lake.layout import Lake

OutputFormat = Literal["table", "csv", "json"]
MAX_TABLE_ROWS = 200


def render(frame: pl.DataFrame, *, fmt: OutputFormat, console: Console) -> None:
    """Print a result as a rich table, CSV or JSON (one array of objects)."""
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
        return
    if fmt == "json":
        sys.stdout.write(frame.write_json() + "\n")
        return
    table = Table(show_lines=False, header_style="bold cyan")
    for name, dtype in frame.schema.items():
        table.add_column(f"{name}\n[dim]{dtype}[/dim]", overflow="fold")
    for row in frame.head(MAX_TABLE_ROWS).iter_rows():
        table.add_row(*["[dim]null[/dim]" if v is None else str(v) for v in row])
    console.print(table)
    more = f" (first {MAX_TABLE_ROWS} shown)" if frame.height > MAX_TABLE_ROWS else ""
    console.print(f"[dim]{frame.height:,} row(s){more}[/dim]")


def run_query(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    """Rows of a read query on a sandboxed connection (anything else is refused)."""
    from pitwall.sql import require_read_only

    relation = con.sql(require_read_only(query, con=con))
    if relation is None:
        return pl.DataFrame()
    frame: pl.DataFrame = relation.pl()
    return frame


def shell(con: duckdb.DuckDBPyConnection, *, fmt: OutputFormat, console: Console) -> None:
    """A small REPL: statements end with ';', ``.tables`` lists views, ``.quit`` exits."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (history and line editing when available)
    console.print(
        "[bold]pitwall sql[/bold]: DuckDB over the lake. End statements with ';'. "
        "[dim].tables  .quit[/dim]"
    )
    buffer: list[str] = []
    while True:
        try:
            line = input("pitwall> " if not buffer else "     ...> ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        stripped = line.strip()
        if not buffer and stripped in {".quit", ".exit", "\\q"}:
            return
        if not buffer and stripped == ".tables":
            stripped = (
                "SELECT table_schema AS layer, table_name AS table FROM information_schema.tables "
                "ORDER BY 1, 2;"
            )
        buffer.append(stripped)
        if not stripped.endswith(";"):
            continue
        query = "\n".join(buffer)
        buffer.clear()
        try:
            render(run_query(con, query), fmt=fmt, console=console)
        except duckdb.Error as exc:
            console.print(f"[red]error:[/red] {exc}")


def referenced_tables(query: str) -> set[str] | None:
    """The table names a query reads (None when it does not parse: DuckDB will say why)."""
    try:
        with duckdb.connect() as parser:
            return set(parser.get_table_names(query))
    except duckdb.Error:
        return None


def lake_table_names(lake: Lake) -> set[str]:
    from pitwall.lake.layout import LAYERS

    return {name for layer in LAYERS for name in lake.list_tables(layer)}


def sql_command(
    query: Annotated[str | None, typer.Argument(help="SQL to run; omit for a shell")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, csv or json")
    ] = "table",
    lake: Annotated[
        str | None, typer.Option(help="lake root (default: PITWALL_LAKE_URI or data/lake)")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="time travel: a version number (of every table read) or an ISO timestamp",
        ),
    ] = None,
) -> None:
    """Query the lake with DuckDB: every table is a view raw.<t>, clean.<t>, quarantine.<t>.

    Read queries only, in a sandbox: no file but the lake's, no extension, limited resources.
    A version that is not there (any more) exits with status 2 and one line saying why.
    """
    from pitwall.lake.layout import get_lake
    from pitwall.lake.timetravel import VersionUnavailableError, parse_as_of
    from pitwall.sql import connect

    console = Console(stderr=fmt != "table")
    lake_root = get_lake(lake)
    names = None if query is None else referenced_tables(query)
    if names is not None and not names & lake_table_names(lake_root):
        names = None  # e.g. information_schema: every view
    try:
        moment = None if as_of is None else parse_as_of(as_of)
        con = connect(lake_root, names=names, as_of=moment)  # sandboxed: the named tables' files
    except (ValueError, VersionUnavailableError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if query is None:
        shell(con, fmt=fmt, console=console)
        return
    try:
        render(run_query(con, query), fmt=fmt, console=Console())
    except duckdb.Error as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
