"""Ingestion bookkeeping: the ingestion log and a summary of quarantined rows."""

from __future__ import annotations

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame, quote_ident
from pitwall.queries.schema import list_catalog_tables, read_columns

QUARANTINE_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "stage": pl.String(),
    "reason": pl.String(),
    "rows": pl.Int64(),
    "batches": pl.Int64(),
    "first_at": pl.Datetime("us", "UTC"),
    "last_at": pl.Datetime("us", "UTC"),
}


def read_ingestion_log(
    con: Connection,
    *,
    source: str | None = None,
    pipeline: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> pl.DataFrame:
    """Batches of ``raw.ingestion_log``, most recent first."""
    conditions, params = ["1 = 1"], {"limit": limit}
    for column, value in (("source", source), ("pipeline", pipeline), ("status", status)):
        if value is not None:
            conditions.append(f"{column} = ${column}")
            params[column] = value
    sql = f"""
        SELECT batch_id, source, pipeline, started_at, finished_at, rows_in, rows_landed,
               rows_quarantined, status, error
        FROM raw.ingestion_log
        WHERE {" AND ".join(conditions)}
        ORDER BY started_at DESC NULLS LAST, batch_id
        LIMIT $limit
    """  # nosec B608
    return fetch_frame(con, sql, params)


def read_quarantine_summary(con: Connection) -> pl.DataFrame:
    """Quarantined rows per table, stage and reason, with their batches and time span."""
    tables = [name for layer, name in list_catalog_tables(con) if layer == "quarantine"]
    if not tables:
        return pl.DataFrame(schema=QUARANTINE_SUMMARY_SCHEMA)
    parts = [
        f"""
        SELECT $t{i} AS table_name, {_stage(con, name)} AS stage, reason,
               count(*) AS row_count, count(DISTINCT _batch_id) AS batch_count,
               min(_ingested_at) AS first_at, max(_ingested_at) AS last_at
        FROM quarantine.{quote_ident(name)} GROUP BY stage, reason
        """  # nosec B608
        for i, name in enumerate(tables)
    ]
    frame = fetch_frame(
        con,
        " UNION ALL ".join(parts) + " ORDER BY 1, 4 DESC, 3",
        {f"t{i}": name for i, name in enumerate(tables)},
    )
    return frame.rename(
        {"table_name": "table", "row_count": "rows", "batch_count": "batches"}
    ).cast(QUARANTINE_SUMMARY_SCHEMA)  # type: ignore[arg-type]


def _stage(con: Connection, table: str) -> str:
    names = {c.name for c in read_columns(con, layer="quarantine", table=table)}
    return "CAST(stage AS VARCHAR)" if "stage" in names else "CAST(NULL AS VARCHAR)"
