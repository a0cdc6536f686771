"""The Kedro dataset of a scraped site's landing zone (``landing.scraper.<site>``).

Example catalog entry (a dataset factory: one dataset per site)::

    "landing.scraper.{site}":
      type: pitwall.scraping.datasets.ScraperFeedDataset
      site: "{site}"
      settings: {DOWNLOAD_DELAY: 0}
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from pitwall.datasets.lake_options import LakeOptions
from pitwall.lake.delta import open_table
from pitwall.lake.ingest import make_batch_id, utc_now
from pitwall.lake.records import read_finished_batches
from pitwall.lake.txn import read_batch_ids
from pitwall.scraping.config import read_scraper_config
from pitwall.scraping.crawl import CrawlError, run_crawl
from pitwall.scraping.lake import ScrapedFeed, raw_table
from pitwall.scraping.landing import FeedFile, list_feed_files, read_feed_lines

log = logging.getLogger(__name__)


class ScraperFeedDataset(LakeOptions, AbstractDataset[None, Iterator[ScrapedFeed]]):
    """Load crawls the site (a subprocess), then gives its feed files not landed yet, each
    read as lines. A failed crawl is reported as a feed with its error (other sites still
    land, and feeds already in the landing zone land as well).

    Args:
        site: a site of ``sources_sites.yml``.
        crawl: run the crawl before reading the landing zone (False: land what is there).
        settings: Scrapy setting overrides for the crawl.
        timeout: seconds the crawl may take.
    """

    def __init__(
        self,
        *,
        site: str,
        crawl: bool = True,
        settings: dict[str, Any] | None = None,
        timeout: float = 900.0,
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lake_uri=lake_uri, metadata=metadata)
        self._site = site
        self._crawl = crawl
        self._settings = dict(settings or {})
        self._timeout = timeout

    def load(self) -> Iterator[ScrapedFeed]:
        failed = self._run_crawl() if self._crawl else None
        if failed is not None:
            yield failed
        pending = self._pending()
        log.info("scraper %s: %d new feed file(s)", self._site, len(pending))
        for feed in pending:
            yield ScrapedFeed(
                self._site, feed.batch_id, feed.marker, utc_now(), lines=read_feed_lines([feed])
            )

    def _run_crawl(self) -> ScrapedFeed | None:
        started = utc_now()
        try:
            run_crawl(self._site, settings=self._settings, timeout=self._timeout)
        except CrawlError as exc:
            log.error("%s", exc)
            crawl = f"{self._site}/crawl@{started.isoformat()}"
            batch = make_batch_id("scraper", fingerprint=crawl)
            return ScrapedFeed(self._site, batch, crawl, started, error=f"crawl failed: {exc}")
        return None

    def _pending(self) -> list[FeedFile]:
        config = read_scraper_config()
        files = list_feed_files(config.landing_dir, [self._site])
        if not files:
            return []
        options = self.lake.storage_options
        table = open_table(
            self.lake.table_uri("raw", raw_table(self._site)), storage_options=options
        )
        ids = {f.batch_id for f in files}
        landed = read_batch_ids(table, storage_options=options, candidates=ids)
        landed |= read_finished_batches(ids - landed, lake=self.lake)
        return [f for f in files if f.batch_id not in landed]

    def save(self, data: None) -> None:
        raise DatasetError("the scraper landing zone is written by the crawls, not by Kedro")

    def _exists(self) -> bool:
        return True

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "site": self._site, "crawl": self._crawl}

    def preview(self, nrows: int = 20) -> TablePreview:
        data = [[f.site, f.name] for f in self._pending()[-nrows:]]
        return TablePreview({"columns": ["site", "feed"], "data": data})
