"""Real crawls of the sandbox website over loopback, each in a subprocess via run_crawl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pitwall.scraping.crawl import NO_DELAYS, CrawlError, CrawlResult, run_crawl
from pitwall.scraping.landing import list_feed_files
from sandbox.website import serve_website
from tests.conftest import REPO_ROOT
from tests.scraping.fixtures import ScraperEnv, kill_crawl_while_writing


def _lines(feed: Path | None) -> list[dict[str, object]]:
    assert feed is not None
    return [json.loads(line) for line in feed.read_text().splitlines()]


@pytest.fixture(scope="module")
def laps_crawl(website: str, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One crawl of the leaderboard, shared by the tests that only read its outcome."""
    landing = tmp_path_factory.mktemp("landing")
    return run_crawl("laps", base_url=website, landing_dir=landing, settings=NO_DELAYS)


def test_leaderboard_crawl_lands_one_jsonl_feed(laps_crawl: CrawlResult) -> None:
    result = laps_crawl
    assert result.feed is not None
    assert result.feed.parent.name == "laps"
    assert result.feed.name == f"{result.crawl_id}.jsonl"
    assert [p.name for p in result.feed.parent.iterdir()] == [result.feed.name]  # no .part left
    lines = _lines(result.feed)
    records = [line for line in lines if line["kind"] == "record"]
    assert len(records) == 59
    assert {r["data"]["lap_id"] for r in records} == {f"L{i:05d}" for i in range(1, 61)} - {
        "L00005"
    }
    stats = result.stats
    assert stats["finish_reason"] == "finished"
    assert result.pages == 66  # robots.txt, 3 listings, 60 laps, 2 overlapping rows
    assert stats["pitwall/dedup/duplicates"] == 2
    assert stats["item_scraped_count"] == 60


def test_robots_txt_is_respected(laps_crawl: CrawlResult) -> None:
    result = laps_crawl
    assert result.stats["robotstxt/forbidden"] == 1
    urls = [str(line["url"]) for line in _lines(result.feed)]
    assert not any("/private/" in url for url in urls)


def test_broken_page_is_rejected_without_stopping_the_crawl(
    laps_crawl: CrawlResult, website: str
) -> None:
    result = laps_crawl
    (rejected,) = [line for line in _lines(result.feed) if line["kind"] == "rejected"]
    assert rejected["url"] == f"{website}/laps/L00005.html"
    assert "driver: missing" in str(rejected["reason"])
    assert "lap_time_ms: malformed duration" in str(rejected["reason"])
    assert result.stats["pitwall/validation/rejected"] == 1
    assert "log_count/ERROR" not in result.stats


def test_table_spider_crawls_both_table_shapes(scraper_env: ScraperEnv) -> None:
    standings = _lines(run_crawl("standings", settings=NO_DELAYS).feed)
    assert len(standings) == 30
    assert {line["data"]["position"] for line in standings} == set(range(1, 31))  # type: ignore[index]
    tracks = _lines(run_crawl("tracks", settings=NO_DELAYS).feed)
    assert [t["data"]["track"] for t in tracks][:2] == ["Spa-Francorchamps", "Monza"]  # type: ignore[index]


def test_javascript_page_is_rendered_by_system_chromium(scraper_env: ScraperEnv) -> None:
    result = run_crawl("live_timing", settings=NO_DELAYS)
    lines = _lines(result.feed)
    assert len(lines) == 12
    assert lines[0]["data"] == {  # type: ignore[comparison-overlap]
        **lines[0]["data"],  # type: ignore[dict-item]
        "position": 1,
        "gap": None,
    }
    assert all(isinstance(line["data"]["best_lap_ms"], int) for line in lines)  # type: ignore[index]
    assert result.stats.get("playwright/page_count", 0) >= 1


def test_http_cache_re_parses_without_the_site(scraper_env: ScraperEnv, tmp_path: Path) -> None:
    cache = {**NO_DELAYS, "HTTPCACHE_ENABLED": True, "HTTPCACHE_DIR": str(tmp_path / "cache")}
    with serve_website(pages=5) as url:
        first = run_crawl("tracks", base_url=url, settings=cache)
    again = run_crawl("tracks", base_url=url, settings=cache)  # the site is gone now
    assert _lines(again.feed) == _lines(first.feed)
    assert again.stats["httpcache/hit"] == again.pages


def test_unreachable_site_is_a_crawl_error(scraper_env: ScraperEnv) -> None:
    with serve_website(pages=1) as url:
        dead = url  # the port is closed once the server stops
    with pytest.raises(CrawlError, match="fetched no page"):
        run_crawl("tracks", base_url=dead, settings={**NO_DELAYS, "RETRY_TIMES": 0})


def _scrapy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=REPO_ROOT,
        env={k: v for k, v in (env or os.environ).items() if k != "SCRAPY_SETTINGS_MODULE"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_scrapy_cli_finds_the_project_from_scrapy_cfg() -> None:
    listed = _scrapy("list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["leaderboard", "live_timing", "table"]


def test_scrapy_check_contracts_pass_against_the_site(scraper_env: ScraperEnv) -> None:
    checked = _scrapy("check", "leaderboard", env=dict(os.environ))
    assert checked.returncode == 0, checked.stderr
    assert "Ran 5 contracts" in checked.stderr
    assert "OK" in checked.stderr


def test_a_killed_crawl_publishes_no_feed(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    part = kill_crawl_while_writing(
        {"PITWALL_LANDING_DIR": str(landing)}, written=lambda: list(landing.glob("laps/.*.part"))
    )
    assert part and part[0].stat().st_size > 0  # items were being written...
    assert list_feed_files(landing, ["laps"]) == []  # ...but nothing was published
