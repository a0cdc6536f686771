"""What moves between the ingest_api nodes and datasets: RAW chunks and typed outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar

import polars as pl

from pitwall.lake.ingest import utc_now
from pitwall.rest.columns import type_records
from pitwall.rest.records import RawChunk, RawPage, raw_rows
from pitwall.rest.spec import EndpointSpec

T = TypeVar("T")


def raw_table_name(source: str, endpoint: str) -> str:
    return f"api_{source}_{endpoint}"


@dataclass(frozen=True)
class PendingRecords:
    """RAW rows of one endpoint that CLEAN has not absorbed yet."""

    source: str
    endpoint: str
    spec: EndpointSpec
    rows: pl.DataFrame
    batches: tuple[str, ...]


@dataclass(frozen=True)
class CleanOutcome:
    """Typed rows, rejected rows, and the RAW batches they account for."""

    source: str
    endpoint: str
    spec: EndpointSpec
    clean: pl.DataFrame
    rejected: pl.DataFrame
    rows_in: dict[str, int]  # per batch


def chunk_pages(pages: Iterable[RawPage], *, max_records: int) -> Iterator[RawChunk]:
    """Group consecutive pages of one endpoint into RAW chunks of about ``max_records``.

    The chunk that ends the stream is marked ``last``; it also ends a stream whose fetching
    failed (the complete pages before the error are committed, then the error propagates).
    """
    group: list[RawPage] = []
    size = 0

    def flush(*, last: bool) -> RawChunk:
        first = group[0]
        chunk = raw_rows(group, source_url=first.endpoint_url, ingested_at=utc_now())
        return replace(chunk, last=last)

    for page, end in _with_end(p for p in pages if p.size):
        if group and (page.source, page.endpoint) != (group[0].source, group[0].endpoint):
            yield flush(last=False)
            group, size = [], 0
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


def type_pending(pending: PendingRecords) -> CleanOutcome:
    """Type one endpoint's pending RAW rows (latest version of a key wins at merge)."""
    typed = type_records(pending.rows, endpoint=pending.spec)
    counts = pending.rows.group_by("_batch_id").len()
    rows_in = dict(zip(counts["_batch_id"].to_list(), counts["len"].to_list(), strict=True))
    for batch in pending.batches:
        rows_in.setdefault(batch, 0)
    return CleanOutcome(
        pending.source, pending.endpoint, pending.spec, typed.clean, typed.rejected, rows_in
    )
