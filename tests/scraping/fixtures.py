"""Fixtures of the scraper tests: the sandbox website on loopback and an isolated landing zone
and lake (import them into a test module, or get them through ``tests/scraping/conftest.py``)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from pitwall.lake.layout import Lake
from pitwall.scraping.crawl import NO_DELAYS
from sandbox.website import build_site, serve_website
from tests.conftest import REPO_ROOT

SITE_PAGES = 60
"""Laps of the test site: 59 valid (one broken), 3 listing pages, 2 overlapping rows."""
OFFLINE_BASE = "http://sandbox.test"


@dataclass(frozen=True)
class ScraperEnv:
    base_url: str
    landing: Path
    lake: Lake


@pytest.fixture(scope="session")
def website() -> Iterator[str]:
    with serve_website(pages=SITE_PAGES) as url:
        yield url


@pytest.fixture
def scraper_env(
    website: str, lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ScraperEnv:
    """Crawls of the served site land under tmp_path; the lake is the per-test lake."""
    landing = tmp_path / "landing"
    monkeypatch.setenv("PITWALL_WEBSITE_URL", website)
    monkeypatch.setenv("PITWALL_SCRAPER_LANDING", str(landing))
    return ScraperEnv(base_url=website, landing=landing, lake=lake)


def saved_response(path: str, *, pages: int = SITE_PAGES) -> HtmlResponse:
    """A response as saved from the sandbox site (no network)."""
    page = build_site(pages=pages)[path.split("?")[0]]
    return HtmlResponse(url=OFFLINE_BASE + path, body=page.body, encoding="utf-8")


def kill_crawl_while_writing(
    settings: Mapping[str, str], *, written: Callable[[], list[Path]]
) -> list[Path]:
    """Crawls a 2,000-page site with ``settings`` (Scrapy ``-s``) and kills the crawl as soon
    as one of the files ``written`` lists holds bytes; returns those files."""
    with serve_website(pages=2000) as url:
        command = [sys.executable, "-m", "scrapy", "crawl", "leaderboard", "-a", f"base_url={url}"]
        for key, value in {**NO_DELAYS, **settings}.items():
            command += ["-s", f"{key}={value}"]
        crawl = subprocess.Popen(command, cwd=REPO_ROOT, stderr=subprocess.DEVNULL)
        try:
            part: list[Path] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(p.stat().st_size for p in part):
                time.sleep(0.05)
                part = written()
        finally:
            crawl.kill()
            crawl.wait(timeout=30)
    return part
