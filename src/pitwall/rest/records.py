"""Pages -> RAW rows: each record's JSON, its hash, its cursor value and the page's metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import polars as pl

from pitwall.lake.ingest import TIMESTAMP, make_batch_id, with_ingestion_metadata
from pitwall.rest.client import FetchedPage
from pitwall.rest.selector import MISSING, select

RAW_SCHEMA: dict[str, pl.DataType] = {
    "endpoint": pl.String(),
    "page": pl.Int64(),
    "page_url": pl.String(),
    "requested_at": TIMESTAMP,
    "record": pl.String(),
    "record_hash": pl.String(),
    "cursor_value": pl.String(),
}


def record_json(record: dict[str, Any]) -> bytes:
    """Canonical JSON of a record (sorted keys): equal records give equal text and hash."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def record_hash(text: bytes) -> str:
    return hashlib.blake2b(text, digest_size=12).hexdigest()


def cursor_value(record: dict[str, Any], field: str | None) -> str | None:
    if field is None:
        return None
    value = select(record, field)
    return None if value is MISSING or value is None else str(value)


@dataclass(frozen=True)
class RawChunk:
    """RAW rows of one endpoint committed together with the cursor they reach."""

    source: str
    endpoint: str
    batch_id: str
    rows: pl.DataFrame
    cursor: str | None

    @property
    def table_key(self) -> str:
        return f"{self.source}.{self.endpoint}"


def raw_rows(
    pages: Sequence[FetchedPage],
    *,
    cursor_field: str | None,
    source_url: str,
    ingested_at: datetime,
) -> RawChunk:
    """RAW rows for consecutive pages of one endpoint (one batch)."""
    first = pages[0]
    texts: list[str] = []
    hashes: list[str] = []
    cursors: list[str | None] = []
    page_numbers: list[int] = []
    page_urls: list[str] = []
    requested: list[datetime] = []
    for page in pages:
        for record in page.records:
            text = record_json(record)
            texts.append(text.decode())
            hashes.append(record_hash(text))
            cursors.append(cursor_value(record, cursor_field))
        n = len(page.records)
        page_numbers += [page.number] * n
        page_urls += [page.url] * n
        requested += [page.requested_at] * n
    frame = pl.DataFrame(
        {
            "endpoint": [first.endpoint] * len(texts),
            "page": page_numbers,
            "page_url": page_urls,
            "requested_at": requested,
            "record": texts,
            "record_hash": hashes,
            "cursor_value": cursors,
        },
        schema=RAW_SCHEMA,
    )
    fingerprint = f"{first.endpoint}|{first.url}|{len(texts)}|{hashes[0] if hashes else ''}|"
    fingerprint += hashes[-1] if hashes else ""
    batch_id = make_batch_id(f"api:{first.source}.{first.endpoint}", fingerprint=fingerprint)
    rows = with_ingestion_metadata(
        frame.lazy(), batch_id=batch_id, source=source_url, ingested_at=ingested_at
    ).collect()
    last = next((c for c in reversed(cursors) if c is not None), None)
    return RawChunk(first.source, first.endpoint, batch_id, rows, last)
