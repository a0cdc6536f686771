"""Assetto Corsa rows in the lake: landing batches into RAW, pending captures, CLEAN merges.

Order of writes for a landing batch (each idempotent, so an interrupted run is rerun):
row-level quarantine (rows of a batch replaced) -> ingestion log (merged by batch id) ->
one commit per RAW table with the markers of the files it lands. Files that hold only
quarantine rows (the daemon's own quarantine, unreadable files) land in
``quarantine.assetto`` in one commit with their markers. Until its commit, a file counts
as not landed.

CLEAN is rebuilt per capture: every capture with a RAW file not yet merged is read whole
from RAW (sessions, laps and distances need the whole capture), its CLEAN rows merged by
natural keys, and ``clean.ac_sessions`` is written last with the merged files' markers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pitwall.assetto.tables import CLEAN_KEYS, QUARANTINE_TABLE, RAW_KINDS, raw_table
from pitwall.lake.delta import open_table, read_markers, scan_table, write_table
from pitwall.lake.ingest import QUARANTINE_SCHEMA, BatchOutcome
from pitwall.lake.layout import Lake
from pitwall.lake.records import write_ingestion_log, write_quarantine

__all__ = [
    "CleanBatch",
    "LandedFile",
    "PendingCaptures",
    "RawBatch",
    "landed_markers",
    "read_pending_captures",
    "write_clean_batch",
    "write_raw_batch",
]


@dataclass(frozen=True)
class LandedFile:
    """One landing file made into lake rows."""

    marker: str
    table: str | None  # RAW table, or None when every row goes to quarantine
    rows: pl.DataFrame
    quarantine: pl.DataFrame
    outcome: BatchOutcome


@dataclass(frozen=True)
class RawBatch:
    files: tuple[LandedFile, ...] = ()


@dataclass(frozen=True)
class PendingCaptures:
    """RAW rows (by kind) of the captures that have files not merged into CLEAN yet."""

    markers: tuple[str, ...] = ()
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class CleanBatch:
    markers: tuple[str, ...] = ()
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    quarantine: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=QUARANTINE_SCHEMA))


def _raw_uri(lake: Lake, kind: str) -> str:
    return lake.table_uri("raw", raw_table(kind))


def _markers(uri: str, lake: Lake) -> set[str]:
    return read_markers(uri, storage_options=lake.storage_options)


def landed_markers(lake: Lake) -> set[str]:
    """Files already landed: markers of every RAW table and of the quarantine table."""
    found = _markers(lake.table_uri("quarantine", QUARANTINE_TABLE), lake)
    for kind in RAW_KINDS:
        found |= _markers(_raw_uri(lake, kind), lake)
    return found


def write_raw_batch(batch: RawBatch, *, lake: Lake) -> None:
    """Land a batch (see the module docstring for the order of writes)."""
    if not batch.files:
        return
    options = lake.storage_options
    partial = [f.quarantine for f in batch.files if f.table is not None and f.quarantine.height]
    if partial:
        write_quarantine(pl.concat(partial), QUARANTINE_TABLE, lake=lake)
    write_ingestion_log([f.outcome for f in batch.files], lake=lake)
    by_table: dict[str | None, list[LandedFile]] = {}
    for landed in batch.files:
        by_table.setdefault(landed.table, []).append(landed)
    for table, files in by_table.items():
        markers = [f.marker for f in files]
        if table is None:
            rows = pl.concat([f.quarantine for f in files])
            uri = lake.table_uri("quarantine", QUARANTINE_TABLE)
        else:
            rows = pl.concat([f.rows for f in files], how="diagonal_relaxed")
            uri = lake.table_uri("raw", table)
        write_table(rows, uri, mode="append", markers=markers, storage_options=options)


def read_pending_captures(lake: Lake) -> PendingCaptures:
    """All RAW rows of the captures with landed files CLEAN has not merged yet."""
    options = lake.storage_options
    merged = _markers(lake.table_uri("clean", "ac_sessions"), lake)
    pending: set[str] = set()
    captures: set[str] = set()
    for kind in RAW_KINDS:
        new = _markers(_raw_uri(lake, kind), lake) - merged
        pending |= new
        captures |= {m.rsplit("/", 1)[-1].removesuffix(".parquet").rsplit("-", 1)[0] for m in new}
    if not pending:
        return PendingCaptures()
    frames = {}
    for kind in RAW_KINDS:
        uri = _raw_uri(lake, kind)
        if open_table(uri, storage_options=options) is None:
            continue
        frame = (
            scan_table(uri, storage_options=options)
            .filter(pl.col("capture_id").is_in(sorted(captures)))
            .collect()
        )
        if frame.height:
            frames[kind] = frame
    return PendingCaptures(tuple(sorted(pending)), frames)


def write_clean_batch(batch: CleanBatch, *, lake: Lake) -> None:
    """Replace the CLEAN rows of the rebuilt captures (one commit per table, rows deduplicated
    by natural keys); ``ac_sessions`` last, with the merged files' markers.

    Replacing a capture's rows (not merging by key) matters: files of different kinds roll
    at different times, so a row may first be seen before the message that opens its session
    and land in the previous session; the next rebuild moves it, leaving no stale copy.
    """
    if not batch.markers:
        return
    options = lake.storage_options
    write_quarantine(batch.quarantine, QUARANTINE_TABLE, lake=lake)
    for table in CLEAN_KEYS:
        rows = batch.tables.get(table)
        last = table == "ac_sessions"
        if rows is None or (rows.is_empty() and not last):
            continue
        write_table(
            rows,
            lake.table_uri("clean", table),
            mode="replace",
            keys=["capture_id"],
            markers=batch.markers if last else (),
            storage_options=options,
        )
