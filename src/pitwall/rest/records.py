"""Pages -> RAW rows: each record's JSON, its hash, its cursor value and the page's metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
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


def serialize(page: FetchedPage) -> FetchedPage:
    """The page with each record's canonical JSON, hash and cursor value computed (once)."""
    if page.texts is not None and page.hashes is not None and page.cursors is not None:
        return page
    raw = [record_json(r) for r in page.records]
    return replace(
        page,
        texts=[t.decode() for t in raw],
        hashes=[record_hash(t) for t in raw],
        cursors=[cursor_value(r, page.cursor_field) for r in page.records],
    )


def keep_new(page: FetchedPage, known: set[str]) -> FetchedPage:
    """The page, serialised, without the records whose hash is in ``known`` (already in RAW)."""
    page = serialize(page)
    assert page.texts is not None and page.hashes is not None and page.cursors is not None
    kept = [i for i, h in enumerate(page.hashes) if h not in known]
    if len(kept) == len(page.records):
        return page
    return replace(
        page,
        records=[page.records[i] for i in kept],
        texts=[page.texts[i] for i in kept],
        hashes=[page.hashes[i] for i in kept],
        cursors=[page.cursors[i] for i in kept],
    )


def cursor_value(record: dict[str, Any], field: str | None) -> str | None:
    if field is None:
        return None
    value = record.get(field) if "." not in field else select(record, field)
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
    source_url: str,
    ingested_at: datetime,
) -> RawChunk:
    """RAW rows for consecutive pages of one endpoint (one batch)."""
    first = pages[0]
    texts: list[str] = []
    hashes: list[str] = []
    cursors: list[str | None] = []
    for page in pages:
        page = serialize(page)
        assert page.texts is not None and page.hashes is not None and page.cursors is not None
        texts += page.texts
        hashes += page.hashes
        cursors += page.cursors
    # page metadata: one row per page, spread over its records by index
    counts = [len(p.records) for p in pages]
    meta = pl.DataFrame(
        {
            "page": [p.number for p in pages],
            "page_url": [p.url for p in pages],
            "requested_at": [p.requested_at for p in pages],
        },
        schema={k: RAW_SCHEMA[k] for k in ("page", "page_url", "requested_at")},
    )
    index = pl.Series(np.repeat(np.arange(len(pages), dtype=np.int64), counts))
    frame = pl.concat(
        [
            meta.select(pl.all().gather(index)),
            pl.DataFrame(
                {"record": texts, "record_hash": hashes, "cursor_value": cursors},
                schema={k: RAW_SCHEMA[k] for k in ("record", "record_hash", "cursor_value")},
            ),
        ],
        how="horizontal",
    ).select(pl.lit(first.endpoint, pl.String).alias("endpoint"), pl.all())
    fingerprint = f"{first.endpoint}|{first.url}|{len(texts)}|{hashes[0] if hashes else ''}|"
    fingerprint += hashes[-1] if hashes else ""
    batch_id = make_batch_id(f"api:{first.source}.{first.endpoint}", fingerprint=fingerprint)
    rows = with_ingestion_metadata(
        frame.lazy(), batch_id=batch_id, source=source_url, ingested_at=ingested_at
    ).collect()
    last = next((c for c in reversed(cursors) if c is not None), None)
    return RawChunk(first.source, first.endpoint, batch_id, rows, last)
