"""ingest_csv: per feed, landing files -> RAW (strings + metadata) -> quarantine + CLEAN."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from pitwall.csvfeeds.feeds import CsvFeed, read_csv_feeds
from pitwall.datasets.naming import landing_dataset, table_dataset

from .nodes import land_csv_files, split_csv_rows


def create_pipeline(**kwargs: object) -> Pipeline:
    """Two nodes per feed declared in conf (``csv_feeds``): land_raw_<t>, build_clean_<t>."""
    return Pipeline([node for feed in read_csv_feeds().values() for node in feed_nodes(feed)])


def feed_nodes(feed: CsvFeed) -> list[Node]:
    raw = feed.raw_table
    return [
        Node(
            update_wrapper(partial(land_csv_files, raw_table=feed.raw_table), land_csv_files),
            landing_dataset("csv", feed.name),
            table_dataset("raw", feed.raw_table),
            name=f"land_raw_{raw}",
        ),
        Node(  # outputs in commit order: quarantine first, then the CLEAN merge that closes it
            update_wrapper(partial(split_csv_rows, feed=feed.name), split_csv_rows),
            [table_dataset("raw", feed.raw_table), f"params:ingest_csv.feeds.{feed.name}"],
            [
                table_dataset("quarantine", feed.quarantine_table),
                table_dataset("clean", feed.clean_table),
            ],
            name=f"build_clean_{raw}",
        ),
    ]
