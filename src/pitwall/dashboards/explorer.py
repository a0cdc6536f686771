"""The SQL explorer's starting points: example queries over the tables that exist."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from pitwall.lake.layout import Lake
from pitwall.lake.timetravel import VersionUnavailableError, describe_as_of, parse_as_of
from pitwall.queries.frames import Connection, quote_ident
from pitwall.queries.schema import list_catalog_tables
from pitwall.sql import connect, is_sandboxed, require_read_only

# Shown when their tables exist; every other table gets a plain preview query. Computed
# floats are rounded (seconds to the millisecond): a view shows no raw float.
_EXAMPLES: dict[str, str] = {
    "clean.ac_laps": (
        "SELECT driver_name, count(*) AS laps, min(lap_time_ms) / 1000.0 AS best_s,\n"
        "       round(avg(lap_time_ms) / 1000.0, 3) AS mean_s\n"
        "FROM clean.ac_laps WHERE valid GROUP BY driver_name ORDER BY best_s"
    ),
    "raw.ingestion_log": (
        "SELECT pipeline, sum(rows_in) AS rows_in, sum(rows_landed) AS landed,\n"
        "       sum(rows_quarantined) AS quarantined\n"
        "FROM raw.ingestion_log GROUP BY pipeline ORDER BY pipeline"
    ),
    "clean.ac_telemetry": (
        "SELECT lap_number, round(max(speed_kmh), 1) AS top_speed_kmh,\n"
        "       round(avg(throttle), 3) AS mean_throttle\n"
        "FROM clean.ac_telemetry GROUP BY lap_number ORDER BY lap_number"
    ),
}


def example_queries(con: Connection) -> dict[str, str]:
    """Named SQL examples for the lake as it is: the curated ones whose table exists, then a
    preview of every table (``label -> sql``)."""
    tables = [f"{layer}.{name}" for layer, name in list_catalog_tables(con)]
    examples = {f"summary of {t}": sql for t, sql in _EXAMPLES.items() if t in tables}
    for table in tables:
        layer, name = table.split(".", 1)
        ref = f"{layer}.{quote_ident(name)}"
        examples[f"preview {table}"] = f"SELECT * FROM {ref} LIMIT 100"  # nosec B608
    return examples


def default_query(con: Connection) -> str:
    """The first example, or a query that lists the catalog when the lake is empty."""
    examples = example_queries(con)
    if examples:
        return next(iter(examples.values()))
    return (
        "SELECT table_schema AS layer, table_name AS name FROM information_schema.tables\n"
        "WHERE table_schema IN ('raw', 'clean', 'quarantine') ORDER BY 1, 2"
    )


@dataclass(frozen=True)
class QueryResult:
    """A query's rows, or the error that stopped it."""

    frame: pl.DataFrame | None
    error: str | None


def run_query(sql: str, *, engine: duckdb.DuckDBPyConnection) -> QueryResult:
    """Run the read query ``sql`` with ``mo.sql`` on ``engine`` (a sandboxed connection,
    :func:`pitwall.sql.connect`) without raising: a bad or non-read query gives its error."""
    import marimo as mo

    if not is_sandboxed(engine):
        raise ValueError("the explorer runs user SQL on sandboxed connections only")
    if not sql.strip():
        return QueryResult(None, "Type a query.")
    try:
        result = mo.sql(require_read_only(sql, con=engine), engine=engine, output=False)
    except Exception as exc:  # any engine error is shown to the analyst, not raised
        return QueryResult(None, str(exc).strip() or type(exc).__name__)
    if result is None:
        return QueryResult(pl.DataFrame(), None)
    frame = result if isinstance(result, pl.DataFrame) else pl.DataFrame(result)
    return QueryResult(frame, None)


@dataclass(frozen=True)
class LakeView:
    """The lake as the explorer reads it: a sandboxed connection, or why there is none."""

    con: duckdb.DuckDBPyConnection | None
    error: str | None
    label: str


def open_lake_view(as_of: str | None = None, *, lake: Lake | None = None) -> LakeView:
    """The lake now (``as_of`` empty) or as of a version number or an ISO timestamp; a bad
    or vacuumed-away ``as_of`` gives its error instead of raising."""
    text = (as_of or "").strip()
    if not text:
        return LakeView(connect(lake), None, "the lake now")
    try:
        moment = parse_as_of(text)
        con = connect(lake, as_of=moment)
    except (ValueError, VersionUnavailableError) as exc:
        return LakeView(None, str(exc), text)
    return LakeView(con, None, f"the lake as of {describe_as_of(moment)}")
