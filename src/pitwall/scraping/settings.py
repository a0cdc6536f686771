"""Scrapy settings of the Pitwall project (``scrapy.cfg`` at the repo root points here).

Polite by default, as in Scrapy's project template: robots.txt obeyed, an identifying user
agent, one request at a time per site, AutoThrottle on. Crawls of our own sandbox turn that off
with overrides (``pitwall.scraping.NO_DELAYS``; standalone:
``scrapy crawl leaderboard -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False``).
"""

from __future__ import annotations

import os

from pitwall.scraping.config import read_scraper_config
from pitwall.settings import get_settings

BOT_NAME = "pitwall"
SPIDER_MODULES = ["pitwall.scraping.spiders"]
NEWSPIDER_MODULE = "pitwall.scraping.spiders"

# -- politeness -------------------------------------------------------------------------------
USER_AGENT = "pitwall-scraper/0.1 (+https://github.com/pitwall/pitwall; data-team@pitwall.dev)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

# -- HTTP cache: off by default; `-s HTTPCACHE_ENABLED=True` re-parses without refetching -----
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = str(get_settings().home / "data" / "run" / "scrapy-httpcache")
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# -- items: spiders extract, pipelines validate -> normalise -> deduplicate ---------------------
ITEM_PIPELINES = {
    "pitwall.scraping.pipelines.ValidationPipeline": 100,
    "pitwall.scraping.pipelines.NormalisationPipeline": 200,
    "pitwall.scraping.pipelines.DeduplicationPipeline": 300,
}

# -- output: one JSONL file per crawl in the landing zone, published atomically ---------------
# (a folder, or an s3:// prefix: see pitwall.scraping.feeds)
PITWALL_LANDING_DIR = str(read_scraper_config().landing_dir)
FEED_STORAGES = {
    "file": "pitwall.scraping.feeds.AtomicFileFeedStorage",
    "landing": "pitwall.scraping.feeds.LandingFeedStorage",
}
AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL")  # an S3-compatible store (not AWS)
AWS_REGION_NAME = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
FEEDS = {
    "landing:/%(site)s/%(crawl_id)s.jsonl": {
        "format": "jsonlines",
        "encoding": "utf8",
        "store_empty": False,
        "overwrite": True,
    }
}
FEED_EXPORT_ENCODING = "utf-8"

# -- crawl bookkeeping and checks ------------------------------------------------------------
EXTENSIONS = {"pitwall.scraping.extensions.StatsFileExtension": 500}
PITWALL_STATS_FILE = ""
SPIDER_CONTRACTS = {"pitwall.scraping.contracts.SitePathContract": 10}
LOG_LEVEL = "INFO"
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"

# -- JavaScript pages: scrapy-playwright with the system Chromium (playwright cannot download
# its own browser here). Only spiders that set the download handlers use it.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("PITWALL_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4

# -- no debugging servers in crawls ---------------------------------------------------------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
