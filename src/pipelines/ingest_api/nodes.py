"""Nodes of ingest_api: pure functions of fetched pages and polars frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pitwall.lake.commit import CleanChunk, LandedBatch, QuarantineRows
from pitwall.lake.txn import Unmerged
from pitwall.rest.landing import chunk_pages, split_endpoint_rows
from pitwall.rest.records import RawPage
from pitwall.rest.spec import parse_sources


def land_api_pages(
    pages: Iterable[RawPage], commit_every_records: int, *, raw_table: str
) -> Iterator[LandedBatch]:
    """RAW batches of about ``commit_every_records`` records; each is committed as soon as it
    is yielded, so a killed run resumes after its last batch."""
    yield from chunk_pages(pages, max_records=commit_every_records, raw_table=raw_table)


def split_api_rows(
    pending: Unmerged | None, spec: dict[str, Any], *, source: str, endpoint: str
) -> Iterator[tuple[QuarantineRows, CleanChunk]]:
    """An endpoint's RAW rows not merged yet -> rejected rows and typed CLEAN rows."""
    declared = parse_sources({source: spec})[source].endpoints[endpoint]
    if pending is None or pending.is_empty:
        yield QuarantineRows.nothing(), CleanChunk.nothing(declared.clean_table)
        return
    yield split_endpoint_rows(pending, endpoint=declared, quarantine_table=pending.table)
