"""The hotlap leaderboard: paginated listing pages, one detail page per lap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from pitwall.scraping.items import LapEntry
from pitwall.scraping.spiders.base import SiteSpider, text_of


class LeaderboardSpider(SiteSpider):
    name = "leaderboard"
    default_site = "laps"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A listing page: follow every lap row, then the next page.

        @path /leaderboard/page-1.html
        @returns items 0 0
        @returns requests 22 22
        """
        for row in response.css("table.leaderboard tr.lap"):
            href = row.css("td.driver a::attr(href)").get()
            if href:
                position = text_of(row, "td.pos")
                yield response.follow(href, self.parse_lap, cb_kwargs={"position": position})
        next_page = response.css("a.next::attr(href)").get()
        if next_page:
            yield response.follow(next_page, self.parse)

    def parse_lap(self, response: Response, position: str | None = None) -> Iterator[LapEntry]:
        """A lap's detail page.

        @path /laps/L00001.html
        @cb_kwargs {"position": "1"}
        @returns items 1 1
        @returns requests 0 0
        @scrapes url lap_id position driver car track lap_time sector_1 set_on
        """
        lap = response.css("article.lap")
        yield LapEntry(
            url=response.url,
            lap_id=text_of(lap, "dd.lap-id"),
            position=position,
            driver=text_of(lap, "dd.driver"),
            nationality=text_of(lap, "dd.nationality"),
            car=text_of(lap, "dd.car"),
            track=text_of(lap, "dd.track"),
            lap_time=text_of(lap, "dd.lap-time"),
            sector_1=text_of(lap, "dd.sectors .s1"),
            sector_2=text_of(lap, "dd.sectors .s2"),
            sector_3=text_of(lap, "dd.sectors .s3"),
            set_on=lap.css("dd.set-on time::attr(datetime)").get(),
        )
