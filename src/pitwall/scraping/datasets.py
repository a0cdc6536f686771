"""Kedro datasets of ``ingest_scraper``: the crawl (landing), RAW and CLEAN.

Example catalog entries::

    scraper_feeds:
      type: pitwall.scraping.datasets.ScraperFeedsDataset
      settings: {DOWNLOAD_DELAY: 0}
    scraper_raw:
      type: pitwall.scraping.datasets.ScraperRawDataset
    scraper_clean:
      type: pitwall.scraping.datasets.ScraperCleanDataset
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from pitwall.datasets.lake_options import LakeOptions, preview_frame
from pitwall.lake.delta import open_table, scan_table
from pitwall.scraping.config import ScraperConfig, SiteConfig, read_scraper_config
from pitwall.scraping.crawl import CrawlError, CrawlResult, run_crawl
from pitwall.scraping.lake import (
    FeedBatch,
    SiteRows,
    clean_uri,
    landed_markers,
    raw_uri,
    read_unmerged,
    scan_clean,
    write_clean_rows,
    write_feed_batch,
)
from pitwall.scraping.landing import FEED_LINE_SCHEMA, list_feed_files, read_feed_lines

log = logging.getLogger(__name__)


class _SitesDataset(LakeOptions):
    """Common options: which configured sites (default: all) and which lake."""

    def __init__(
        self,
        *,
        sites: list[str] | None = None,
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lake_uri=lake_uri, metadata=metadata)
        self._sites = list(sites) if sites else None

    def config(self) -> ScraperConfig:
        return read_scraper_config()

    def sites(self, config: ScraperConfig | None = None) -> list[SiteConfig]:
        config = config or self.config()
        return [config.site(name) for name in (self._sites or sorted(config.sites))]

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "sites": self._sites or "all"}


class ScraperFeedsDataset(_SitesDataset, AbstractDataset[None, pl.DataFrame]):
    """Load crawls every site (one subprocess each) and returns the lines of the feed files in
    the landing zone that have not landed in RAW yet (:data:`FEED_LINE_SCHEMA`).

    Args:
        sites: site names of ``sources_sites.yml`` (default: all).
        crawl: run the crawls before reading the landing zone (False: land what is there).
        settings: Scrapy setting overrides for the crawls.
        timeout: seconds per crawl.
        parallel: crawls run at the same time (each is a subprocess).

    Raises:
        CrawlError: after all crawls ended, if any failed (the feeds of the others stay in the
            landing zone and land with the next run).
    """

    def __init__(
        self,
        *,
        sites: list[str] | None = None,
        crawl: bool = True,
        settings: dict[str, Any] | None = None,
        timeout: float = 900.0,
        parallel: int = 2,
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(sites=sites, lake_uri=lake_uri, metadata=metadata)
        self._crawl = crawl
        self._settings = dict(settings or {})
        self._timeout = timeout
        self._parallel = max(1, parallel)
        self.crawls: list[CrawlResult] = []
        """The crawls of the last load (pages, stats, feed)."""

    def load(self) -> pl.DataFrame:
        config = self.config()
        sites = self.sites(config)
        if self._crawl:
            self._run_crawls([s.name for s in sites])
        done = landed_markers(self.lake)
        files = [
            f
            for f in list_feed_files(config.landing_dir, [s.name for s in sites])
            if f.marker not in done
        ]
        log.info("scraper landing: %d new feed file(s)", len(files))
        return read_feed_lines(files)

    def _run_crawls(self, sites: list[str]) -> None:
        def crawl(site: str) -> CrawlResult | CrawlError:
            try:
                return run_crawl(site, settings=self._settings, timeout=self._timeout)
            except CrawlError as exc:
                log.error("%s", exc)
                return exc

        with ThreadPoolExecutor(max_workers=self._parallel) as pool:
            outcomes = list(pool.map(crawl, sites))
        self.crawls = [c for c in outcomes if isinstance(c, CrawlResult)]
        failures = [e for e in outcomes if isinstance(e, CrawlError)]
        if failures:
            raise CrawlError(f"{len(failures)} crawl(s) failed; first: {failures[0]}")

    def save(self, data: None) -> None:
        raise DatasetError("the scraper landing zone is written by the crawls, not by Kedro")

    def _exists(self) -> bool:
        return True

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "crawl": self._crawl, "settings": self._settings}

    def preview(self, nrows: int = 20) -> TablePreview:
        config = self.config()
        files = list_feed_files(config.landing_dir, [s.name for s in self.sites(config)])
        data = [[f.site, f.path.name] for f in files[-nrows:]]
        return TablePreview({"columns": ["site", "feed"], "data": data})


class ScraperRawDataset(_SitesDataset, AbstractDataset[dict[str, SiteRows], FeedBatch]):
    """Save lands a :class:`FeedBatch` (quarantine, log, RAW with markers); load returns, by
    site, the RAW rows CLEAN has not merged yet."""

    def save(self, data: FeedBatch) -> None:
        write_feed_batch(data, lake=self.lake)
        log.info(
            "scraper RAW: %d feed(s), %d row(s) landed, %d quarantined",
            len(data.markers),
            data.raw.height,
            data.quarantine.height,
        )

    def load(self) -> dict[str, SiteRows]:
        lake = self.lake
        pending = {s.name: read_unmerged(s, lake=lake) for s in self.sites()}
        return {name: rows for name, rows in pending.items() if rows is not None}

    def _exists(self) -> bool:
        lake = self.lake
        return open_table(raw_uri(lake), storage_options=lake.storage_options) is not None

    def preview(self, nrows: int = 20) -> TablePreview:
        lake = self.lake
        if not self._exists():
            return TablePreview({"columns": list(FEED_LINE_SCHEMA), "data": []})
        frame = scan_table(raw_uri(lake), storage_options=lake.storage_options).head(nrows)
        return preview_frame(frame.collect())


class ScraperCleanDataset(
    _SitesDataset, AbstractDataset[dict[str, pl.LazyFrame], dict[str, SiteRows]]
):
    """Save merges each site's typed rows into its CLEAN table; load scans those tables."""

    def save(self, data: dict[str, SiteRows]) -> None:
        lake = self.lake
        for rows in data.values():
            write_clean_rows(rows, lake=lake)
            log.info("scraper CLEAN %s: merged %d row(s)", rows.site.table, rows.rows.height)

    def load(self) -> dict[str, pl.LazyFrame]:
        lake = self.lake
        scans = {s.table: scan_clean(s, lake=lake) for s in self.sites()}
        return {table: scan for table, scan in scans.items() if scan is not None}

    def _exists(self) -> bool:
        lake = self.lake
        return any(
            open_table(clean_uri(s, lake), storage_options=lake.storage_options) is not None
            for s in self.sites()
        )

    def preview(self, nrows: int = 20) -> TablePreview:
        rows = [
            [f"clean.{table}", int(scan.select(pl.len()).collect().item())]
            for table, scan in self.load().items()
        ]
        return TablePreview({"columns": ["table", "rows"], "data": rows[:nrows]})
