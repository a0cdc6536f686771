"""Incremental state of a REST endpoint, derived from what its RAW table holds (never kept
beside the lake, nor in commit metadata, which checkpoints drop).

* The cursor is the newest ``cursor_value`` RAW holds: it moves exactly when the rows it
  covers land, and survives checkpoints, log cleanup, VACUUM and OPTIMIZE like the rows do.
* The records a new fetch may return again (the ties at the cursor boundary, or every record
  of a snapshot endpoint) are recognised by their hashes, also read from RAW.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import polars as pl

from pitwall.lake.delta import open_table, scan_table
from pitwall.rest.records import canonical_hash


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


def latest_cursor(values: list[str]) -> str | None:
    return max(values, key=_order) if values else None


def read_cursor(raw_uri: str, *, storage_options: Mapping[str, str]) -> str | None:
    """The newest cursor value landed in RAW, or None before the first landing."""
    if open_table(raw_uri, storage_options=storage_options) is None:
        return None
    values = (
        scan_table(raw_uri, storage_options=storage_options)
        .select(pl.col("cursor_value").drop_nulls().unique())
        .collect()
        .to_series()
        .to_list()
    )
    return latest_cursor(values)


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
