"""Live timing, a page whose table is rendered by JavaScript: fetched with scrapy-playwright
driving the system Chromium (see ``PLAYWRIGHT_LAUNCH_OPTIONS`` in the settings)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy_playwright.page import PageMethod

from pitwall.scraping.items import TimingEntry
from pitwall.scraping.spiders.base import SiteSpider, text_of

ROW = "#timing tbody tr.car"
PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


class LiveTimingSpider(SiteSpider):
    name = "live_timing"
    default_site = "live_timing"
    custom_settings = {
        "DOWNLOAD_HANDLERS": {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER},
    }

    def make_start_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse,
            meta={
                "playwright": True,
                "playwright_page_methods": [PageMethod("wait_for_selector", ROW)],
            },
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[TimingEntry]:
        for row in response.css(ROW):
            yield TimingEntry(
                url=response.url,
                position=text_of(row, "td.position"),
                car_number=text_of(row, "td.car-number"),
                driver=text_of(row, "td.driver"),
                laps=text_of(row, "td.laps"),
                best_lap=text_of(row, "td.best-lap"),
                gap=text_of(row, "td.gap"),
            )
