"""Run the real ingest_csv nodes and datasets on a catalog built from test feeds."""

from __future__ import annotations

from typing import Any

from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from pipelines.ingest_csv.pipeline import feed_nodes
from pitwall.csvfeeds.datasets import CsvLandingDataset
from pitwall.csvfeeds.feeds import parse_feeds
from pitwall.datasets import CleanTableDataset, QuarantineTableDataset, RawTableDataset
from pitwall.lake.layout import Lake

LAP_COLUMNS = {
    "entry_id": "string",
    "driver": "string",
    "lap": "int",
    "lap_time_s": "float",
    "valid": "bool",
    "recorded_at": "datetime",
}
LAP_HEADER = ",".join(LAP_COLUMNS)


def lap_feed(location: str, **options: Any) -> dict[str, Any]:
    return {
        "location": location,
        "columns": dict(LAP_COLUMNS),
        "key": ["entry_id"],
        "clean_table": "laps",
        **options,
    }


def feed_catalog(feeds: dict[str, dict[str, Any]], *, lake: Lake) -> tuple[DataCatalog, Pipeline]:
    """The datasets and nodes ``kedro run --pipeline ingest_csv`` would use for ``feeds``."""
    datasets: dict[str, Any] = {}
    nodes = []
    for name, feed in parse_feeds(feeds).items():
        root = lake.root
        datasets[f"landing.csv.{name}"] = CsvLandingDataset(
            feed=name, spec=feeds[name], lake_uri=root
        )
        datasets[f"raw.{feed.raw_table}"] = RawTableDataset(table=feed.raw_table, lake_uri=root)
        datasets[f"quarantine.{feed.quarantine_table}"] = QuarantineTableDataset(
            table=feed.quarantine_table, lake_uri=root
        )
        datasets[f"clean.{feed.clean_table}"] = CleanTableDataset(
            table=feed.clean_table, lake_uri=root
        )
        datasets[f"params:ingest_csv.feeds.{name}"] = MemoryDataset(feeds[name])
        nodes += feed_nodes(feed)
    return DataCatalog(datasets), Pipeline(nodes)


def run_ingest_csv(feeds: dict[str, dict[str, Any]], *, lake: Lake) -> None:
    catalog, pipeline = feed_catalog(feeds, lake=lake)
    SequentialRunner().run(pipeline, catalog)
