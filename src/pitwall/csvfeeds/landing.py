"""Landing CSV files: pending files, RAW landing with quarantine, CLEAN merge, the log.

Order of writes per file (each step idempotent, so a killed run is simply run again):
1. RAW: the parsed rows stream into one Delta commit that also carries the batch id as a
   marker ("already landed" is committed atomically with the data). A rejected file gets an
   empty commit with its marker.
2. quarantine: the parse rejects (replacing any earlier rows of this batch and stage).
3. ingestion log: the batch's row. A batch whose RAW marker exists but whose log row is missing
   was interrupted between 1 and 3; the next run re-derives its rejects and log row.
CLEAN keeps its own markers (the RAW batch ids it merged), so RAW batches not merged yet are
picked up by the next run.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.files import LandingFile, list_feed_files, local_copy
from pitwall.csvfeeds.parse import parse_csv
from pitwall.csvfeeds.sniff import check_file
from pitwall.csvfeeds.typing import TypedRows
from pitwall.lake.delta import MARKER_KEY, open_table, read_markers, scan_table, write_table
from pitwall.lake.files_append import (
    ParquetLayout,
    commit_files,
    write_files,
    write_files_append,
)
from pitwall.lake.ingest import BatchOutcome, make_batch_id, quarantine_rows, utc_now
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log, write_ingestion_log, write_quarantine

log = logging.getLogger(__name__)
PIPELINE = "ingest_csv"
_PROGRESS_EVERY = 1_000_000
RAW_ROW_GROUP_ROWS = 262_144
# RAW is all strings: dictionaries and min/max of every data column cost ~25% of the landing
# and buy nothing. The metadata columns are constant per batch, so a dictionary encodes them
# to almost nothing; only the columns CLEAN filters on (batch, row range) keep statistics.
RAW_LAYOUT = ParquetLayout(
    row_group_rows=RAW_ROW_GROUP_ROWS,
    dictionary_columns=("_batch_id", "_ingested_at", "_source"),
    statistics_columns=("_batch_id", "_source_row"),
)


@dataclass(frozen=True)
class CsvBatchPlan:
    """One file to land as one batch. ``recover`` re-derives rejects and log of a landed batch."""

    feed: str
    file: LandingFile
    batch_id: str
    recover: bool = False


def batch_id_for(file: LandingFile) -> str:
    return make_batch_id(f"csv:{file.feed}", fingerprint=file.fingerprint)


def find_pending_files(feeds: dict[str, CsvFeed], *, lake: Lake) -> list[CsvBatchPlan]:
    """Files not landed yet, plus landed batches whose bookkeeping was interrupted."""
    logged = set(read_ingestion_log(lake=lake).get_column("batch_id").to_list())
    plans: list[CsvBatchPlan] = []
    for feed in feeds.values():
        landed = read_markers(raw_uri(feed, lake=lake), storage_options=lake.storage_options)
        for file in list_feed_files(feed):
            batch = batch_id_for(file)
            if batch not in landed:
                plans.append(CsvBatchPlan(feed.name, file, batch))
            elif batch not in logged:
                plans.append(CsvBatchPlan(feed.name, file, batch, recover=True))
    return plans


def raw_uri(feed: CsvFeed, *, lake: Lake) -> str:
    return lake.table_uri("raw", feed.raw_table)


def land_raw_file(plan: CsvBatchPlan, *, feed: CsvFeed, lake: Lake) -> BatchOutcome:
    """Land one file in RAW (steps 1-3 above) and return its ingestion-log row."""
    started = utc_now()
    outcome = BatchOutcome(plan.batch_id, plan.file.uri, PIPELINE, started, status="landed_raw")
    with local_copy(plan.file) as path:
        check = check_file(path, feed=feed)
        if check.error:
            log.warning("rejected %s: %s", plan.file.uri, check.error)
            if not plan.recover:
                _mark_rejected(plan, feed=feed, lake=lake)
            outcome.status, outcome.error = "rejected", check.error
        else:
            with parse_csv(
                path,
                feed=feed,
                columns=check.columns,
                batch_id=plan.batch_id,
                source=plan.file.uri,
                ingested_at=started,
            ) as parsed:
                if plan.recover:
                    outcome.rows_landed = _count(parsed.rows)
                else:
                    outcome.rows_landed = _stream_to_raw(parsed.rows, plan, feed=feed, lake=lake)
                rejects = parsed.rejects()
            write_quarantine(
                quarantine_rows(
                    rejects,
                    batch_id=plan.batch_id,
                    source=plan.file.uri,
                    ingested_at=started,
                    stage="parse",
                ),
                feed.quarantine_table,
                lake=lake,
            )
            outcome.rows_quarantined = len(rejects)
            outcome.rows_in = outcome.rows_landed + outcome.rows_quarantined
    outcome.finished_at = utc_now()
    write_ingestion_log([outcome], lake=lake)
    return outcome


def _count(rows: pa.RecordBatchReader) -> int:
    return sum(b.num_rows for b in rows)


def _stream_to_raw(
    rows: pa.RecordBatchReader, plan: CsvBatchPlan, *, feed: CsvFeed, lake: Lake
) -> int:
    started = time.perf_counter()

    def batches() -> Iterator[pa.RecordBatch]:
        read, next_report = 0, _PROGRESS_EVERY
        for batch in rows:
            read += batch.num_rows
            if read >= next_report:
                rate = read / max(time.perf_counter() - started, 1e-9)
                log.info("%s: %s rows read (%.0f rows/s)", feed.name, f"{read:,}", rate)
                next_report += _PROGRESS_EVERY
            yield batch

    return write_files_append(
        batches(),
        raw_uri(feed, lake=lake),
        schema=rows.schema,
        layout=RAW_LAYOUT,
        markers=[plan.batch_id],
        metadata={"pitwall.source": plan.file.uri},
        storage_options=lake.storage_options,
    )


def _mark_rejected(plan: CsvBatchPlan, *, feed: CsvFeed, lake: Lake) -> None:
    schema = {c: pl.String for c in feed.columns} | {
        "_batch_id": pl.String,
        "_ingested_at": pl.Datetime("us", "UTC"),
        "_source": pl.String,
        "_source_row": pl.Int64,
    }
    write_table(
        pl.DataFrame(schema=schema),
        raw_uri(feed, lake=lake),
        markers=[plan.batch_id],
        storage_options=lake.storage_options,
    )


@dataclass(frozen=True)
class UnmergedRaw:
    """RAW rows of a feed that CLEAN has not merged yet, and their batch ids."""

    rows: pl.LazyFrame
    batches: tuple[str, ...]


def scan_unmerged_raw(feed: CsvFeed, *, lake: Lake) -> UnmergedRaw | None:
    """RAW rows of the batches landed but not merged into CLEAN yet (None when there are none)."""
    uri = raw_uri(feed, lake=lake)
    landed = read_markers(uri, storage_options=lake.storage_options)
    merged = read_markers(clean_uri(feed, lake=lake), storage_options=lake.storage_options)
    pending = [b for b in _landing_order(uri, lake=lake) if b in landed - merged]
    if not pending:
        return None
    rows = scan_table(uri, storage_options=lake.storage_options)
    return UnmergedRaw(rows.filter(pl.col("_batch_id").is_in(pending)), tuple(pending))


def _landing_order(uri: str, *, lake: Lake) -> list[str]:
    """Batch ids in the order their RAW commits were made (oldest first)."""
    table = open_table(uri, storage_options=lake.storage_options)
    ordered: list[str] = []
    for commit in reversed(table.history() if table else []):
        for batch in json.loads(commit.get(MARKER_KEY) or "[]"):
            if batch not in ordered:
                ordered.append(batch)
    return ordered


def clean_uri(feed: CsvFeed, *, lake: Lake) -> str:
    return lake.table_uri("clean", feed.clean_table)


CLEAN_CHUNK_ROWS = RAW_ROW_GROUP_ROWS // 2  # half a RAW row group: bounded memory per chunk


def write_clean(
    typed: TypedRows, batch_id: str, *, feed: CsvFeed, lake: Lake
) -> list[BatchOutcome]:
    """Quarantine typing failures and superseded duplicates, then merge the typed rows into CLEAN
    with the batch marker, then complete the log so rows_in = rows_landed + rows_quarantined.

    The batch is read in chunks of ``_source_row`` (RAW keeps file order). A new CLEAN table
    is written in one streaming pass, so memory stays bounded by a few chunks plus the key
    index, whatever the file size. Merging into an existing table holds the batch's typed rows,
    and delta-rs' MERGE itself grows with the target table (a follow-up: a 5M-row target
    peaked at ~1.2 GB RSS here).
    """
    latest = typed.latest_rows()
    uri = clean_uri(feed, lake=lake)
    if open_table(uri, storage_options=lake.storage_options) is None:
        _create_clean(typed, latest, batch_id, uri=uri, feed=feed, lake=lake)
        return complete_log(feed, lake=lake)
    write_quarantine(_quarantined(typed, latest), feed.quarantine_table, lake=lake)
    clean = pl.concat([typed.clean(c, latest) for c in _chunks(typed)])
    write_table(
        clean,
        uri,
        mode="merge",
        keys=feed.key,
        markers=[batch_id],
        storage_options=lake.storage_options,
    )
    return complete_log(feed, lake=lake)


def _quarantined(typed: TypedRows, latest: pl.DataFrame) -> pl.DataFrame:
    rows = [typed.rejected(chunk) for chunk in _chunks(typed)]
    if not latest.is_empty():
        rows += [typed.superseded(chunk, latest) for chunk in _chunks(typed)]
    return pl.concat(rows)


def _create_clean(
    typed: TypedRows, latest: pl.DataFrame, batch_id: str, *, uri: str, feed: CsvFeed, lake: Lake
) -> None:
    """A new CLEAN table in one pass over the batch: the rows are typed once, the CLEAN files
    are written (not committed) while the quarantined rows are gathered, then quarantine is
    written, then the files are committed with the batch marker (the order of the steps
    above, so a killed run is simply run again)."""
    quarantine: list[pl.DataFrame] = []

    def frames() -> Iterator[pl.DataFrame]:
        for chunk in _chunks(typed):
            quarantine.append(typed.rejected(chunk))
            if not latest.is_empty():
                quarantine.append(typed.superseded(chunk, latest))
            yield typed.clean(chunk, latest)

    def batches(first: pa.Table, rest: Iterator[pl.DataFrame]) -> Iterator[pa.RecordBatch]:
        yield from first.to_batches()
        for frame in rest:
            yield from _to_arrow(frame).cast(first.schema).to_batches()

    chunks = frames()
    first = _to_arrow(next(chunks))
    staged = write_files(
        batches(first, chunks),
        uri,
        schema=first.schema,
        layout=_clean_layout(first.schema),
        storage_options=lake.storage_options,
    )
    write_quarantine(pl.concat(quarantine), feed.quarantine_table, lake=lake)
    commit_files(
        staged,
        uri,
        schema=first.schema,
        markers=[batch_id],
        storage_options=lake.storage_options,
    )


def _to_arrow(frame: pl.DataFrame) -> pa.Table:
    return frame.to_arrow(compat_level=pl.CompatLevel.oldest())


def _clean_layout(schema: pa.Schema) -> ParquetLayout:
    """CLEAN files: typed columns, dictionaries and statistics everywhere (users query them)."""
    return ParquetLayout(
        row_group_rows=CLEAN_CHUNK_ROWS,
        file_row_groups=2,
        dictionary_columns=tuple(schema.names),
        statistics_columns=tuple(schema.names),
    )


def _chunks(typed: TypedRows) -> Iterator[pl.DataFrame]:
    """The batch's staged rows, in ``_source_row`` ranges of CLEAN_CHUNK_ROWS."""
    top = typed.staged.select(pl.col("_source_row").max()).collect().item()
    if not top:
        yield typed.staged.limit(0).collect()
        return
    for low in range(0, int(top), CLEAN_CHUNK_ROWS):
        window = pl.col("_source_row").is_between(low + 1, low + CLEAN_CHUNK_ROWS)
        yield typed.staged.filter(window).collect()


