"""Pages -> RAW rows: each record's JSON, its hash and its cursor value as columns (built
once per page, in the fetch thread), then chunks of pages -> RAW rows with metadata.

``record`` holds each record's JSON as the API sent it (a slice of the page, see
:mod:`pitwall.rest.decoding`); for endpoints without an incremental cursor it holds the
canonical JSON (sorted keys) instead, because their change detection compares whole records
run after run. ``record_hash`` is the blake2b-96 hex digest of ``record``. Whether RAW already
holds a fetched record is decided on canonical JSON, so neither key order nor spacing matters
(nor which of the two forms an earlier version of this code stored).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

import numpy as np
import orjson
import polars as pl

from pitwall.lake.ingest import TIMESTAMP, make_batch_id, with_ingestion_metadata
from pitwall.rest.client import FetchedPage

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


def canonical_json(text: bytes | str) -> bytes:
    """A record's canonical JSON (sorted keys, no spacing): equal records, equal text."""
    return orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS)


def record_hash(text: bytes) -> str:
    """What RAW's ``record_hash`` holds for a record text."""
    return _blake2b(text).hexdigest()


def canonical_hash(text: bytes | str) -> str:
    """The hash of a record's canonical JSON: what decides whether RAW holds it."""
    return record_hash(canonical_json(text))


def record_rows(
    texts: Sequence[bytes], cursors: Sequence[str | None] | None, *, canonical: bool
) -> pl.DataFrame:
    """``record``, ``record_hash`` and ``cursor_value`` of each record, in order.

    Args:
        texts: each record's JSON as received (valid UTF-8: checked when decoding the page).
        cursors: each record's cursor value as text (None: the endpoint has no cursor).
        canonical: store the canonical JSON instead of the text received.
    """
    if canonical:
        dumps, loads, sort = orjson.dumps, orjson.loads, orjson.OPT_SORT_KEYS
        texts = [dumps(loads(t), option=sort) for t in texts]
    digests = [_blake2b(t).digest() for t in texts]
    return pl.DataFrame(
        [
            pl.Series("record", texts, dtype=pl.Binary).cast(pl.String),
            pl.Series("record_hash", digests, dtype=pl.Binary).bin.encode("hex"),
            pl.Series(
                "cursor_value", cursors if cursors is not None else [None] * len(texts), pl.String
            ),
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
    stream_seq: int = 0  # the RAW table's seq when the fetch started (see LandedBatch.since_seq)

    @property
    def size(self) -> int:
        return self.rows.height


def raw_page(page: FetchedPage, *, stream_seq: int = 0) -> RawPage:
    """The page's RAW columns."""
    rows = record_rows(page.raw_records, page.cursors, canonical=page.cursor_field is None)
    return RawPage(
        page.source,
        page.endpoint,
        page.number,
        page.url,
        page.requested_at,
        page.endpoint_url,
        rows,
        stream_seq,
    )


def keep_new(page: RawPage, landed: Collection[str], *, cursor: str | None) -> RawPage:
    """The page without the records RAW already holds.

    Args:
        page: the fetched page.
        landed: canonical hashes of the RAW records a fetch may return again.
        cursor: incremental endpoints: the cursor value the fetch started at (only records
            at that value can be in RAW already); None: any record can (snapshot endpoints,
            whose ``record_hash`` is the canonical hash already).
    """
    rows = page.rows
    if not landed or rows.is_empty():
        return page
    if cursor is None:
        # a set lookup per record: ``landed`` may hold every hash of a snapshot table
        held = pl.Series([h in landed for h in rows.get_column("record_hash").to_list()])
    else:
        held = (rows.get_column("cursor_value") == cursor).fill_null(value=False)
        if held.any():
            texts = rows.get_column("record").filter(held).to_list()
            found = pl.Series([canonical_hash(t) in landed for t in texts], dtype=pl.Boolean)
            held = held.scatter(held.arg_true(), found)
    if not held.any():
        return page
    return replace(page, rows=rows.filter(~held))


@dataclass(frozen=True)
class RawChunk:
    """RAW rows of consecutive pages of one endpoint: one batch."""

    batch_id: str
    rows: pl.DataFrame


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
    return RawChunk(batch_id, rows)
