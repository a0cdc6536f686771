"""The base of Pitwall spiders: one spider run scrapes one configured site."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import scrapy
from parsel import Selector, SelectorList

from pitwall.scraping.config import SiteConfig, read_scraper_config
from pitwall.scraping.feeds import new_crawl_id


class SiteSpider(scrapy.Spider):
    """A spider bound to a site of ``sources_sites.yml`` (``-a site=<name>``, else
    ``default_site``). ``base_url`` (``-a base_url=``) overrides the site's host and
    ``crawl_id`` (``-a crawl_id=``) names the feed file."""

    default_site: ClassVar[str | None] = None

    def __init__(
        self,
        *args: Any,
        site: str | None = None,
        base_url: str | None = None,
        crawl_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        name = site or self.default_site
        if not name:
            raise ValueError(
                f"spider {self.name!r} needs a site: scrapy crawl {self.name} -a site="
            )
        config = read_scraper_config().site(name)
        if config.spider != self.name:
            raise ValueError(f"site {name!r} is for spider {config.spider!r}, not {self.name!r}")
        if base_url:
            config = config.model_copy(update={"base_url": base_url})
        self.site = name
        self.site_config: SiteConfig = config
        self.crawl_id = crawl_id or new_crawl_id()

    @property
    def base_url(self) -> str:
        return self.site_config.base_url

    async def start(self) -> AsyncIterator[Any]:
        for url in self.site_config.start_requests_urls():
            yield self.make_start_request(url)

    def make_start_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse)


def text_of(selector: Selector | SelectorList[Selector], query: str) -> str | None:
    """All text under the nodes matching CSS ``query``, whitespace-joined; None if none."""
    texts = selector.css(query).css("::text").getall()
    return " ".join(t.strip() for t in texts if t.strip()) or None
