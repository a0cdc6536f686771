"""Nodes of ingest_api: pure functions of pages, RAW chunks and polars frames."""

from __future__ import annotations

from collections.abc import Iterator

from pitwall.rest.landing import CleanOutcome, PendingRecords, chunk_pages, type_pending
from pitwall.rest.records import RawChunk, RawPage


def land_api_pages(pages: Iterator[RawPage], commit_every_records: int) -> Iterator[RawChunk]:
    """RAW chunks of about ``commit_every_records`` records; each is saved (and its cursor
    committed) as soon as it is yielded, so a killed run resumes after its last chunk."""
    yield from chunk_pages(pages, max_records=commit_every_records)


def type_api_records(pending: dict[str, PendingRecords]) -> dict[str, CleanOutcome]:
    """Type each endpoint's pending RAW rows into CLEAN columns and rejected rows."""
    return {name: type_pending(records) for name, records in pending.items()}
