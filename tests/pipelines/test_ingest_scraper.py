"""ingest_scraper end to end over loopback: crawl subprocesses -> RAW -> quarantine/log -> CLEAN."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from omegaconf.resolvers import oc

from pipelines.ingest_scraper.pipeline import create_pipeline
from pitwall.lake.delta import open_table, read_markers, read_table
from pitwall.lake.layout import get_lake
from pitwall.lake.records import read_ingestion_log
from pitwall.scraping.datasets import ScraperFeedsDataset
from pitwall.settings import get_settings
from tests.conftest import REPO_ROOT
from tests.scraping.fixtures import ScraperEnv, scraper_env, website

__all__ = ["scraper_env", "website"]


def _catalog(**feeds: Any) -> DataCatalog:
    """The pipeline's own catalog and parameters from conf (other pipelines' entries aside)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loader = OmegaConfigLoader(
            str(REPO_ROOT / "conf"),
            base_env="base",
            default_run_env="local",
            custom_resolvers={"oc.env": oc.env},
            config_patterns={
                "catalog": ["catalog_ingest_scraper*"],
                "parameters": ["parameters_ingest_scraper*"],
            },
        )
        config = loader["catalog"]
        params = loader["parameters"]["ingest_scraper"]
    config["scraper_feeds"].update(feeds)
    catalog = DataCatalog.from_config(config)
    catalog["params:ingest_scraper"] = params
    return catalog


def _run(*, node_names: list[str] | None = None, **feeds: Any) -> None:
    pipeline = create_pipeline()
    if node_names:
        pipeline = pipeline.only_nodes(*node_names)
    SequentialRunner().run(pipeline, _catalog(**feeds))


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

    raw = _table(scraper_env, "raw", "scraper_items")
    assert set(raw.columns) >= {"_batch_id", "_ingested_at", "_source", "_source_row", "url"}
    log = read_ingestion_log(lake=scraper_env.lake)
    assert log.height == 4
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
    assert log["rows_landed"].sum() == raw.height == 59 + 30 + 10 + 12
    assert dict(zip(log["source"].str.split("/").list.first(), log["status"], strict=True)) == {
        "laps": "partial",
        "standings": "ok",
        "tracks": "ok",
        "live_timing": "ok",
    }


def test_broken_page_is_quarantined_with_reason_and_url(full_run: ScraperEnv) -> None:
    scraper_env = full_run
    quarantine = _table(scraper_env, "quarantine", "scraper")
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
    _run(sites=["laps"])
    again = _table(scraper_env, "clean", "scraped_laps").sort("lap_id")
    assert again.height == 59
    assert again.drop("_batch_id", "_ingested_at").equals(first.drop("_batch_id", "_ingested_at"))
    markers = read_markers(scraper_env.lake.table_uri("raw", "scraper_items"))
    assert len(markers) == 2  # two crawls, each feed landed once
    assert _table(scraper_env, "raw", "scraper_items").height == 2 * 59
    assert read_ingestion_log()["batch_id"].n_unique() == 2


def test_each_feed_file_lands_once(scraper_env: ScraperEnv) -> None:
    _run(sites=["tracks"])
    uri = scraper_env.lake.table_uri("raw", "scraper_items")
    table = open_table(uri)
    assert table is not None
    version = table.version()
    assert ScraperFeedsDataset(sites=["tracks"], crawl=False).load().is_empty()
    _run(sites=["tracks"], crawl=False)
    table = open_table(uri)
    assert table is not None and table.version() == version


def test_a_run_killed_after_raw_is_completed_by_the_next(scraper_env: ScraperEnv) -> None:
    _run(sites=["standings"], node_names=["land_scraper_raw"])
    assert open_table(scraper_env.lake.table_uri("clean", "scraped_standings")) is None
    _run(sites=["standings"], crawl=False)
    assert _table(scraper_env, "clean", "scraped_standings").height == 30
    assert _table(scraper_env, "raw", "scraper_items").height == 30


def test_feeds_written_by_a_standalone_scrapy_crawl_are_landed_too(scraper_env: ScraperEnv) -> None:
    from pitwall.scraping.crawl import NO_DELAYS, run_crawl

    run_crawl("tracks", settings=NO_DELAYS)  # as `scrapy crawl table -a site=tracks` would
    _run(sites=["tracks"], crawl=False)
    assert _table(scraper_env, "clean", "scraped_tracks").height == 10
