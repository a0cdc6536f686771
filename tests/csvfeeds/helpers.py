"""Run the real ingest_csv nodes and datasets on a catalog built from test feeds."""

from __future__ import annotations

from typing import Any

from pipelines.ingest_csv.standalone import feed_catalog, run_feeds
from pitwall.lake.layout import Lake

__all__ = ["LAP_COLUMNS", "LAP_HEADER", "feed_catalog", "lap_feed", "run_ingest_csv"]

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
    run_feeds(feeds, lake=lake)
