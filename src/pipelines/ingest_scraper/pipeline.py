"""ingest_scraper: per site, crawl (a subprocess) -> RAW feed lines -> quarantine + CLEAN."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from pitwall.datasets.naming import landing_dataset, table_dataset
from pitwall.scraping.config import SiteConfig, read_scraper_config
from pitwall.scraping.lake import raw_table

from .nodes import land_scraped_feeds, split_scraped_rows


def create_pipeline(**kwargs: object) -> Pipeline:
    """Two nodes per site declared in conf (sources_sites.yml): land_raw_<t>, build_clean_<t>."""
    sites = read_scraper_config().sites.values()
    return Pipeline([node for site in sites for node in site_nodes(site)])


def site_nodes(site: SiteConfig) -> list[Node]:
    raw = raw_table(site.name)
    return [
        Node(
            land_scraped_feeds,
            landing_dataset("scraper", site.name),
            table_dataset("raw", raw),
            name=f"land_raw_{raw}",
        ),
        Node(  # outputs in commit order: quarantine first, then the CLEAN merge that closes it
            update_wrapper(partial(split_scraped_rows, site=site.name), split_scraped_rows),
            [table_dataset("raw", raw), "params:ingest_scraper"],
            [table_dataset("quarantine", raw), table_dataset("clean", site.table)],
            name=f"build_clean_{raw}",
        ),
    ]
