"""Spider parsing against saved responses of the sandbox site (no network)."""

from __future__ import annotations

import json

import pytest
import scrapy
from scrapy.http import HtmlResponse

from pitwall.scraping.items import LapEntry, TableRow, TimingEntry
from pitwall.scraping.spiders.leaderboard import LeaderboardSpider
from pitwall.scraping.spiders.live_timing import LiveTimingSpider
from pitwall.scraping.spiders.table import TableSpider
from sandbox.website import PRIVATE_LAP_PATH, build_site
from tests.scraping.fixtures import OFFLINE_BASE, saved_response


def test_listing_page_follows_every_lap_row_then_the_next_page() -> None:
    spider = LeaderboardSpider(base_url=OFFLINE_BASE)
    out = list(spider.parse(saved_response("/leaderboard/page-2.html")))
    assert all(isinstance(r, scrapy.Request) for r in out)
    laps = [r for r in out if r.callback == spider.parse_lap]
    assert len(laps) == 21  # 20 laps + the repeated last lap of page 1
    assert laps[0].url == f"{OFFLINE_BASE}/laps/L00020.html?from=page-2"
    assert laps[0].cb_kwargs == {"position": "20"}
    assert out[-1].url == f"{OFFLINE_BASE}/leaderboard/page-3.html"
    assert out[-1].callback == spider.parse


def test_first_listing_page_links_the_robots_disallowed_lap_too() -> None:
    spider = LeaderboardSpider(base_url=OFFLINE_BASE)
    urls = [r.url for r in spider.parse(saved_response("/leaderboard/page-1.html"))]
    assert f"{OFFLINE_BASE}{PRIVATE_LAP_PATH}" in urls


def test_last_listing_page_has_no_next_page() -> None:
    spider = LeaderboardSpider(base_url=OFFLINE_BASE)
    out = list(spider.parse(saved_response("/leaderboard/page-3.html")))
    assert all(r.callback == spider.parse_lap for r in out)


def test_lap_page_extracts_text_only() -> None:
    spider = LeaderboardSpider(base_url=OFFLINE_BASE)
    (lap,) = spider.parse_lap(saved_response("/laps/L00001.html"), position="1")
    assert isinstance(lap, LapEntry)
    assert lap.lap_id == "L00001"
    assert lap.position == "1"
    assert lap.track == "Spa-Francorchamps"
    assert lap.lap_time is not None and lap.lap_time.count(":") == 1  # still text, e.g. 2:17.1
    assert lap.set_on is not None and len(lap.set_on) == 10
    assert lap.url == f"{OFFLINE_BASE}/laps/L00001.html"


def test_broken_lap_page_yields_what_is_there() -> None:
    spider = LeaderboardSpider(base_url=OFFLINE_BASE)
    (lap,) = spider.parse_lap(saved_response("/laps/L00005.html"), position="5")
    assert lap.driver is None
    assert lap.lap_time is not None and "x" in lap.lap_time
    assert lap.sector_2 == "n/a"


def test_table_spider_row_mode_with_pagination() -> None:
    spider = TableSpider(site="standings", base_url=OFFLINE_BASE)
    out = list(spider.parse(saved_response("/standings/page-1.html")))
    rows = [r for r in out if isinstance(r, TableRow)]
    assert len(rows) == 10
    assert rows[0].cells["position"] == "1"
    assert rows[0].cells["points"] is not None and rows[0].cells["points"].isdigit()  # "399 pts"
    assert set(rows[0].cells) == {"position", "driver", "team", "points", "wins"}
    (next_page,) = [r for r in out if isinstance(r, scrapy.Request)]
    assert next_page.url == f"{OFFLINE_BASE}/standings/page-2.html"


def test_table_spider_html_table_mode_finds_columns_by_header() -> None:
    spider = TableSpider(site="tracks", base_url=OFFLINE_BASE)
    rows = list(spider.parse(saved_response("/tracks.html")))
    assert len(rows) == 10
    assert rows[1] == TableRow(
        url=f"{OFFLINE_BASE}/tracks.html",
        cells={"track": "Monza", "country": "IT", "length_km": "5.793", "turns": "11"},
    )


def test_table_spider_refuses_a_site_of_another_spider() -> None:
    with pytest.raises(ValueError, match="leaderboard"):
        TableSpider(site="laps")


def _rendered_timing() -> bytes:
    """The live timing page as Chromium renders it (what timing.js builds from timing.json)."""
    site = build_site()
    rows = json.loads(site["/live/timing.json"].body)
    keys = ["position", "car_number", "driver", "laps", "best_lap", "gap"]
    trs = "".join(
        "<tr class='car'>"
        + "".join(f"<td class='{k.replace('_', '-')}'>{row[k]}</td>" for k in keys)
        + "</tr>"
        for row in rows
    )
    html = site["/live/timing.html"].body.decode()
    return html.replace("<tbody></tbody>", f"<tbody>{trs}</tbody>").encode()


def test_live_timing_parses_the_rendered_table_and_asks_for_a_browser() -> None:
    spider = LiveTimingSpider(base_url=OFFLINE_BASE)
    request = spider.make_start_request(f"{OFFLINE_BASE}/live/timing.html")
    assert request.meta["playwright"] is True
    response = HtmlResponse(url=request.url, body=_rendered_timing(), encoding="utf-8")
    entries = list(spider.parse(response))
    assert len(entries) == 12
    assert isinstance(entries[0], TimingEntry)
    assert entries[0].position == "1" and entries[0].gap is None
    assert entries[-1].gap == "+1 lap"


def test_live_timing_without_javascript_has_no_rows() -> None:
    spider = LiveTimingSpider(base_url=OFFLINE_BASE)
    assert list(spider.parse(saved_response("/live/timing.html"))) == []
