"""Shared ingestion bookkeeping: RAW metadata columns, quarantine rows and the ingestion log.

Every source (CSV, REST, scraper, Assetto Corsa) uses these so that counts reconcile the same
way everywhere: ``rows_in = rows_landed + rows_quarantined`` for each batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import polars as pl

METADATA_COLUMNS: tuple[str, ...] = (
    "_batch_id",
    "_ingested_at",
    "_source",
    "_source_row",
    "_batch_seq",
)
"""Every RAW row carries these. ``_source`` is where the row came from, relative to its landing
zone or as a URI (never a server path); ``_source_row`` its position there; ``_batch_seq`` the
sequence number of its RAW commit (see :mod:`pitwall.lake.txn`)."""
TIMESTAMP = pl.Datetime("us", "UTC")

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "_batch_id": pl.String(),
    "_ingested_at": TIMESTAMP,
    "_source": pl.String(),
    "_source_row": pl.Int64(),
    "stage": pl.String(),
    "reason": pl.String(),
    "record": pl.String(),
}

BatchStatus = Literal["ok", "partial", "rejected", "empty", "landed_raw"]
"""``landed_raw``: in RAW, not yet through CLEAN (the one status that is not final).
``empty``: the input held no records (a header-only file, an empty page). ``rejected``: nothing
landed (the whole input was refused, its reason in ``error``, or every record was
quarantined). ``partial``: some records quarantined. ``ok``: none."""
FINAL_STATUSES: frozenset[str] = frozenset({"ok", "partial", "rejected", "empty"})

INGESTION_LOG_TABLE = "ingestion_log"
INGESTION_LOG_SCHEMA: dict[str, pl.DataType] = {
    "batch_id": pl.String(),
    "source": pl.String(),
    "pipeline": pl.String(),
    "started_at": TIMESTAMP,
    "finished_at": TIMESTAMP,
    "rows_in": pl.Int64(),
    "rows_landed": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "status": pl.String(),
    "error": pl.String(),
    "raw_table": pl.String(),
    "batch_seq": pl.Int64(),
}
LOGGED_AT = "logged_at"
"""The ingestion log is append-only (appends never conflict, so parallel pipelines never lose
an entry): each write adds a row stamped ``logged_at``, and a batch's entry is its latest row,
a final status before ``landed_raw`` (:func:`latest_log_rows`, :data:`LATEST_LOG_SQL`)."""
LATEST_LOG_SQL = (
    "SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY batch_id "
    "ORDER BY status <> 'landed_raw' DESC, logged_at DESC NULLS LAST) = 1 "
    "ORDER BY started_at, batch_id"
)
"""DuckDB: the latest entry of each batch from the log rows in ``{source}``, in a stable order
(pages of the rows endpoint must not depend on how the window was computed)."""


def batch_status(*, rows_in: int, rows_quarantined: int, error: str | None = None) -> BatchStatus:
    """The final status of a batch: the one rule every source uses."""
    if error is not None:
        return "rejected"
    if rows_in == 0:
        return "empty"
    if rows_quarantined == 0:
        return "ok"
    return "rejected" if rows_quarantined >= rows_in else "partial"


def utc_now() -> datetime:
    return datetime.now(UTC)


def make_batch_id(source: str, *, fingerprint: str) -> str:
    """A deterministic batch id: the same input always maps to the same batch (idempotence)."""
    return hashlib.sha256(f"{source}\x00{fingerprint}".encode()).hexdigest()[:24]


def with_ingestion_metadata(
    frame: pl.LazyFrame,
    *,
    batch_id: str,
    source: str,
    ingested_at: datetime,
    source_row: str | None = None,
) -> pl.LazyFrame:
    """Add ``_batch_id``, ``_ingested_at``, ``_source`` and ``_source_row`` to every row.

    Args:
        frame: the rows as read.
        batch_id: id of the batch (see :func:`make_batch_id`).
        source: where the rows came from (file URI, endpoint, page URL...).
        ingested_at: one timestamp for the whole batch.
        source_row: existing column holding the position in the source; when None the
            1-based row order is used.
    """
    position = (
        pl.col(source_row).cast(pl.Int64)
        if source_row
        else pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    )
    return frame.with_columns(
        pl.lit(batch_id, pl.String).alias("_batch_id"),
        pl.lit(ingested_at, TIMESTAMP).alias("_ingested_at"),
        pl.lit(source, pl.String).alias("_source"),
        position.alias("_source_row"),
    )


def quarantine_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    batch_id: str,
    source: str,
    ingested_at: datetime,
    stage: str,
) -> pl.DataFrame:
    """Quarantine rows from dicts with ``source_row``, ``reason`` and ``record`` (str or object)."""
    data = {
        "_batch_id": [batch_id] * len(rows),
        "_ingested_at": [ingested_at] * len(rows),
        "_source": [str(r.get("source", source)) for r in rows],
        "_source_row": [r.get("source_row") for r in rows],
        "stage": [stage] * len(rows),
        "reason": [str(r["reason"]) for r in rows],
        "record": [_as_text(r.get("record")) for r in rows],
    }
    return pl.DataFrame(data, schema=QUARANTINE_SCHEMA)


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def _as_text(record: Any) -> str | None:
    if record is None or isinstance(record, str):
        return record
    if isinstance(record, bytes):
        return record.decode("utf-8", errors="backslashreplace")
    return orjson.dumps(record, default=str).decode()


@dataclass
class BatchOutcome:
    """One row of the ingestion log."""

    batch_id: str
    source: str
    pipeline: str
    started_at: datetime
    rows_in: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    status: BatchStatus = "ok"
    error: str | None = None
    finished_at: datetime = field(default_factory=utc_now)
    raw_table: str | None = None
    batch_seq: int | None = None

    @property
    def reconciles(self) -> bool:
        return self.rows_in == self.rows_landed + self.rows_quarantined


def ingestion_log_frame(outcomes: Sequence[BatchOutcome]) -> pl.DataFrame:
    """The ingestion log rows for some batches (write with merge on ``batch_id``)."""
    rows = [asdict(o) for o in outcomes]
    return pl.DataFrame(rows, schema=INGESTION_LOG_SCHEMA) if rows else empty_ingestion_log()


def empty_ingestion_log() -> pl.DataFrame:
    return pl.DataFrame(schema=INGESTION_LOG_SCHEMA)


def latest_log_rows(rows: pl.LazyFrame) -> pl.LazyFrame:
    """The latest entry of each batch among the append-only log's rows (see :data:`LOGGED_AT`)."""
    if LOGGED_AT not in rows.collect_schema().names():
        rows = rows.with_columns(pl.lit(None, TIMESTAMP).alias(LOGGED_AT))
    final = (pl.col("status") != "landed_raw").alias("_final")
    return (
        rows.with_columns(final)
        .sort(["_final", LOGGED_AT], nulls_last=False, maintain_order=True)
        .unique("batch_id", keep="last", maintain_order=True)
        .select(list(INGESTION_LOG_SCHEMA))
    )