def complete_log(feed: CsvFeed, *, lake: Lake) -> list[BatchOutcome]:
    """Finish the log rows of merged batches from the tables themselves (idempotent)."""
    merged = read_markers(clean_uri(feed, lake=lake), storage_options=lake.storage_options)
    open_rows = read_ingestion_log(lake=lake).filter(
        (pl.col("status") == "landed_raw") & pl.col("batch_id").is_in(sorted(merged))
    )
    if open_rows.is_empty():
        return []
    batches = open_rows.get_column("batch_id").to_list()
    raw = _counts_by_batch(
        scan_table(raw_uri(feed, lake=lake), storage_options=lake.storage_options), batches
    )
    q_uri = lake.table_uri("quarantine", feed.quarantine_table)
    quarantine = (
        scan_table(q_uri, storage_options=lake.storage_options)
        if open_table(q_uri, storage_options=lake.storage_options)
        else None
    )
    outcomes = []
    for row in open_rows.iter_rows(named=True):
        batch = row["batch_id"]
        parse_q = _count_stage(quarantine, batch, "parse")
        type_q = _count_stage(quarantine, batch, "type")
        raw_rows = raw.get(batch, 0)
        outcomes.append(
            BatchOutcome(
                batch_id=batch,
                source=row["source"],
                pipeline=row["pipeline"],
                started_at=row["started_at"],
                rows_in=raw_rows + parse_q,
                rows_landed=raw_rows - type_q,
                rows_quarantined=parse_q + type_q,
                status="ok" if parse_q + type_q == 0 else "partial",
            )
        )
    write_ingestion_log(outcomes, lake=lake)
    return outcomes


def _counts_by_batch(frame: pl.LazyFrame, batches: list[str]) -> dict[str, int]:
    counts = frame.filter(pl.col("_batch_id").is_in(batches)).group_by("_batch_id").len().collect()
    return {str(b): int(n) for b, n in counts.iter_rows()}


def _count_stage(quarantine: pl.LazyFrame | None, batch: str, stage: str) -> int:
    if quarantine is None:
        return 0
    hits = quarantine.filter((pl.col("_batch_id") == batch) & (pl.col("stage") == stage))
    return int(hits.select(pl.len()).collect().item())
