"""Nodes of ingest_scraper: pure functions of feed lines and polars frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pitwall.lake.commit import CleanChunk, LandedBatch, QuarantineRows
from pitwall.lake.txn import Unmerged
from pitwall.scraping.config import parse_scraper_config
from pitwall.scraping.lake import ScrapedFeed, feed_batch, split_site_rows


def land_scraped_feeds(feeds: Iterable[ScrapedFeed]) -> Iterator[LandedBatch]:
    """Each new feed file as a RAW batch: every line as the crawl wrote it, with metadata (a
    failed crawl: its error, for the log)."""
    for feed in feeds:
        yield feed_batch(feed)


def split_scraped_rows(
    pending: Unmerged | None, params: dict[str, Any], *, site: str
) -> Iterator[tuple[QuarantineRows, CleanChunk]]:
    """A site's RAW lines not merged yet -> quarantine (rejected items, malformed lines, gated
    feeds) and records typed per the site's columns, the latest row per key."""
    declared = parse_scraper_config(params["scraper"]).site(site)
    if pending is None or pending.is_empty:
        yield QuarantineRows.nothing(), CleanChunk.nothing(declared.table)
        return
    share = float(params.get("max_rejected_share", 1.0))
    yield split_site_rows(pending, site=declared, max_rejected_share=share)
