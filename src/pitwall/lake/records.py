"""Writers of the shared bookkeeping tables: the ingestion log and the quarantine tables.

Both are written by every pipeline, possibly at the same time (Airflow runs DAGs in parallel).
The log is append-only (a batch's entry is its latest row); a batch's quarantine rows are
replaced, never added twice. Writes are retried on commit conflicts
(:mod:`pitwall.lake.conflicts`), so no entry is lost.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl
from deltalake import write_deltalake

from pitwall.lake.conflicts import retry_on_conflict
from pitwall.lake.delta import open_table, scan_table, sql_in, write_table
from pitwall.lake.ingest import (
    FINAL_STATUSES,
    INGESTION_LOG_TABLE,
    LOGGED_AT,
    QUARANTINE_SCHEMA,
    TIMESTAMP,
    BatchOutcome,
    empty_ingestion_log,
    ingestion_log_frame,
    latest_log_rows,
    utc_now,
)
from pitwall.lake.layout import Lake, get_lake


def write_ingestion_log(outcomes: Sequence[BatchOutcome], *, lake: Lake | None = None) -> None:
    """Append batch outcomes to ``raw.ingestion_log`` (a batch's entry is its latest row).

    Appends of concurrent writers never conflict in Delta, so no pipeline loses an entry to
    another; a conflict with a metadata change (the table's creation, maintenance) is retried.
    """
    if not outcomes:
        return
    lake = lake or get_lake()
    frame = (
        ingestion_log_frame(outcomes)
        .unique("batch_id", keep="last", maintain_order=True)
        .with_columns(pl.lit(utc_now(), TIMESTAMP).alias(LOGGED_AT))
    )
    for attempt in retry_on_conflict():
        with attempt:
            write_table(
                frame,
                lake.table_uri("raw", INGESTION_LOG_TABLE),
                storage_options=lake.storage_options,
            )


def read_ingestion_log(*, lake: Lake | None = None) -> pl.DataFrame:
    lake = lake or get_lake()
    uri = lake.table_uri("raw", INGESTION_LOG_TABLE)
    if open_table(uri, storage_options=lake.storage_options) is None:
        return empty_ingestion_log()
    return latest_log_rows(scan_table(uri, storage_options=lake.storage_options)).collect()


def read_finished_batches(batch_ids: Collection[str], *, lake: Lake | None = None) -> set[str]:
    """Those of ``batch_ids`` whose log row has a final status (inputs refused whole or empty
    land nothing in RAW: the log is where they are known)."""
    if not batch_ids:
        return set()
    done = read_ingestion_log(lake=lake).filter(
        pl.col("batch_id").is_in(sorted(batch_ids)) & pl.col("status").is_in(sorted(FINAL_STATUSES))
    )
    return set(done.get_column("batch_id").to_list())


def write_quarantine(
    rows: pl.DataFrame,
    table: str,
    *,
    batches: Collection[str] | None = None,
    append: bool = False,
    lake: Lake | None = None,
) -> None:
    """Store quarantine rows in ``quarantine.<table>``, replacing every earlier row of the same
    batches: writing a batch's quarantine again (a re-run after a crash) never doubles it.

    Args:
        rows: rows in :data:`~pitwall.lake.ingest.QUARANTINE_SCHEMA`.
        table: the quarantine table.
        batches: the batches whose rows ``rows`` replace (default: those in ``rows``); a batch
            listed here with no row in ``rows`` loses its earlier rows.
        append: add ``rows`` to the batches' rows instead (the later chunks of a batch whose
            first chunk replaced its rows).
        lake: the lake (default: the project's).
    """
    lake = lake or get_lake()
    if append:
        if not rows.is_empty():
            data = rows.select(list(QUARANTINE_SCHEMA)).cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
            uri = lake.table_uri("quarantine", table)
            for attempt in retry_on_conflict():
                with attempt:
                    write_table(data, uri, storage_options=lake.storage_options)
        return
    wanted = sorted(set(batches) if batches is not None else _batches_of(rows))
    if not wanted:
        return
    uri = lake.table_uri("quarantine", table)
    data = rows.select(list(QUARANTINE_SCHEMA)).cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
    for attempt in retry_on_conflict():
        with attempt:
            existing = open_table(uri, storage_options=lake.storage_options)
            if existing is None:
                if data.is_empty():
                    return
                write_table(data, uri, storage_options=lake.storage_options)
                return
            if data.is_empty() and not _holds_any(uri, wanted, lake=lake):
                return  # nothing to add, nothing to remove: no commit
            write_deltalake(
                existing,
                data.to_arrow(compat_level=pl.CompatLevel.oldest()),
                mode="overwrite",
                predicate=f"_batch_id IN ({sql_in(wanted)})",
                schema_mode="merge",
            )


def _batches_of(rows: pl.DataFrame) -> set[str]:
    if rows.is_empty():
        return set()
    return set(rows.get_column("_batch_id").drop_nulls().to_list())


def _holds_any(uri: str, batches: list[str], *, lake: Lake) -> bool:
    hits = scan_table(uri, storage_options=lake.storage_options).filter(
        pl.col("_batch_id").is_in(batches)
    )
    return bool(hits.select(pl.len()).collect().item())
