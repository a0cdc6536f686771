"""The generic table spider: a new site of this shape is a ``spider: table`` entry in
``sources_sites.yml`` (start URLs, row/column selectors or an HTML table, next page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from pitwall.scraping.items import TableRow
from pitwall.scraping.spiders.base import SiteSpider
from pitwall.scraping.tables import extract_rows


class TableSpider(SiteSpider):
    """``scrapy crawl table -a site=standings``."""

    name = "table"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        site = self.site_config
        for cells in extract_rows(response.selector, site):
            yield TableRow(url=response.url, cells=cells)
        if site.next_page and (href := response.css(site.next_page).get()):
            yield response.follow(href, self.parse)
