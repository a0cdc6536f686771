"""ingest_scraper: crawl the sites (subprocesses) -> RAW feed lines -> CLEAN typed per site."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import land_feed_lines, type_scraped_rows


def create_pipeline(**kwargs: object) -> Pipeline:
    return pipeline(
        [
            node(
                land_feed_lines,
                ["scraper_feeds", "params:ingest_scraper"],
                "scraper_raw",
                name="land_scraper_raw",
            ),
            node(type_scraped_rows, "scraper_raw", "scraper_clean", name="build_scraper_clean"),
        ]
    )
