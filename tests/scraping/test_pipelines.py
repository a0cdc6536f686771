"""Item pipelines: validation -> normalisation -> deduplication, with their stats."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from pitwall.scraping.items import LapEntry, RejectedRecord, ScrapedRecord, TableRow
from pitwall.scraping.pipelines import (
    DeduplicationPipeline,
    NormalisationPipeline,
    ValidationPipeline,
)
from pitwall.scraping.settings import ITEM_PIPELINES
from pitwall.scraping.spiders.leaderboard import LeaderboardSpider
from pitwall.scraping.spiders.table import TableSpider


def _crawler(spider_cls: type, **spider_kwargs: Any) -> Crawler:
    crawler = get_crawler(spider_cls, {})
    crawler.spider = crawler._create_spider(base_url="http://sandbox.test", **spider_kwargs)
    return crawler


def _run(crawler: Crawler, item: Any) -> Any:
    for cls in (ValidationPipeline, NormalisationPipeline, DeduplicationPipeline):
        item = cls.from_crawler(crawler).process_item(item)
    return item


def _lap(**changes: str | None) -> LapEntry:
    fields: dict[str, Any] = {
        "url": "http://sandbox.test/laps/L00001.html",
        "lap_id": "L00001",
        "position": "1",
        "driver": "Max  Fischer",
        "nationality": "FI",
        "car": "Audi R8 LMS",
        "track": "Spa-Francorchamps",
        "lap_time": "2:17.345",
        "sector_1": "0:44.001",
        "sector_2": None,
        "sector_3": "0:35.000",
        "set_on": "2024-05-01",
    }
    return LapEntry(**{**fields, **changes})


def test_pipelines_run_in_declared_order() -> None:
    order = sorted(ITEM_PIPELINES, key=ITEM_PIPELINES.__getitem__)
    assert [p.rsplit(".", 1)[1] for p in order] == [
        "ValidationPipeline",
        "NormalisationPipeline",
        "DeduplicationPipeline",
    ]


def test_valid_lap_becomes_a_typed_record() -> None:
    crawler = _crawler(LeaderboardSpider)
    record = _run(crawler, _lap())
    assert isinstance(record, ScrapedRecord)
    assert record.site == "laps"
    assert record.data["lap_time_ms"] == 137_345
    assert record.data["position"] == 1
    assert record.data["driver"] == "Max Fischer"
    assert record.data["sector_2_ms"] is None  # optional column, absent
    assert crawler.stats is not None
    assert crawler.stats.get_value("pitwall/validation/valid") == 1
    assert crawler.stats.get_value("pitwall/normalisation/records") == 1
    assert crawler.stats.get_value("pitwall/dedup/unique") == 1


def test_invalid_lap_is_rejected_with_every_reason_and_the_text() -> None:
    crawler = _crawler(LeaderboardSpider)
    rejected = _run(crawler, _lap(driver=None, lap_time="2:1x.950", sector_2="n/a"))
    assert isinstance(rejected, RejectedRecord)
    assert rejected.url.endswith("/laps/L00001.html")
    assert rejected.reason == (
        "driver: missing; lap_time_ms: malformed duration '2:1x.950'; "
        "sector_2_ms: malformed duration 'n/a'"
    )
    assert rejected.record["lap_time"] == "2:1x.950"
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    assert stats["pitwall/validation/rejected"] == 1
    assert stats["pitwall/validation/rejected/driver"] == 1
    assert "pitwall/normalisation/records" not in stats


def test_duplicate_keys_are_dropped_and_counted() -> None:
    crawler = _crawler(LeaderboardSpider)
    validation, normalisation, dedup = (
        cls.from_crawler(crawler)
        for cls in (ValidationPipeline, NormalisationPipeline, DeduplicationPipeline)
    )
    first = _lap()
    again = _lap(url="http://sandbox.test/laps/L00001.html?from=page-2")
    dedup.process_item(normalisation.process_item(validation.process_item(first)))
    with pytest.raises(DropItem, match="duplicate"):
        dedup.process_item(normalisation.process_item(validation.process_item(again)))
    assert crawler.stats is not None
    assert crawler.stats.get_value("pitwall/dedup/duplicates") == 1
    assert crawler.stats.get_value("pitwall/dedup/unique") == 1


def test_table_rows_are_typed_from_the_site_columns() -> None:
    crawler = _crawler(TableSpider, site="tracks")
    row = TableRow(
        url="http://sandbox.test/tracks.html",
        cells={"track": "Monza", "country": "IT", "length_km": "5.793", "turns": "11"},
    )
    record = _run(crawler, row)
    assert record.data == {"track": "Monza", "country": "IT", "length_km": 5.793, "turns": 11}
    bad = _run(crawler, TableRow(url=row.url, cells={**row.cells, "length_km": "five"}))
    assert isinstance(bad, RejectedRecord)
    assert bad.reason == "length_km: malformed number 'five'"


def test_project_settings_are_polite_and_land_jsonl_feeds(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.utils.project import get_project_settings

    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "pitwall.scraping.settings")
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings["USER_AGENT"].startswith("pitwall-scraper/")
    assert not settings.getbool("HTTPCACHE_ENABLED")
    ((uri, options),) = settings.getdict("FEEDS").items()
    assert uri.endswith("/%(site)s/%(crawl_id)s.jsonl")
    assert options["format"] == "jsonlines"
