"""Pure functions: landing files -> RAW rows, quarantine rows and one log row per file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import polars as pl

from pitwall.assetto.lake import LandedFile, RawBatch
from pitwall.assetto.landing import LandingFile
from pitwall.assetto.tables import CAPTURE_QUARANTINE_KIND, PIPELINE, SOURCE, raw_table
from pitwall.lake.ingest import (
    BatchOutcome,
    BatchStatus,
    empty_quarantine,
    make_batch_id,
    quarantine_rows,
    with_ingestion_metadata,
)

__all__ = ["delta_compatible", "land_files"]

REQUIRED = ("received_at", "source", "capture_id")


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


def _record(row: dict[str, Any]) -> str:
    """The original record as JSON (binary as hex) for the quarantine ``record`` column."""
    return orjson.dumps(
        {k: (v.hex() if isinstance(v, bytes) else v) for k, v in row.items()}, default=str
    ).decode()


def _status(rows_in: int, quarantined: int) -> BatchStatus:
    if quarantined == 0:
        return "ok"
    return "rejected" if quarantined >= rows_in else "partial"


def _land_one(file: LandingFile, *, ingested_at: datetime) -> LandedFile:
    batch_id = make_batch_id(SOURCE, fingerprint=file.marker)

    def outcome(
        rows_in: int, landed: int, quarantined: int, error: str | None = None
    ) -> BatchOutcome:
        return BatchOutcome(
            batch_id=batch_id,
            source=file.marker,
            pipeline=PIPELINE,
            started_at=ingested_at,
            rows_in=rows_in,
            rows_landed=landed,
            rows_quarantined=quarantined,
            status=_status(rows_in, quarantined),
            error=error,
        )

    def quarantine(rows: list[dict[str, Any]], stage: str) -> pl.DataFrame:
        return quarantine_rows(
            rows, batch_id=batch_id, source=file.marker, ingested_at=ingested_at, stage=stage
        )

    frame = file.frame
    if frame is None or file.error is not None:
        rows = [{"source_row": None, "reason": file.error, "record": {"file": file.marker}}]
        return LandedFile(
            file.marker,
            None,
            pl.DataFrame(),
            quarantine(rows, "land"),
            outcome(1, 0, 1, file.error),
        )
    if file.kind == CAPTURE_QUARANTINE_KIND:
        rows = [
            {"source_row": i, "reason": f"capture: {r.get('reason')}", "record": _record(r)}
            for i, r in enumerate(frame.iter_rows(named=True), start=1)
        ]
        return LandedFile(
            file.marker,
            None,
            pl.DataFrame(),
            quarantine(rows, "capture"),
            outcome(len(rows), 0, len(rows)),
        )
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        reason = f"missing columns {missing}"
        rows = [
            {
                "source_row": None,
                "reason": reason,
                "record": {"file": file.marker, "columns": frame.columns},
            }
        ]
        return LandedFile(
            file.marker,
            None,
            pl.DataFrame(),
            quarantine(rows, "land"),
            outcome(frame.height, 0, frame.height, reason),
        )
    positioned = frame.with_row_index("_position", offset=1)
    bad_mask = pl.any_horizontal([pl.col(c).is_null() for c in REQUIRED])
    bad = positioned.filter(bad_mask)
    good = positioned.filter(~bad_mask)
    rejects = [
        {
            "source_row": r.pop("_position"),
            "reason": "null " + ", ".join(c for c in REQUIRED if r.get(c) is None),
            "record": _record(r),
        }
        for r in bad.iter_rows(named=True)
    ]
    rows = (
        with_ingestion_metadata(
            delta_compatible(good).lazy(),
            batch_id=batch_id,
            source=file.marker,
            ingested_at=ingested_at,
            source_row="_position",
        )
        .drop("_position")
        .collect()
    )
    return LandedFile(
        file.marker,
        raw_table(file.kind),
        rows,
        quarantine(rejects, "land") if rejects else empty_quarantine(),
        outcome(frame.height, rows.height, len(rejects)),
    )


def land_files(files: list[LandingFile], *, ingested_at: datetime) -> RawBatch:
    """Turn new landing files into a batch for RAW (one log row per file)."""
    return RawBatch(tuple(_land_one(f, ingested_at=ingested_at) for f in files))
