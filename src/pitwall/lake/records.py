"""Writers for the shared bookkeeping tables: the ingestion log and quarantine tables."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pitwall.lake.delta import open_table, scan_table, write_table
from pitwall.lake.ingest import (
    INGESTION_LOG_TABLE,
    BatchOutcome,
    empty_ingestion_log,
    ingestion_log_frame,
)
from pitwall.lake.layout import Lake, get_lake


def write_ingestion_log(outcomes: Sequence[BatchOutcome], *, lake: Lake | None = None) -> None:
    """Upsert batch outcomes into ``raw.ingestion_log`` (one row per batch id)."""
    if not outcomes:
        return
    lake = lake or get_lake()
    write_table(
        ingestion_log_frame(outcomes),
        lake.table_uri("raw", INGESTION_LOG_TABLE),
        mode="merge",
        keys=["batch_id"],
        storage_options=lake.storage_options,
    )


def read_ingestion_log(*, lake: Lake | None = None) -> pl.DataFrame:
    lake = lake or get_lake()
    uri = lake.table_uri("raw", INGESTION_LOG_TABLE)
    if open_table(uri, storage_options=lake.storage_options) is None:
        return empty_ingestion_log()
    return scan_table(uri, storage_options=lake.storage_options).collect()


def write_quarantine(rows: pl.DataFrame, table: str, *, lake: Lake | None = None) -> None:
    """Store quarantine rows in ``quarantine.<table>``, replacing earlier rows of the same
    batches and stage so that re-processing a batch after a crash never doubles them."""
    if rows.is_empty():
        return
    lake = lake or get_lake()
    uri = lake.table_uri("quarantine", table)
    for stage, part in rows.partition_by("stage", as_dict=True).items():
        existing = open_table(uri, storage_options=lake.storage_options)
        if existing is None:
            write_table(part, uri, storage_options=lake.storage_options)
            continue
        batches = part.get_column("_batch_id").unique().to_list()
        _replace_stage(part, uri, batches=batches, stage=str(stage[0]), lake=lake)


def _replace_stage(
    part: pl.DataFrame, uri: str, *, batches: list[str], stage: str, lake: Lake
) -> None:
    from deltalake import write_deltalake

    quoted = ", ".join("'" + b.replace("'", "''") + "'" for b in batches)
    safe_stage = stage.replace("'", "''")
    write_deltalake(
        uri,
        part.to_arrow(compat_level=pl.CompatLevel.oldest()),
        mode="overwrite",
        predicate=f"_batch_id IN ({quoted}) AND stage = '{safe_stage}'",
        schema_mode="merge",
        storage_options=lake.storage_options,
    )
