"""What every lake-backed Kedro dataset of ours takes: the lake root and kedro-viz metadata."""

from __future__ import annotations

from typing import Any

import polars as pl
from kedro_datasets._typing import TablePreview

from pitwall.lake.delta import open_table, scan_table
from pitwall.lake.layout import Lake, Layer, get_lake


class LakeOptions:
    """Mixin for datasets reading or writing the lake.

    Args:
        lake_uri: override the lake root (default: ``PITWALL_LAKE_URI`` or ``data/lake``).
        metadata: free-form metadata (kedro-viz shows ``kedro-viz.layer``).
    """

    def __init__(
        self, *, lake_uri: str | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        self._lake_uri = lake_uri
        self.metadata = metadata

    @property
    def lake(self) -> Lake:
        # resolved late: tests and the CLI may set PITWALL_LAKE_URI after the catalog is built
        return get_lake(self._lake_uri)

    def _describe(self) -> dict[str, Any]:
        return {"lake": self._lake_uri or "default"}


def preview_frame(frame: pl.DataFrame) -> TablePreview:
    """A frame as kedro-viz's table preview (JSON-safe values, binary columns left out)."""
    frame = frame.select(c for c, t in frame.schema.items() if t != pl.Binary)
    data = [
        [v if v is None or isinstance(v, bool | int | float | str) else str(v) for v in row]
        for row in frame.rows()
    ]
    return TablePreview({"columns": frame.columns, "data": data})


def preview_table(lake: Lake, layer: Layer, table: str, *, nrows: int) -> TablePreview:
    """The first rows of one lake table (empty when it does not exist yet)."""
    uri = lake.table_uri(layer, table)
    if open_table(uri, storage_options=lake.storage_options) is None:
        return TablePreview({"columns": [], "data": []})
    return preview_frame(
        scan_table(uri, storage_options=lake.storage_options).head(nrows).collect()
    )


def preview_row_counts(lake: Lake, layer: Layer, tables: list[str]) -> TablePreview:
    """Rows per existing table, for datasets that span several tables."""
    data: list[list[Any]] = []
    for table in tables:
        uri = lake.table_uri(layer, table)
        if open_table(uri, storage_options=lake.storage_options) is not None:
            rows = scan_table(uri, storage_options=lake.storage_options).select(pl.len()).collect()
            data.append([f"{layer}.{table}", int(rows.item())])
    return TablePreview({"columns": ["table", "rows"], "data": data})
