"""Crawler extensions of the Pitwall Scrapy project."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class StatsFileExtension:
    """Writes the final crawl stats as JSON to the ``PITWALL_STATS_FILE`` setting's path, so a
    parent process (``run_crawl``) can read the outcome of a crawl it ran in a subprocess."""

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("PITWALL_STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        tmp = self.path.with_name(f".{self.path.name}.part")
        tmp.write_text(json.dumps(stats, default=str, sort_keys=True))
        os.replace(tmp, self.path)
