"""The ingest_csv datasets and nodes for feeds given in code, not in conf (tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from pipelines.ingest_csv.pipeline import feed_nodes
from pitwall.csvfeeds.datasets import CsvLandingDataset
from pitwall.csvfeeds.feeds import parse_feeds
from pitwall.datasets import CleanTableDataset, QuarantineTableDataset, RawTableDataset
from pitwall.lake.layout import Lake


def feed_catalog(
    feeds: Mapping[str, Mapping[str, Any]], *, lake: Lake
) -> tuple[DataCatalog, Pipeline]:
    """The datasets and nodes ``kedro run --pipeline ingest_csv`` would use for ``feeds``."""
    datasets: dict[str, Any] = {}
    nodes = []
    root = lake.root
    for name, feed in parse_feeds(dict(feeds)).items():
        spec = dict(feeds[name])
        datasets[f"landing.csv.{name}"] = CsvLandingDataset(feed=name, spec=spec, lake_uri=root)
        datasets[f"raw.{feed.raw_table}"] = RawTableDataset(table=feed.raw_table, lake_uri=root)
        datasets[f"quarantine.{feed.quarantine_table}"] = QuarantineTableDataset(
            table=feed.quarantine_table, lake_uri=root
        )
        datasets[f"clean.{feed.clean_table}"] = CleanTableDataset(
            table=feed.clean_table, lake_uri=root
        )
        datasets[f"params:ingest_csv.feeds.{name}"] = MemoryDataset(spec)
        nodes += feed_nodes(feed)
    return DataCatalog(datasets), Pipeline(nodes)


def run_feeds(
    feeds: Mapping[str, Mapping[str, Any]],
    *,
    lake: Lake,
    stage: Collection[str] = ("land_raw", "build_clean"),
) -> None:
    """Run the feeds' nodes of the given stages (``land_raw``, ``build_clean``) in order."""
    catalog, pipeline = feed_catalog(feeds, lake=lake)
    wanted = [n.name for n in pipeline.nodes if any(n.name.startswith(f"{s}_") for s in stage)]
    SequentialRunner().run(pipeline.only_nodes(*wanted), catalog)
