"""Scraped data in the lake.

- RAW ``raw.scraper_items``: one row per valid feed line (site, page URL, record as JSON) plus
  the ingestion metadata. Each feed file lands once: its marker is committed with its rows.
- quarantine ``quarantine.scraper``: rejected items (reason, page URL, extracted text) and
  malformed lines.
- CLEAN ``clean.<site table>``: typed per the site's columns, merged by the site's keys. CLEAN
  commits the feed markers it merged, so RAW feeds not merged yet are picked up next run.

Order of writes for a landing batch (each idempotent, so an interrupted run is simply rerun):
quarantine (rows of a batch replaced) -> ingestion log (merged by batch id) -> RAW append with
the feeds' markers. Until the RAW commit, the feeds count as not landed.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pitwall.lake.delta import open_table, read_markers, scan_table, write_table
from pitwall.lake.ingest import TIMESTAMP, BatchOutcome
from pitwall.lake.layout import Lake
from pitwall.lake.records import write_ingestion_log, write_quarantine
from pitwall.scraping.config import SiteConfig

RAW_TABLE = "scraper_items"
QUARANTINE_TABLE = "scraper"
PIPELINE = "ingest_scraper"
RAW_SCHEMA: dict[str, pl.DataType] = {
    "_batch_id": pl.String(),
    "_ingested_at": TIMESTAMP,
    "_source": pl.String(),
    "_source_row": pl.Int64(),
    "site": pl.String(),
    "url": pl.String(),
    "data": pl.String(),
}


@dataclass(frozen=True)
class FeedBatch:
    """New feed files made into lake rows: what lands in RAW, quarantine and the log."""

    markers: tuple[str, ...]
    raw: pl.DataFrame
    quarantine: pl.DataFrame
    outcomes: tuple[BatchOutcome, ...]


@dataclass(frozen=True)
class SiteRows:
    """Rows of one site on their way to CLEAN, and the feed markers they come from."""

    site: SiteConfig
    markers: tuple[str, ...]
    rows: pl.DataFrame


def raw_uri(lake: Lake) -> str:
    return lake.table_uri("raw", RAW_TABLE)


def clean_uri(site: SiteConfig, lake: Lake) -> str:
    return lake.table_uri("clean", site.table)


def landed_markers(lake: Lake) -> set[str]:
    """Feed files already landed in RAW (``<site>/<file name>``)."""
    return read_markers(raw_uri(lake), storage_options=lake.storage_options)


def write_feed_batch(batch: FeedBatch, *, lake: Lake) -> None:
    """Land a batch: quarantine, ingestion log, then RAW rows with the feeds' markers."""
    if not batch.markers:
        return
    write_quarantine(batch.quarantine, QUARANTINE_TABLE, lake=lake)
    write_ingestion_log(list(batch.outcomes), lake=lake)
    write_table(
        batch.raw.select(list(RAW_SCHEMA)).cast(RAW_SCHEMA),  # type: ignore[arg-type]
        raw_uri(lake),
        mode="append",
        markers=batch.markers,
        storage_options=lake.storage_options,
    )


def read_unmerged(site: SiteConfig, *, lake: Lake) -> SiteRows | None:
    """The RAW rows of the site's feeds that CLEAN has not merged yet (None: nothing pending)."""
    options = lake.storage_options
    landed = {m for m in landed_markers(lake) if m.split("/", 1)[0] == site.name}
    pending = sorted(landed - read_markers(clean_uri(site, lake), storage_options=options))
    if not pending:
        return None
    rows = (
        scan_table(raw_uri(lake), storage_options=options)
        .filter(pl.col("_source").is_in(pending))
        .collect()
    )
    return SiteRows(site, tuple(pending), rows)


def write_clean_rows(rows: SiteRows, *, lake: Lake) -> None:
    """Merge typed rows into the site's CLEAN table by its keys, committing their markers."""
    uri = clean_uri(rows.site, lake)
    exists = open_table(uri, storage_options=lake.storage_options) is not None
    write_table(
        rows.rows,
        uri,
        mode="merge" if exists and not rows.rows.is_empty() else "append",
        keys=rows.site.keys,
        markers=rows.markers,
        storage_options=lake.storage_options,
    )


def scan_clean(site: SiteConfig, *, lake: Lake) -> pl.LazyFrame | None:
    uri = clean_uri(site, lake)
    if open_table(uri, storage_options=lake.storage_options) is None:
        return None
    return scan_table(uri, storage_options=lake.storage_options)
