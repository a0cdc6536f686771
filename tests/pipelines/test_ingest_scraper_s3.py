"""ingest_scraper with its landing zone on S3 (moto's server): crawls publish their feeds
through Scrapy's S3 feed storage, whole or not at all, and each feed lands once in a lake on S3."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import polars as pl
import pytest

from pitwall.lake.delta import read_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.lake.records import read_ingestion_log
from pitwall.scraping.crawl import NO_DELAYS, run_crawl
from pitwall.scraping.datasets import ScraperFeedDataset
from pitwall.scraping.landing import list_feed_files
from pitwall.settings import get_settings
from sandbox.website import serve_website
from tests.conftest import REPO_ROOT
from tests.pipelines.test_ingest_scraper import _run
from tests.s3server import moto_env, run_moto_server
from tests.scraping.fixtures import website

__all__ = ["website"]

BUCKET = "pitwall-lake"
LANDING = f"s3://{BUCKET}/landing/scraper"


@pytest.fixture
def s3_lake(website: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """moto's S3 server, the ``AWS_*`` settings for it, the scraper's landing zone and the
    lake in its bucket."""
    with run_moto_server() as endpoint:
        for key, value in {
            **moto_env(endpoint),
            "PITWALL_LAKE_URI": f"s3://{BUCKET}/lake",
            "PITWALL_SCRAPER_LANDING": LANDING,
            "PITWALL_WEBSITE_URL": website,
        }.items():
            monkeypatch.setenv(key, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        get_settings.cache_clear()
        yield get_lake()
        get_settings.cache_clear()


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
    with serve_website(pages=2000) as url:
        command = [sys.executable, "-m", "scrapy", "crawl", "leaderboard", "-a", f"base_url={url}"]
        for key, value in {**NO_DELAYS, "FEED_TEMPDIR": str(spool)}.items():
            command += ["-s", f"{key}={value}"]
        crawl = subprocess.Popen(command, cwd=REPO_ROOT, stderr=subprocess.DEVNULL)
        try:
            part: list[Path] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(p.stat().st_size for p in part):
                time.sleep(0.05)
                part = list(spool.glob("feed-*"))
        finally:
            crawl.kill()
            crawl.wait(timeout=30)
    assert part and part[0].stat().st_size > 0  # items were being written...
    assert _keys("landing/") == []  # ...but nothing was published
    assert list_feed_files(LANDING, ["laps"]) == []
