"""ingest_scraper end to end over loopback: crawl subprocesses -> RAW -> quarantine/log -> CLEAN."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from pipelines.ingest_scraper.pipeline import site_nodes
from pitwall.config import read_config
from pitwall.datasets import CleanTableDataset, QuarantineTableDataset, RawTableDataset
from pitwall.lake.delta import open_table, read_table
from pitwall.lake.layout import get_lake
from pitwall.lake.records import read_ingestion_log
from pitwall.scraping.config import read_scraper_config
from pitwall.scraping.crawl import NO_DELAYS
from pitwall.scraping.datasets import ScraperFeedDataset
from pitwall.scraping.lake import raw_table
from pitwall.settings import get_settings
from tests.scraping.fixtures import ScraperEnv, scraper_env, website

__all__ = ["scraper_env", "website"]


def _run(*, sites: list[str] | None = None, crawl: bool = True, node: str | None = None) -> None:
    """Run the pipeline's nodes for ``sites`` (default: all) with the catalog's datasets."""
    config = read_scraper_config()
    names = sites or sorted(config.sites)
    datasets: dict[str, Any] = {
        "params:ingest_scraper": MemoryDataset(
            {"scraper": read_config("sources")["scraper"], "max_rejected_share": 0.5}
        )
    }
    nodes = []
    for name in names:
        site = config.site(name)
        raw = raw_table(name)
        datasets[f"landing.scraper.{name}"] = ScraperFeedDataset(
            site=name, crawl=crawl, settings=NO_DELAYS
        )
        datasets[f"raw.{raw}"] = RawTableDataset(table=raw)
        datasets[f"quarantine.{raw}"] = QuarantineTableDataset(table=raw)
        datasets[f"clean.{site.table}"] = CleanTableDataset(table=site.table)
        nodes += site_nodes(site)
    pipeline = Pipeline(nodes)
    if node:
        pipeline = pipeline.only_nodes(*(f"{node}_{raw_table(n)}" for n in names))
    SequentialRunner().run(pipeline, DataCatalog(datasets))


def _table(env: ScraperEnv, layer: str, name: str) -> pl.DataFrame:
    return read_table(env.lake.table_uri(layer, name))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def full_run(website: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScraperEnv]:
    """One run of the whole pipeline over every configured site, read by several tests."""
    root = tmp_path_factory.mktemp("full_run")
    env = ScraperEnv(base_url=website, landing=root / "landing", lake=get_lake(str(root / "lake")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PITWALL_WEBSITE_URL", website)
        patch.setenv("PITWALL_SCRAPER_LANDING", str(env.landing))
        patch.setenv("PITWALL_LAKE_URI", env.lake.root)
        get_settings.cache_clear()
        _run()
        yield env
    get_settings.cache_clear()


def test_all_sites_land_in_raw_and_clean_with_counts_that_reconcile(full_run: ScraperEnv) -> None:
    scraper_env = full_run
    laps = _table(scraper_env, "clean", "scraped_laps")
    assert laps.height == 59
    assert laps.schema["lap_time_ms"] == pl.Int64
    assert laps.schema["set_on"] == pl.Date
    assert laps.schema["position"] == pl.Int64
    assert laps["lap_id"].n_unique() == 59
    assert laps.filter(pl.col("lap_id") == "L00001")["position"].item() == 1
    assert _table(scraper_env, "clean", "scraped_standings").height == 30
    tracks = _table(scraper_env, "clean", "scraped_tracks")
    assert tracks.schema["length_km"] == pl.Float64
    assert tracks.height == 10
    assert _table(scraper_env, "clean", "scraped_live_timing").height == 12

    raw = pl.concat(
        [_table(scraper_env, "raw", raw_table(s)) for s in read_scraper_config().sites],
        how="diagonal_relaxed",
    )
    assert set(raw.columns) >= {"_batch_id", "_ingested_at", "_source", "_source_row", "url"}
    log = read_ingestion_log(lake=scraper_env.lake)
    assert log.height == 4
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
    assert log["rows_landed"].sum() == 59 + 30 + 10 + 12
    assert log["rows_in"].sum() == raw.height == 59 + 30 + 10 + 12 + 1  # the broken lap too
    assert dict(zip(log["source"].str.split("/").list.first(), log["status"], strict=True)) == {
        "laps": "partial",
        "standings": "ok",
        "tracks": "ok",
        "live_timing": "ok",
    }


def test_broken_page_is_quarantined_with_reason_and_url(full_run: ScraperEnv) -> None:
    scraper_env = full_run
    quarantine = _table(scraper_env, "quarantine", "scraper_laps")
    assert quarantine.height == 1
    row = quarantine.row(0, named=True)
    assert row["stage"] == "scrape"
    assert row["reason"].startswith("driver: missing; lap_time_ms: malformed duration")
    assert f'"url": "{scraper_env.base_url}/laps/L00005.html"' in row["record"]
    assert '"lap_time": "2:1x.' in row["record"]  # the text as published
    laps = _table(scraper_env, "clean", "scraped_laps")
    assert laps.filter(pl.col("lap_id") == "L00005").is_empty()


def test_recrawl_adds_no_duplicates(scraper_env: ScraperEnv) -> None:
    _run(sites=["laps"])
    first = _table(scraper_env, "clean", "scraped_laps").sort("lap_id")
    clean_uri = scraper_env.lake.table_uri("clean", "scraped_laps")
    before = open_table(clean_uri)
    assert before is not None
    _run(sites=["laps"])
    again = _table(scraper_env, "clean", "scraped_laps").sort("lap_id")
    assert again.height == 59
    assert again.drop("_batch_id", "_ingested_at").equals(first.drop("_batch_id", "_ingested_at"))
    raw = _table(scraper_env, "raw", "scraper_laps")
    assert raw["_batch_id"].n_unique() == 2  # two crawls, each feed landed once
    assert raw.height == 2 * 60  # 59 laps and the broken one, each crawl
    assert read_ingestion_log()["batch_id"].n_unique() == 2
    # the second crawl changed nothing: CLEAN got no new version
    clean = open_table(clean_uri)
    assert clean is not None and clean.version() == before.version()


def test_each_feed_file_lands_once(scraper_env: ScraperEnv) -> None:
    _run(sites=["tracks"])
    uri = scraper_env.lake.table_uri("raw", "scraper_tracks")
    table = open_table(uri)
    assert table is not None
    version = table.version()
    assert list(ScraperFeedDataset(site="tracks", crawl=False).load()) == []
    _run(sites=["tracks"], crawl=False)
    table = open_table(uri)
    assert table is not None and table.version() == version


def test_a_run_killed_after_raw_is_completed_by_the_next(scraper_env: ScraperEnv) -> None:
    _run(sites=["standings"], node="land_raw")
    assert open_table(scraper_env.lake.table_uri("clean", "scraped_standings")) is None
    _run(sites=["standings"], crawl=False)
    assert _table(scraper_env, "clean", "scraped_standings").height == 30
    assert _table(scraper_env, "raw", "scraper_standings").height == 30


def test_feeds_written_by_a_standalone_scrapy_crawl_are_landed_too(scraper_env: ScraperEnv) -> None:
    from pitwall.scraping.crawl import NO_DELAYS, run_crawl

    run_crawl("tracks", settings=NO_DELAYS)  # as `scrapy crawl table -a site=tracks` would
    _run(sites=["tracks"], crawl=False)
    assert _table(scraper_env, "clean", "scraped_tracks").height == 10
