"""Scraped data in the lake, per site.

- RAW ``raw.scraper_<site>``: one row per line of each feed file, as the crawl wrote it
  (``kind`` record / rejected / malformed, page URL, payload) plus the ingestion metadata.
  Each feed file is one batch and lands once.
- quarantine ``quarantine.scraper_<site>``: items the spider's validation rejected (stage
  ``scrape``), malformed feed lines (``parse``) and every line of a feed whose share of
  rejected items says the page layout changed (``gate``), each with its reason and original.
- CLEAN ``clean.<site table>``: records typed per the site's columns, merged by its keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pitwall.column_specs import constraint_reasons
from pitwall.lake.commit import CleanChunk, LandedBatch, QuarantineRows
from pitwall.lake.ingest import QUARANTINE_SCHEMA, with_ingestion_metadata
from pitwall.lake.txn import BATCH_SEQ, Unmerged
from pitwall.scraping.config import SiteConfig

PIPELINE = "ingest_scraper"
STAGES = {"rejected": "scrape", "malformed": "parse", "gated": "gate", "invalid": "type"}
JSON_DTYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "date": pl.String(),  # ISO text in the feed, made a Date below
    "duration_ms": pl.Int64(),
}


def raw_table(site: str) -> str:
    return f"scraper_{site}"


@dataclass(frozen=True)
class ScrapedFeed:
    """One feed file not landed yet (or a crawl that failed: ``error``)."""

    site: str
    batch_id: str
    source: str
    started_at: datetime
    lines: pl.DataFrame | None = None
    error: str | None = None


def feed_batch(feed: ScrapedFeed) -> LandedBatch:
    """A feed file as a RAW batch: its lines as written, with the ingestion metadata."""
    rows = None
    if feed.lines is not None:
        rows = with_ingestion_metadata(
            feed.lines.lazy().drop("_batch_id", "_source", strict=False),
            batch_id=feed.batch_id,
            source=feed.source,
            ingested_at=feed.started_at,
            source_row="_source_row",
        ).collect()
    return LandedBatch(
        raw_table(feed.site),
        feed.batch_id,
        feed.source,
        PIPELINE,
        feed.started_at,
        rows=rows,
        error=feed.error,
    )


def split_site_rows(
    pending: Unmerged, *, site: SiteConfig, max_rejected_share: float
) -> tuple[QuarantineRows, CleanChunk]:
    """A site's RAW lines not merged yet -> quarantine rows and typed CLEAN rows.

    A feed whose share of rejected items exceeds ``max_rejected_share`` (a changed page
    layout, say) lands nothing: all its lines go to quarantine.
    """
    lines = _mark_invalid(pending.rows.sort(BATCH_SEQ, "_source_row").collect(), site=site)
    per_feed = lines.group_by("_batch_id").agg(
        rows_in=pl.len(), rows_ok=(pl.col("kind") == "record").sum()
    )
    gated = per_feed.filter(1 - pl.col("rows_ok") / pl.col("rows_in") > max_rejected_share)
    lines = lines.with_columns(
        pl.when(
            pl.col("_batch_id").is_in(gated["_batch_id"].implode()) & (pl.col("kind") == "record")
        )
        .then(pl.lit("gated"))
        .otherwise(pl.col("kind"))
        .alias("kind")
    )
    gate = f"feed rejected: more than {max_rejected_share:.0%} of its items failed validation"
    bad = lines.filter(pl.col("kind") != "record")
    quarantine = bad.select(
        pl.col("_batch_id").cast(pl.String),
        pl.col("_ingested_at").cast(QUARANTINE_SCHEMA["_ingested_at"]),
        pl.col("_source").cast(pl.String),
        pl.col("_source_row").cast(pl.Int64),
        pl.col("kind").replace_strict(STAGES).alias("stage"),
        pl.when(pl.col("kind") == "gated").then(pl.lit(gate)).otherwise("reason").alias("reason"),
        pl.col("payload").alias("record"),
    )
    batches = tuple(lines.get_column("_batch_id").cast(pl.String).unique().sort().to_list())
    clean = CleanChunk(
        site.table,
        type_site_records(lines.filter(pl.col("kind") == "record"), site=site),
        tuple(site.keys),
        quarantine_table=raw_table(site.name),
        pipeline=PIPELINE,
        merged={pending.table: pending.top},
        after={pending.table: pending.after},
    )
    return QuarantineRows(quarantine, batches), clean


def type_site_records(records: pl.DataFrame, *, site: SiteConfig) -> pl.DataFrame:
    """Type records per the site's declared columns; keep the latest row per key."""
    return (
        _decoded(records, site=site)
        .select(*site.columns, "url", pl.col("_batch_id").cast(pl.String), "_ingested_at")
        .unique(subset=site.keys, keep="last", maintain_order=True)
    )


def _decoded(records: pl.DataFrame, *, site: SiteConfig) -> pl.DataFrame:
    columns = site.columns
    struct = pl.Struct({name: JSON_DTYPES[spec.type] for name, spec in columns.items()})
    dates = [name for name, spec in columns.items() if spec.type == "date"]
    return (
        records.with_columns(pl.col("payload").str.json_decode(struct).alias("__data"))
        .unnest("__data")
        .with_columns(pl.col(dates).str.to_date("%Y-%m-%d"))
    )


def _mark_invalid(lines: pl.DataFrame, *, site: SiteConfig) -> pl.DataFrame:
    """Records breaking a declared column constraint become ``invalid`` lines with the reason."""
    checks = [
        reason
        for name, spec in site.columns.items()
        for reason in constraint_reasons(pl.col(name), name=name, spec=spec, kind=spec.type)
    ]
    indexed = lines.with_row_index("__line")
    records = indexed.filter(pl.col("kind") == "record")
    if not checks or records.is_empty():
        return lines
    why = _decoded(records, site=site).select(
        "__line", pl.concat_str(checks, separator="; ", ignore_nulls=True).alias("__why")
    )
    marked = indexed.join(why.filter(pl.col("__why") != ""), on="__line", how="left")
    broken = pl.col("__why").is_not_null()
    return marked.with_columns(
        pl.when(broken).then(pl.lit("invalid")).otherwise(pl.col("kind")).alias("kind"),
        pl.when(broken).then(pl.col("__why")).otherwise(pl.col("reason")).alias("reason"),
    ).drop("__line", "__why")
