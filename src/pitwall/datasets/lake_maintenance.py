"""``LakeMaintenanceDataset``: loading gives the lake's status, saving a plan maintains it."""

from __future__ import annotations

from typing import Any

import polars as pl
from kedro.io import AbstractDataset
from kedro_datasets._typing import TablePreview

from pitwall.lake.layout import get_lake
from pitwall.lake.maintenance import (
    MaintenancePolicy,
    MaintenanceReport,
    maintain_lake,
    read_lake_status,
)


class LakeMaintenanceDataset(AbstractDataset[dict[str, Any], pl.DataFrame]):
    """The lake's tables, as maintenance sees them.

    ``load()`` returns :func:`~pitwall.lake.maintenance.read_lake_status` (one row per table);
    ``save(plan)`` maintains the tables of a plan made by the ``maintain_lake`` pipeline's
    node: ``{"policy": <MaintenancePolicy fields>, "tables": [{layer, table, compact,
    zorder}, ...]}``.

    Example catalog entry::

        lake_status:
          type: pitwall.datasets.LakeMaintenanceDataset

    Args:
        lake_uri: override the lake root (default: ``PITWALL_LAKE_URI`` or ``data/lake``).
        small_file_mb: files under this size count as small in the status.
        metadata: free-form metadata (kedro-viz shows ``kedro-viz.layer``).
    """

    def __init__(
        self,
        *,
        lake_uri: str | None = None,
        small_file_mb: int = 16,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._lake_uri = lake_uri
        self._small_file_mb = small_file_mb
        self.metadata = metadata
        self.last_reports: list[MaintenanceReport] = []

    def load(self) -> pl.DataFrame:
        return read_lake_status(get_lake(self._lake_uri), small_file_mb=self._small_file_mb)

    def save(self, data: dict[str, Any]) -> None:
        policy = MaintenancePolicy.model_validate(data["policy"])
        plan = pl.DataFrame(
            data["tables"],
            schema={
                "layer": pl.String,
                "table": pl.String,
                "compact": pl.Boolean,
                "zorder": pl.List(pl.String),
            },
        )
        self.last_reports = maintain_lake(get_lake(self._lake_uri), plan, policy=policy)

    def _exists(self) -> bool:
        return bool(get_lake(self._lake_uri).list_tables("clean"))

    def _describe(self) -> dict[str, Any]:
        return {"lake_uri": self._lake_uri or "default", "small_file_mb": self._small_file_mb}

    def preview(self) -> TablePreview:
        """The lake status for kedro-viz."""
        frame = self.load().with_columns(pl.col("last_maintenance").cast(pl.String))
        return TablePreview({"columns": frame.columns, "data": [list(r) for r in frame.rows()]})
