"""The Pitwall Scrapy project (``scrapy.cfg`` at the repo root) and its crawl runner."""

from pitwall.scraping.config import ScraperConfig, SiteConfig, read_scraper_config
from pitwall.scraping.crawl import NO_DELAYS, CrawlError, CrawlResult, run_crawl

__all__ = [
    "NO_DELAYS",
    "CrawlError",
    "CrawlResult",
    "ScraperConfig",
    "SiteConfig",
    "read_scraper_config",
    "run_crawl",
]
