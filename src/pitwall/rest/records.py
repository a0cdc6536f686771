"""Pages -> RAW rows: each record's canonical JSON, its hash and its cursor value as columns
(built once per page, in the fetch thread), then chunks of pages -> RAW rows with metadata.

Per record, Python only calls orjson (canonical JSON) and hashlib (digest bytes); turning
those into text columns (UTF-8 check, hex encoding) and everything after runs in polars.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
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
RECORD_COLUMNS = ("record", "record_hash", "cursor_value")
PAGE_COLUMNS = ("page", "page_url", "requested_at")

HASH_BYTES = 12
_blake2b = partial(hashlib.blake2b, digest_size=HASH_BYTES)


def record_json(record: dict[str, Any]) -> bytes:
    """Canonical JSON of a record (sorted keys): equal records give equal text and hash."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def record_hash(text: bytes) -> str:
    """Hex digest of a record's canonical JSON (what RAW's ``record_hash`` holds)."""
    return _blake2b(text).hexdigest()


def cursor_value(record: dict[str, Any], field: str | None) -> str | None:
    """The record's cursor value as text (None when absent or null)."""
    if field is None:
        return None
    value = record.get(field) if "." not in field else select(record, field)
    return None if value is MISSING or value is None else str(value)


def _cursor_values(records: Sequence[dict[str, Any]], field: str | None) -> list[str | None]:
    if field is None:
        return [None] * len(records)
    if "." in field:
        return [cursor_value(r, field) for r in records]
    # same as cursor_value for a top-level field, without a call per record
    return [None if v is None else str(v) for v in (r.get(field) for r in records)]


def record_rows(records: Sequence[dict[str, Any]], *, cursor_field: str | None) -> pl.DataFrame:
    """``record``, ``record_hash`` and ``cursor_value`` of each record, in order."""
    dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
    texts = [dumps(r, option=sort) for r in records]
    digests = [_blake2b(t).digest() for t in texts]
    return pl.DataFrame(
        [
            # orjson writes valid UTF-8: the cast only re-labels the bytes as text
            pl.Series("record", texts, dtype=pl.Binary).cast(pl.String),
            pl.Series("record_hash", digests, dtype=pl.Binary).bin.encode("hex"),
            pl.Series("cursor_value", _cursor_values(records, cursor_field), dtype=pl.String),
        ]
    )


@dataclass(frozen=True)
class RawPage:
    """One fetched page as RAW columns: its metadata and one row per (new) record."""

    source: str
    endpoint: str
    number: int  # 1-based within this run
    url: str  # redacted
    requested_at: datetime
    endpoint_url: str  # base URL + path, no query
    rows: pl.DataFrame  # record, record_hash, cursor_value

    @property
    def size(self) -> int:
        return self.rows.height


def raw_page(page: FetchedPage) -> RawPage:
    """The page's RAW columns (its records' Python objects are not kept)."""
    return RawPage(
        page.source,
        page.endpoint,
        page.number,
        page.url,
        page.requested_at,
        page.endpoint_url,
        record_rows(page.records, cursor_field=page.cursor_field),
    )


def keep_new(page: RawPage, known: Collection[str]) -> RawPage:
    """The page without the records whose hash is in ``known`` (already in RAW)."""
    if not known or page.rows.is_empty():
        return page
    # a set lookup per record: ``known`` may hold every hash of a snapshot table
    new = [h not in known for h in page.rows.get_column("record_hash").to_list()]
    if all(new):
        return page
    return replace(page, rows=page.rows.filter(pl.Series(new, dtype=pl.Boolean)))


@dataclass(frozen=True)
class RawChunk:
    """RAW rows of one endpoint committed together with the cursor they reach."""

    source: str
    endpoint: str
    batch_id: str
    rows: pl.DataFrame
    cursor: str | None
    last: bool = False  # no chunk follows in this load (the page stream ended or failed)

    @property
    def table_key(self) -> str:
        return f"{self.source}.{self.endpoint}"


def raw_rows(
    pages: Sequence[RawPage],
    *,
    source_url: str,
    ingested_at: datetime,
) -> RawChunk:
    """RAW rows for consecutive pages of one endpoint (one batch)."""
    first = pages[0]
    records = pl.concat([p.rows for p in pages], how="vertical", rechunk=False)
    # page metadata: one row per page, spread over its records by index
    meta = pl.DataFrame(
        {
            "page": [p.number for p in pages],
            "page_url": [p.url for p in pages],
            "requested_at": [p.requested_at for p in pages],
        },
        schema={k: RAW_SCHEMA[k] for k in PAGE_COLUMNS},
    )
    index = np.repeat(np.arange(len(pages), dtype=np.int64), [p.size for p in pages])
    frame = pl.concat(
        [meta.select(pl.all().gather(pl.Series(index))), records], how="horizontal"
    ).select(pl.lit(first.endpoint, pl.String).alias("endpoint"), *PAGE_COLUMNS, *RECORD_COLUMNS)
    hashes = records.get_column("record_hash")
    edges = f"{hashes[0]}|{hashes[-1]}" if len(hashes) else "|"
    fingerprint = f"{first.endpoint}|{first.url}|{records.height}|{edges}"
    batch_id = make_batch_id(f"api:{first.source}.{first.endpoint}", fingerprint=fingerprint)
    rows = with_ingestion_metadata(
        frame.lazy(), batch_id=batch_id, source=source_url, ingested_at=ingested_at
    ).collect()
    cursors = records.get_column("cursor_value").drop_nulls()
    last = cursors[-1] if len(cursors) else None
    return RawChunk(first.source, first.endpoint, batch_id, rows, last)
