"""Nodes of ingest_scraper: pure functions of polars frames (IO is in the datasets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from pitwall.lake.ingest import (
    BatchOutcome,
    BatchStatus,
    empty_quarantine,
    quarantine_rows,
    utc_now,
    with_ingestion_metadata,
)
from pitwall.scraping.config import ColumnType
from pitwall.scraping.lake import PIPELINE, RAW_SCHEMA, FeedBatch, SiteRows

JSON_DTYPES: dict[ColumnType, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "date": pl.String(),  # ISO text in the feed, made a Date below
    "duration_ms": pl.Int64(),
}


def land_feed_lines(lines: pl.DataFrame, params: dict[str, Any]) -> FeedBatch:
    """Split new feed lines into RAW rows and quarantine rows, one log row per feed file.

    A feed whose share of rejected items exceeds ``params["max_rejected_share"]`` (a changed
    page layout, say) lands nothing: all its lines go to quarantine.
    """
    ingested_at = utc_now()
    max_share = float(params.get("max_rejected_share", 1.0))
    per_feed = lines.group_by("_batch_id", "_source", maintain_order=True).agg(
        rows_in=pl.len(), rows_ok=(pl.col("kind") == "record").sum()
    )
    gated = per_feed.filter(1 - pl.col("rows_ok") / pl.col("rows_in") > max_share)
    lines = lines.with_columns(
        pl.when(
            pl.col("_batch_id").is_in(gated["_batch_id"].implode()) & (pl.col("kind") == "record")
        )
        .then(pl.lit("gated"))
        .otherwise(pl.col("kind"))
        .alias("kind")
    )
    raw = _raw_rows(lines.filter(pl.col("kind") == "record"), ingested_at)
    quarantine = _quarantine(lines.filter(pl.col("kind") != "record"), max_share, ingested_at)
    outcomes = tuple(
        _outcome(row, landed=raw, started_at=ingested_at) for row in per_feed.iter_rows(named=True)
    )
    markers = tuple(per_feed["_source"].to_list())
    return FeedBatch(markers=markers, raw=raw, quarantine=quarantine, outcomes=outcomes)


def _raw_rows(records: pl.DataFrame, ingested_at: datetime) -> pl.DataFrame:
    """RAW rows with the shared ingestion metadata; ``_source`` is the feed file."""
    frames = [pl.DataFrame(schema=RAW_SCHEMA)]
    for (batch_id, source), part in records.group_by("_batch_id", "_source", maintain_order=True):
        tagged = with_ingestion_metadata(
            part.lazy().rename({"payload": "data"}),
            batch_id=str(batch_id),
            source=str(source),
            ingested_at=ingested_at,
            source_row="_source_row",
        )
        frames.append(tagged.select(list(RAW_SCHEMA)).collect())
    return pl.concat(frames)


def _quarantine(rejects: pl.DataFrame, max_share: float, ingested_at: datetime) -> pl.DataFrame:
    stages = {"rejected": "scrape", "malformed": "land", "gated": "land"}
    frames = [empty_quarantine()]
    for (batch_id, source, kind), part in rejects.group_by(
        "_batch_id", "_source", "kind", maintain_order=True
    ):
        gate = f"feed rejected: more than {max_share:.0%} of its items failed validation"
        rows = [
            {
                "source_row": r["_source_row"],
                "reason": gate if kind == "gated" else r["reason"],
                "record": r["payload"],
            }
            for r in part.iter_rows(named=True)
        ]
        frames.append(
            quarantine_rows(
                rows,
                batch_id=str(batch_id),
                source=str(source),
                ingested_at=ingested_at,
                stage=stages[str(kind)],
            )
        )
    return pl.concat(frames)


def _outcome(row: dict[str, Any], *, landed: pl.DataFrame, started_at: datetime) -> BatchOutcome:
    rows_landed = landed.filter(pl.col("_batch_id") == row["_batch_id"]).height
    rows_quarantined = row["rows_in"] - rows_landed
    status: BatchStatus = (
        "ok" if rows_quarantined == 0 else "partial" if rows_landed else "rejected"
    )
    return BatchOutcome(
        batch_id=row["_batch_id"],
        source=row["_source"],
        pipeline=PIPELINE,
        started_at=started_at,
        rows_in=row["rows_in"],
        rows_landed=rows_landed,
        rows_quarantined=rows_quarantined,
        status=status,
    )


def type_scraped_rows(raw: dict[str, SiteRows]) -> dict[str, SiteRows]:
    """Type each site's RAW rows per its declared columns; keep the latest row per key."""
    return {name: _type_site(rows) for name, rows in raw.items()}


def _type_site(pending: SiteRows) -> SiteRows:
    columns = pending.site.columns
    struct = pl.Struct({name: JSON_DTYPES[spec.type] for name, spec in columns.items()})
    dates = [name for name, spec in columns.items() if spec.type == "date"]
    typed = (
        pending.rows.sort("_ingested_at", "_source", "_source_row")
        .with_columns(pl.col("data").str.json_decode(struct))
        .unnest("data")
        .with_columns(pl.col(dates).str.to_date("%Y-%m-%d"))
        .select(*columns, "url", "_batch_id", "_ingested_at")
        .unique(subset=pending.site.keys, keep="last", maintain_order=True)
    )
    return SiteRows(pending.site, pending.markers, typed)
