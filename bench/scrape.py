"""Scraping throughput: pages/min of a ~2,000-page sandbox crawl through the whole
ingest_scraper pipeline (crawl subprocess -> RAW -> CLEAN), politeness delays off, beside
``scrapy bench`` (Scrapy's own link-following benchmark) measured in the same run.

    uv run python bench/scrape.py [--pages 1820]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import typer
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

LAPS = 1820  # + 91 listing pages + 90 repeated rows + robots.txt = 2,002 pages
app = typer.Typer(add_completion=False)


def scrapy_bench() -> tuple[int, float]:
    """Pages and seconds of ``scrapy bench`` (stock settings: run outside the project)."""
    with tempfile.TemporaryDirectory() as outside:
        env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", "LOG_LEVEL=INFO"],
            cwd=outside,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    pages = re.search(r"'response_received_count': (\d+)", done.stderr)
    seconds = re.search(r"'elapsed_time_seconds': ([\d.]+)", done.stderr)
    if not pages or not seconds:
        raise RuntimeError(f"unexpected scrapy bench output:\n{done.stderr[-2000:]}")
    return int(pages.group(1)), float(seconds.group(1))


def pipeline_crawl(laps: int) -> tuple[int, float, int]:
    """Pages, seconds and CLEAN rows of one ingest_scraper run of the ``laps`` site: its two
    Kedro nodes with the catalog's datasets (crawl subprocess -> RAW -> quarantine + CLEAN)."""
    work = Path(tempfile.mkdtemp(prefix="pitwall-bench-scrape-"))
    os.environ["PITWALL_LAKE_URI"] = str(work / "lake")
    os.environ["PITWALL_SCRAPER_LANDING"] = str(work / "landing")
    from pipelines.ingest_scraper.pipeline import site_nodes
    from pitwall.config import read_config
    from pitwall.datasets import CleanTableDataset, QuarantineTableDataset, RawTableDataset
    from pitwall.lake.delta import read_table
    from pitwall.lake.layout import get_lake
    from pitwall.scraping.config import read_scraper_config
    from pitwall.scraping.crawl import NO_DELAYS
    from pitwall.scraping.datasets import ScraperFeedDataset
    from pitwall.scraping.lake import raw_table
    from pitwall.settings import get_settings
    from sandbox.website import serve_website

    get_settings.cache_clear()
    served: list[str] = []
    with serve_website(pages=laps, served=served) as url:
        os.environ["PITWALL_WEBSITE_URL"] = url
        site = read_scraper_config().site("laps")
        raw = raw_table("laps")
        params = {"scraper": read_config("sources")["scraper"], "max_rejected_share": 0.5}
        catalog = DataCatalog(
            {
                "landing.scraper.laps": ScraperFeedDataset(site="laps", settings=NO_DELAYS),
                f"raw.{raw}": RawTableDataset(table=raw),
                f"quarantine.{raw}": QuarantineTableDataset(table=raw),
                f"clean.{site.table}": CleanTableDataset(table=site.table),
                "params:ingest_scraper": MemoryDataset(params),
            }
        )
        started = time.perf_counter()
        SequentialRunner().run(Pipeline(site_nodes(site)), catalog)
        total = time.perf_counter() - started
    rows = read_table(get_lake().table_uri("clean", site.table)).height
    return len(served), total, rows


@app.command()
def main(pages: int = typer.Option(LAPS, help="Leaderboard laps of the sandbox site.")) -> None:
    """Run both benchmarks and print the figures and their ratio."""
    crawled, total_s, rows = pipeline_crawl(pages)
    ours = crawled / total_s * 60
    base_pages, base_s = scrapy_bench()
    baseline = base_pages / base_s * 60
    print(
        f"ingest_scraper : {crawled:,} pages in {total_s:.1f}s end to end "
        f"({rows:,} CLEAN rows) = {ours:,.0f} pages/min"
    )
    print(f"scrapy bench   : {base_pages:,} pages in {base_s:.1f}s = {baseline:,.0f} pages/min")
    print(f"ratio          : {ours / baseline:.2f}x (target >= 0.5x)")


if __name__ == "__main__":
    app()
