"""ingest_scraper with its landing zone on S3 (moto's server): crawls publish their feeds
through Scrapy's S3 feed storage, whole or not at all, and each feed lands once in a lake on S3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import polars as pl
import pytest

from pitwall.lake.delta import read_table
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from pitwall.scraping.crawl import NO_DELAYS, run_crawl
from pitwall.scraping.datasets import ScraperFeedDataset
from pitwall.scraping.landing import list_feed_files
from tests.pipelines.test_ingest_scraper import _run
from tests.s3server import run_moto_lake
from tests.scraping.fixtures import kill_crawl_while_writing, website

__all__ = ["website"]

BUCKET = "pitwall-lake"
LANDING = f"s3://{BUCKET}/landing/scraper"


@pytest.fixture
def s3_lake(website: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """moto's S3 server, the ``AWS_*`` settings for it, the scraper's landing zone and the
    lake in its bucket."""
    env = {"PITWALL_SCRAPER_LANDING": LANDING, "PITWALL_WEBSITE_URL": website}
    with run_moto_lake(monkeypatch, bucket=BUCKET, env=env) as lake:
        yield lake


def _keys(prefix: str) -> list[str]:
    client = boto3.client("s3")
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_feeds_land_on_s3_and_each_lands_once(s3_lake: Lake) -> None:
    _run(sites=["tracks"])
    (key,) = _keys("landing/scraper/")
    assert key.startswith("landing/scraper/tracks/") and key.endswith(".jsonl")
    clean = read_table(
        s3_lake.table_uri("clean", "scraped_tracks"), storage_options=s3_lake.storage_options
    )
    assert isinstance(clean, pl.DataFrame) and clean.height == 10
    log = read_ingestion_log(lake=s3_lake)
    assert log["source"].to_list() == [key.removeprefix("landing/scraper/")]

    # nothing new: landing again changes nothing; a standalone crawl's feed lands too
    assert list(ScraperFeedDataset(site="tracks", crawl=False).load()) == []
    result = run_crawl("tracks", settings=NO_DELAYS)
    assert result.feed == f"{LANDING}/tracks/{result.crawl_id}.jsonl"
    assert [f.location for f in list_feed_files(LANDING, ["tracks"])][-1] == result.feed
    _run(sites=["tracks"], crawl=False)
    _run(sites=["tracks"], crawl=False)
    log = read_ingestion_log(lake=s3_lake)
    assert log.height == 2 and log["batch_id"].is_unique().all()


def test_a_killed_crawl_publishes_no_object(s3_lake: Lake, tmp_path: Path) -> None:
    spool = tmp_path / "spool"  # Scrapy's S3 storage writes here, uploads on close
    spool.mkdir()
    part = kill_crawl_while_writing(
        {"FEED_TEMPDIR": str(spool)}, written=lambda: list(spool.glob("feed-*"))
    )
    assert part and part[0].stat().st_size > 0  # items were being written...
    assert _keys("landing/") == []  # ...but nothing was published
    assert list_feed_files(LANDING, ["laps"]) == []
