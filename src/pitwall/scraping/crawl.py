"""Run one crawl in a subprocess (Scrapy's Twisted reactor can start only once per process).

The subprocess is ``python -m scrapy crawl ...`` from an argument list, never a shell.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess  # nosec B404
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pitwall.scraping.config import read_scraper_config
from pitwall.scraping.feeds import new_crawl_id
from pitwall.scraping.landing import published_feed
from pitwall.settings import get_settings

log = logging.getLogger(__name__)

SETTINGS_MODULE = "pitwall.scraping.settings"
NO_DELAYS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}
"""Setting overrides for crawls of our own sandbox (tests, benchmark): politeness off."""


class CrawlError(RuntimeError):
    """The crawl process failed, or fetched nothing at all."""


@dataclass(frozen=True)
class CrawlResult:
    """What a crawl produced: its feed file (None when it scraped no item) and its stats."""

    spider: str
    site: str
    crawl_id: str
    feed: Path | str | None
    """A local path, or the ``s3://`` URI of the feed when the landing zone is on S3."""
    stats: dict[str, Any]

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))


def run_crawl(
    site: str,
    *,
    base_url: str | None = None,
    landing_dir: Path | str | None = None,
    settings: Mapping[str, Any] | None = None,
    timeout: float = 900.0,
) -> CrawlResult:
    """Crawl one configured site with ``scrapy crawl <spider> -a site=<site>`` in a subprocess.

    Args:
        site: a site of ``sources_sites.yml``; its ``spider`` is run.
        base_url: override the site's host (default: conf / ``PITWALL_WEBSITE_URL``).
        landing_dir: where the feed lands, a folder or an ``s3://`` prefix (default: conf
            ``landing_dir``).
        settings: Scrapy setting overrides (``-s``), e.g. :data:`NO_DELAYS`.
        timeout: seconds before the crawl is killed (its partial feed is never published).

    Raises:
        CrawlError: the process failed or timed out, or not a single page was fetched.
    """
    config = read_scraper_config()
    spider = config.site(site).spider
    landing = landing_dir or config.landing_dir
    crawl_id = new_crawl_id()
    with tempfile.TemporaryDirectory(prefix="pitwall-crawl-") as tmp:
        stats_file = Path(tmp) / "stats.json"
        overrides = {
            **dict(settings or {}),
            "PITWALL_LANDING_DIR": str(landing),
            "PITWALL_STATS_FILE": str(stats_file),
        }
        command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"site={site}"]
        command += ["-a", f"crawl_id={crawl_id}"]
        if base_url:
            command += ["-a", f"base_url={base_url}"]
        for key, value in overrides.items():
            command += ["-s", f"{key}={_setting_text(value)}"]
        log.info("crawling site %s with spider %s (crawl %s)", site, spider, crawl_id)
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": SETTINGS_MODULE}
        try:
            done = subprocess.run(  # nosec B603
                command,
                cwd=get_settings().home,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CrawlError(f"crawl of {site} killed after {timeout:.0f}s") from exc
        if done.returncode != 0 or not stats_file.exists():
            raise CrawlError(
                f"crawl of {site} failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
            )
        stats = json.loads(stats_file.read_text())
    feed = published_feed(landing, site, f"{crawl_id}.jsonl")
    result = CrawlResult(spider, site, crawl_id, feed, stats)
    if result.pages == 0:
        errors = {k: v for k, v in stats.items() if k.startswith("downloader/exception_type")}
        raise CrawlError(f"crawl of {site} fetched no page from {base_url or 'conf'}: {errors}")
    log.info(
        "crawled %s: %d pages, %d items, %d rejected (%s)",
        site,
        result.pages,
        stats.get("item_scraped_count", 0),
        stats.get("pitwall/validation/rejected", 0),
        stats.get("finish_reason"),
    )
    return result


def _setting_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
