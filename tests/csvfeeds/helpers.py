"""Run the real ingest_csv pipeline on a catalog built from test feeds."""

from __future__ import annotations

from typing import Any

from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from pipelines.ingest_csv.pipeline import create_pipeline
from pitwall.datasets import CsvCleanDataset, CsvLandingDataset, CsvRawDataset
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


def run_ingest_csv(feeds: dict[str, dict[str, Any]], *, lake: Lake) -> None:
    catalog = DataCatalog(
        {
            "csv_landing": CsvLandingDataset(feeds=feeds, lake_uri=lake.root),
            "csv_raw": CsvRawDataset(feeds=feeds, lake_uri=lake.root),
            "csv_clean": CsvCleanDataset(feeds=feeds, lake_uri=lake.root),
            "params:ingest_csv.feeds": MemoryDataset(feeds),
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
