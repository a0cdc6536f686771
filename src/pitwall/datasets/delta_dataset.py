"""A Kedro dataset for polars frames in a Delta Lake table of the Pitwall lake."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from pitwall.datasets.lake_options import preview_table
from pitwall.lake.delta import WriteMode, open_table, scan_table, write_table
from pitwall.lake.layout import Layer, get_lake


class DeltaTableDataset(AbstractDataset[pl.DataFrame | pl.LazyFrame, pl.DataFrame | pl.LazyFrame]):
    """A table of the lake, read and written with polars.

    Example catalog entry::

        clean_cars:
          type: pitwall.datasets.DeltaTableDataset
          layer: clean
          table: cars
          mode: merge
          keys: [car_id]

    Args:
        layer: ``raw``, ``clean`` or ``quarantine``.
        table: table name inside the layer.
        mode: ``append``, ``overwrite`` or ``merge`` (upsert by ``keys``).
        keys: natural key for ``merge``.
        lazy: load a ``LazyFrame`` instead of a ``DataFrame``.
        lake_uri: override the lake root (default: ``PITWALL_LAKE_URI`` or ``data/lake``).
        partition_by: partition columns used when the table is created.
        metadata: free-form metadata (kedro-viz shows ``kedro-viz.layer``).
    """

    def __init__(
        self,
        *,
        layer: Layer,
        table: str,
        mode: WriteMode = "append",
        keys: Sequence[str] = (),
        lazy: bool = False,
        lake_uri: str | None = None,
        partition_by: Sequence[str] = (),
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if mode == "merge" and not keys:
            raise DatasetError(f"{layer}.{table}: mode 'merge' needs 'keys'")
        self._lake = get_lake(lake_uri)
        self._layer: Layer = layer
        self._table = table
        self._mode: WriteMode = mode
        self._keys = tuple(keys)
        self._lazy = lazy
        self._partition_by = tuple(partition_by)
        self.metadata = metadata

    @property
    def uri(self) -> str:
        return self._lake.table_uri(self._layer, self._table)

    def load(self) -> pl.DataFrame | pl.LazyFrame:
        if open_table(self.uri, storage_options=self._lake.storage_options) is None:
            raise DatasetError(f"Delta table {self.uri} does not exist yet")
        lf = scan_table(self.uri, storage_options=self._lake.storage_options)
        return lf if self._lazy else lf.collect()

    def save(self, data: pl.DataFrame | pl.LazyFrame) -> None:
        write_table(
            data,
            self.uri,
            mode=self._mode,
            keys=self._keys,
            storage_options=self._lake.storage_options,
            partition_by=self._partition_by,
        )

    def _exists(self) -> bool:
        return open_table(self.uri, storage_options=self._lake.storage_options) is not None

    def _describe(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "layer": self._layer,
            "table": self._table,
            "mode": self._mode,
            "keys": list(self._keys),
        }

    def preview(self, nrows: int = 20) -> TablePreview:
        """First rows for kedro-viz, as ``{"columns": [...], "data": [[...]]}``."""
        return preview_table(self._lake, self._layer, self._table, nrows=nrows)
