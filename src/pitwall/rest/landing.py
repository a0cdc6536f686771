"""ingest_api's transformations: fetched pages -> RAW batches; RAW rows -> quarantine + CLEAN."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import polars as pl

from pitwall.lake.commit import CleanChunk, LandedBatch, QuarantineRows
from pitwall.lake.ingest import QUARANTINE_SCHEMA, utc_now
from pitwall.lake.txn import BATCH_SEQ, Unmerged
from pitwall.rest.columns import clean_schema, type_records
from pitwall.rest.records import RawPage, raw_rows
from pitwall.rest.spec import EndpointSpec

PIPELINE = "ingest_api"

T = TypeVar("T")


def raw_table_name(source: str, endpoint: str) -> str:
    return f"api_{source}_{endpoint}"


def chunk_pages(
    pages: Iterable[RawPage], *, max_records: int, raw_table: str
) -> Iterator[LandedBatch]:
    """Group consecutive pages of one endpoint into RAW batches of about ``max_records``.

    The batch that ends the stream is marked ``last``; it also ends a stream whose fetching
    failed (the complete pages before the error are committed, then the error propagates).
    Each batch names the RAW seq its fetch started from: records a concurrent run landed
    meanwhile are dropped at commit (``LandedBatch.since_seq``). A batch's ``started_at`` is
    when its first page was requested, so the ingestion log spans the fetch, not just the write.
    """
    group: list[RawPage] = []
    size = 0

    def flush(*, last: bool) -> LandedBatch:
        first = group[0]
        chunk = raw_rows(group, source_url=first.endpoint_url, ingested_at=utc_now())
        return LandedBatch(
            raw_table,
            chunk.batch_id,
            f"{first.source}.{first.endpoint}",
            PIPELINE,
            first.requested_at,  # the batch's landing started with its first page's request
            rows=chunk.rows,
            since_seq=first.stream_seq,
            dedupe_on="record_hash",
            last=last,
        )

    for page, end in _with_end(p for p in pages if p.size):
        group.append(page)
        size += page.size
        if size >= max_records or end:
            yield flush(last=end)
            group, size = [], 0


def _with_end(items: Iterable[T]) -> Iterator[tuple[T, bool]]:
    """Each item with whether the stream ends after it (one item of lookahead); when getting
    the next item fails, the held item comes out marked as the end before the error."""
    stream = iter(items)
    try:
        held = next(stream)
    except StopIteration:
        return
    while True:
        try:
            item = next(stream)
        except StopIteration:
            yield held, True
            return
        except Exception:
            yield held, True
            raise
        yield held, False
        held = item


def split_endpoint_rows(
    pending: Unmerged, *, endpoint: EndpointSpec, quarantine_table: str
) -> tuple[QuarantineRows, CleanChunk]:
    """An endpoint's RAW rows not merged yet -> rejected rows (quarantine, stage ``type``) and
    typed rows, merged in one go (the latest version of a key wins)."""
    rows = pending.rows.sort(BATCH_SEQ, "_source_row").collect()
    typed = type_records(rows, endpoint=endpoint)
    batches = tuple(rows.get_column("_batch_id").cast(pl.String).unique().sort().to_list())
    quarantine = typed.rejected.with_columns(stage=pl.lit("type")).select(list(QUARANTINE_SCHEMA))
    clean = CleanChunk(
        endpoint.clean_table,
        typed.clean.cast(clean_schema(endpoint)),  # type: ignore[arg-type]
        tuple(endpoint.key),
        quarantine_table=quarantine_table,
        pipeline=PIPELINE,
        merged={pending.table: pending.top},
        after={pending.table: pending.after},
    )
    return QuarantineRows(quarantine, batches), clean
