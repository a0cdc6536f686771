"""Pure functions: capture files -> RAW batches; RAW rows of captures -> CLEAN and quarantine.

RAW keeps every row a daemon wrote, as written (the daemon's own quarantine too, in
``raw.ac_quarantine``); CLEAN is rebuilt per capture: every capture with a RAW batch not
merged yet is rebuilt from all its RAW rows (sessions, laps and distances need the whole
capture), and its rows replace the capture's previous ones in each CLEAN table.
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

from pitwall.assetto.clean import CleanParams, build_clean, capture_batch_id
from pitwall.assetto.landing import CaptureFile
from pitwall.assetto.tables import (
    CAPTURE_QUARANTINE_KIND,
    CLEAN_KEYS,
    PIPELINE,
    QUARANTINE_TABLE,
    RAW_KINDS,
    raw_table,
)
from pitwall.lake.commit import CleanChunk, LandedBatch, QuarantineRows
from pitwall.lake.ingest import QUARANTINE_SCHEMA, empty_quarantine, with_ingestion_metadata
from pitwall.lake.txn import Unmerged

__all__ = ["LANDED_KINDS", "capture_batch", "delta_compatible", "split_captures"]

REQUIRED = ("received_at", "source", "capture_id")
LANDED_KINDS: tuple[str, ...] = (*RAW_KINDS, CAPTURE_QUARANTINE_KIND)
"""Every folder a daemon writes, each landed in its own RAW table (``raw.ac_<kind>``)."""


def _widen(dtype: pl.DataType) -> pl.DataType:
    """Delta has no unsigned ints nor fixed-size arrays: widen them losslessly."""
    widened: dict[type, pl.DataType] = {
        pl.UInt8: pl.Int16(),
        pl.UInt16: pl.Int32(),
        pl.UInt32: pl.Int64(),
        pl.UInt64: pl.Int64(),
        pl.Int8: pl.Int16(),
    }
    if type(dtype) in widened:
        return widened[type(dtype)]
    if isinstance(dtype, pl.Array | pl.List):
        return pl.List(_widen(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pl.Struct([pl.Field(f.name, _widen(f.dtype)) for f in dtype.fields])
    return dtype


def delta_compatible(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.cast({name: _widen(dtype) for name, dtype in frame.schema.items()})


def capture_batch(file: CaptureFile) -> LandedBatch:
    """A capture file as a RAW batch of its kind's table: its rows as written, with metadata.

    A file that cannot be read, or lacks the columns every capture row has, is refused whole.
    """
    error = file.error
    frame = file.frame
    if frame is not None and error is None and file.kind != CAPTURE_QUARANTINE_KIND:
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            error = f"not a capture file: missing columns {missing}"
    rows = None
    if frame is not None and error is None:
        rows = (
            with_ingestion_metadata(
                delta_compatible(frame).lazy(),
                batch_id=file.batch_id,
                source=file.marker,
                ingested_at=file.started_at,
            )
        ).collect()
    return LandedBatch(
        raw_table(file.kind),
        file.batch_id,
        file.marker,
        PIPELINE,
        file.started_at,
        rows=rows,
        error=error,
    )


def _record(row: dict[str, Any]) -> str:
    """The original record as JSON (binary as hex) for the quarantine ``record`` column."""
    return orjson.dumps(
        {k: (v.hex() if isinstance(v, bytes) else v) for k, v in row.items()}, default=str
    ).decode()


def split_captures(
    pending: dict[str, Unmerged | None], params: CleanParams
) -> tuple[QuarantineRows, list[CleanChunk]]:
    """RAW rows of the captures with batches not merged yet -> the new batches' quarantine
    rows and one replacing chunk per CLEAN table, ``ac_sessions`` last (it closes the merge).
    """
    waiting = {kind: u for kind, u in pending.items() if u is not None and not u.is_empty}
    # only the columns each step needs: the new rows are read again below, with the captures'
    # earlier rows, and a game capture's rows are ~120 columns wide
    new_batches = sorted({str(b) for u in waiting.values() for b in _distinct(u.rows, "_batch_id")})
    rejects = waiting.get(CAPTURE_QUARANTINE_KIND)
    landed = [u.rows for kind, u in waiting.items() if kind != CAPTURE_QUARANTINE_KIND]
    quarantine = [_capture_rejects(None if rejects is None else rejects.rows.collect())]
    quarantine += [_unplaceable(rows.filter(~_placeable()).collect()) for rows in landed]
    captures = sorted({str(c) for rows in landed for c in _distinct(rows, "capture_id")})
    frames: dict[str, pl.DataFrame] = {}
    for kind, unmerged in pending.items():
        if unmerged is None or kind == CAPTURE_QUARANTINE_KIND:
            continue
        rows = unmerged.scan.filter(
            pl.col("capture_id").cast(pl.String).is_in(captures) & _placeable()
        ).collect()
        if rows.height:
            frames[kind] = rows
    tables, unfit = build_clean(frames, params) if frames else ({}, empty_quarantine())
    # rows of the new RAW batches, and the rebuilt captures' own rows (derived rows superseded)
    rebuilt = [capture_batch_id(c) for c in captures]
    quarantine.append(unfit.filter(pl.col("_batch_id").is_in([*new_batches, *rebuilt])))
    merged = {raw_table(k): u.top for k, u in waiting.items()}
    after = {raw_table(k): u.after for k, u in waiting.items()}
    chunks = [
        CleanChunk(
            table,
            tables.get(table, pl.DataFrame()),
            ("capture_id",),
            quarantine_table=QUARANTINE_TABLE,
            pipeline=PIPELINE,
            mode="replace",
            merged=merged,
            after=after,
            closes=table == "ac_sessions",
        )
        for table in CLEAN_KEYS
    ]
    rows = pl.concat(quarantine).select(list(QUARANTINE_SCHEMA))
    return QuarantineRows(rows, (*new_batches, *rebuilt)), chunks


def _distinct(rows: pl.LazyFrame, column: str) -> list[Any]:
    """The non-null values of one column of ``rows``."""
    return rows.select(pl.col(column).drop_nulls().unique()).collect().to_series().to_list()


def _placeable() -> pl.Expr:
    return pl.all_horizontal([pl.col(c).is_not_null() for c in REQUIRED])


def _as_quarantine(rows: pl.DataFrame, *, stage: str, reason: pl.Expr) -> pl.DataFrame:
    """Rows of RAW batches in quarantine shape (each under its own batch), originals as JSON."""
    if rows.is_empty():
        return empty_quarantine()
    records = [
        _record({k: v for k, v in r.items() if not k.startswith("_")})
        for r in rows.iter_rows(named=True)
    ]
    return rows.select(
        pl.col("_batch_id").cast(pl.String),
        pl.col("_ingested_at").cast(QUARANTINE_SCHEMA["_ingested_at"]),
        pl.col("_source").cast(pl.String),
        pl.col("_source_row").cast(pl.Int64),
        pl.lit(stage).alias("stage"),
        reason.alias("reason"),
        pl.Series("record", records, dtype=pl.String),
    )


def _capture_rejects(frame: pl.DataFrame | None) -> pl.DataFrame:
    """The daemon's own quarantine rows (undecodable datagrams), stage ``capture``."""
    if frame is None:
        return empty_quarantine()
    reason = (
        pl.format("capture: {}", pl.col("reason"))
        if "reason" in frame.columns
        else pl.lit("capture: rejected by the capture daemon")
    )
    return _as_quarantine(frame, stage="capture", reason=reason)


def _unplaceable(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows without a receive time, source or capture id cannot be placed: stage ``land``."""
    missing = [pl.when(pl.col(c).is_null()).then(pl.lit(c)) for c in REQUIRED]
    reason = pl.format("null {}", pl.concat_str(missing, separator=", ", ignore_nulls=True))
    return _as_quarantine(frame.filter(~_placeable()), stage="land", reason=reason)
