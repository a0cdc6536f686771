"""Incremental state kept in the lake itself (Delta commit markers), never beside it.

* RAW commits carry ``batch:<id>`` and ``cursor:<last value>``: the cursor moves exactly
  when the rows it covers land.
* CLEAN commits carry the ``batch:<id>`` of every RAW batch they absorbed: RAW rows of other
  batches are pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import polars as pl

from pitwall.lake.delta import open_table, read_markers, scan_table
from pitwall.rest.records import canonical_hash

BATCH = "batch:"
CURSOR = "cursor:"


def batch_marker(batch_id: str) -> str:
    return f"{BATCH}{batch_id}"


def cursor_marker(value: str) -> str:
    return f"{CURSOR}{value}"


def _order(value: str) -> tuple[int, float, str]:
    """Compare cursor values as numbers, else as instants, else as text."""
    try:
        return (0, float(value), "")
    except ValueError:
        pass
    try:
        return (1, datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp(), value)
    except ValueError:
        return (2, 0.0, value)


def latest_cursor(markers: Iterable[str]) -> str | None:
    values = [m.removeprefix(CURSOR) for m in markers if m.startswith(CURSOR)]
    return max(values, key=_order) if values else None


def batches_of(markers: Iterable[str]) -> set[str]:
    return {m.removeprefix(BATCH) for m in markers if m.startswith(BATCH)}


def read_cursor(raw_uri: str, *, storage_options: Mapping[str, str]) -> str | None:
    """The last cursor value committed with RAW rows, or None before the first run."""
    return latest_cursor(read_markers(raw_uri, storage_options=storage_options))


def read_landed_hashes(
    raw_uri: str, *, cursor: str | None, incremental: bool, storage_options: Mapping[str, str]
) -> set[str]:
    """Canonical hashes of records already in RAW that a new fetch may return again.

    Incremental endpoints: the records at the boundary value (APIs often filter inclusively),
    hashed from their stored JSON (as received or canonical). Snapshot endpoints: every record
    landed so far (their ``record_hash`` is the canonical hash; a re-run adds only changed
    records).
    """
    if open_table(raw_uri, storage_options=storage_options) is None:
        return set()
    if incremental and cursor is None:
        return set()
    lf = scan_table(raw_uri, storage_options=storage_options)
    if incremental:
        texts = lf.filter(pl.col("cursor_value") == cursor).select("record").collect()
        return {canonical_hash(t) for t in texts.to_series().to_list()}
    return set(lf.select("record_hash").collect().to_series().to_list())


def read_pending(
    raw_uri: str, clean_uri: str, *, storage_options: Mapping[str, str]
) -> pl.DataFrame | None:
    """RAW rows of batches CLEAN has not absorbed yet, in landing order (None: no RAW)."""
    if open_table(raw_uri, storage_options=storage_options) is None:
        return None
    done = sorted(batches_of(read_markers(clean_uri, storage_options=storage_options)))
    lf = scan_table(raw_uri, storage_options=storage_options)
    if done:
        lf = lf.filter(~pl.col("_batch_id").is_in(done))
    return lf.sort("_ingested_at", "_batch_id", "_source_row").collect()
