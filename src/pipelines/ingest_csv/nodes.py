"""Nodes of ingest_csv: pure functions of parsed files, Arrow streams and polars frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pitwall.csvfeeds.clean_rows import PIPELINE, split_feed_rows
from pitwall.csvfeeds.feeds import parse_feeds
from pitwall.csvfeeds.landing import CsvInput
from pitwall.csvfeeds.raw_rows import csv_raw_rows
from pitwall.lake.commit import CleanChunk, LandedBatch, QuarantineRows
from pitwall.lake.txn import Unmerged


def land_csv_files(files: Iterable[CsvInput], *, raw_table: str) -> Iterator[LandedBatch]:
    """Each pending file as one RAW batch: its records as read, with the ingestion metadata,
    the records the parser rejected included (with their error and original text); a file
    refused whole carries only its reason."""
    for file in files:
        rows = (
            csv_raw_rows(
                file.rows,
                file.rejects,
                batch_id=file.batch_id,
                source=file.source,
                ingested_at=file.started_at,
            )
            if file.rows is not None
            else None
        )
        yield LandedBatch(
            raw_table,
            file.batch_id,
            file.source,
            PIPELINE,
            file.started_at,
            rows=rows,
            error=file.error,
        )


def split_csv_rows(
    pending: Unmerged | None, spec: dict[str, Any], *, feed: str
) -> Iterator[tuple[QuarantineRows, CleanChunk]]:
    """RAW rows not merged yet -> per file, chunks of quarantine rows (unparsed records, bad
    values, missing keys, superseded duplicates) and typed CLEAN rows."""
    declared = parse_feeds({feed: spec})[feed]
    if pending is None or pending.is_empty:
        yield QuarantineRows.nothing(), CleanChunk.nothing(declared.clean_table)
        return
    yield from split_feed_rows(pending, feed=declared)
