"""RAW rows of a CSV feed -> quarantine rows and CLEAN chunks (what the ingest_csv CLEAN node
yields). Pure polars.

Each RAW batch (file) is one merge, in landing order, so a later file updates an earlier one.
A batch is read in chunks of ``_source_row`` (RAW keeps file order), so memory stays bounded
whatever the file size; the last chunk of a batch closes its merge.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.raw_rows import ERROR, ORIGINAL
from pitwall.csvfeeds.typing import TypedRows, type_feed_rows
from pitwall.lake.commit import CLEAN_ROW_GROUP_ROWS, CleanChunk, QuarantineRows
from pitwall.lake.ingest import QUARANTINE_SCHEMA
from pitwall.lake.txn import BATCH_SEQ, Unmerged

PIPELINE = "ingest_csv"
CLEAN_CHUNK_ROWS = CLEAN_ROW_GROUP_ROWS


def split_feed_rows(
    pending: Unmerged, *, feed: CsvFeed
) -> Iterator[tuple[QuarantineRows, CleanChunk]]:
    """Per RAW batch, in landing order: its chunks of quarantine rows and CLEAN rows."""
    batches = (
        pending.rows.select(BATCH_SEQ, pl.col("_batch_id").cast(pl.String))
        .unique()
        .sort(BATCH_SEQ)
        .collect()
    )
    after = pending.after
    for seq, batch_id in batches.rows():
        rows = pending.rows.filter(pl.col(BATCH_SEQ) == seq)
        yield from _split_batch(rows, batch_id, feed=feed, merged=seq, after=after)
        after = seq


def _split_batch(
    rows: pl.LazyFrame, batch_id: str, *, feed: CsvFeed, merged: int, after: int
) -> Iterator[tuple[QuarantineRows, CleanChunk]]:
    columns = rows.collect_schema().names()
    has_errors = ERROR in columns
    unparsed = _unparsed(rows.filter(pl.col(ERROR).is_not_null())) if has_errors else None
    parsed = rows.filter(pl.col(ERROR).is_null()) if has_errors else rows
    typed = type_feed_rows(parsed, feed=feed)
    latest = typed.latest_rows()
    chunks = _chunks(typed)
    chunk: pl.DataFrame | None = next(chunks)
    index = 0
    while chunk is not None:
        following = next(chunks, None)
        quarantine = [typed.rejected(chunk)]
        if not latest.is_empty():
            quarantine.append(typed.superseded(chunk, latest))
        if index == 0 and unparsed is not None:
            quarantine.insert(0, unparsed)
        clean = CleanChunk(
            feed.clean_table,
            typed.clean(chunk, latest),
            tuple(feed.key),
            quarantine_table=feed.quarantine_table,
            pipeline=PIPELINE,
        )
        if following is None:
            clean = clean.closing(merged={feed.raw_table: merged}, after={feed.raw_table: after})
        yield QuarantineRows(pl.concat(quarantine), (batch_id,), replace=index == 0), clean
        chunk, index = following, index + 1


def _unparsed(rows: pl.LazyFrame) -> pl.DataFrame:
    """Records the parser rejected, as quarantine rows (stage ``parse``)."""
    return rows.select(
        pl.col("_batch_id").cast(pl.String),
        pl.col("_ingested_at").cast(QUARANTINE_SCHEMA["_ingested_at"]),
        pl.col("_source").cast(pl.String),
        pl.col("_source_row").cast(pl.Int64),
        pl.lit("parse").alias("stage"),
        pl.col(ERROR).alias("reason"),
        pl.col(ORIGINAL).alias("record"),
    ).collect()


def _chunks(typed: TypedRows) -> Iterator[pl.DataFrame]:
    """The batch's staged rows, in ``_source_row`` ranges of CLEAN_CHUNK_ROWS (at least one)."""
    top = typed.staged.select(pl.col("_source_row").max()).collect().item()
    if not top:
        yield typed.staged.limit(0).collect()
        return
    for low in range(0, int(top), CLEAN_CHUNK_ROWS):
        window = pl.col("_source_row").is_between(low + 1, low + CLEAN_CHUNK_ROWS)
        yield typed.staged.filter(window).collect()
