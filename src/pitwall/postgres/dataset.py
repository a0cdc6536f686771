"""``PostgresMirrorDataset``: saving a mirror plan mirrors the lake into PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import polars as pl
import psycopg
from kedro.io import AbstractDataset
from kedro_datasets._typing import TablePreview

from pitwall.lake.layout import get_lake
from pitwall.postgres.mirror import TableSummary, mirror_lake
from pitwall.postgres.options import MirrorOptions
from pitwall.postgres.server import loader_dsn
from pitwall.postgres.status import read_status


class PostgresMirrorDataset(AbstractDataset[dict[str, Any], pl.DataFrame]):
    """The PostgreSQL mirror of the lake, as a Kedro dataset.

    ``save(plan)`` mirrors the lake with the plan (validated :class:`MirrorOptions`) as the
    loader role; ``load()`` returns the mirror status (one row per table).

    Example catalog entry::

        postgres_mirror:
          type: pitwall.postgres.dataset.PostgresMirrorDataset
          metadata:
            kedro-viz:
              layer: mirror

    Args:
        lake_uri: override the lake root (default: ``PITWALL_LAKE_URI`` or ``data/lake``).
        dsn: the loader's DSN (default: roles bootstrapped on ``PITWALL_PG_DSN`` or the
            embedded server). Never put a password here in conf/base.
        metadata: free-form metadata (kedro-viz shows ``kedro-viz.layer``).
    """

    def __init__(
        self,
        *,
        lake_uri: str | None = None,
        dsn: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._lake_uri = lake_uri
        self._dsn = dsn
        self.metadata = metadata
        self.last_summaries: list[TableSummary] = []

    def save(self, data: dict[str, Any]) -> None:
        options = MirrorOptions.model_validate(data)
        self.last_summaries = mirror_lake(get_lake(self._lake_uri), options=options, dsn=self._dsn)

    def load(self) -> pl.DataFrame:
        rows = [asdict(s) for s in read_status(get_lake(self._lake_uri), dsn=self._dsn)]
        return pl.DataFrame(rows, schema=_STATUS_SCHEMA)

    def _exists(self) -> bool:
        return bool(self.load().filter(pl.col("mirrored_version").is_not_null()).height)

    def _describe(self) -> dict[str, Any]:
        return {
            "lake_uri": self._lake_uri or "default",
            "server": "given DSN" if self._dsn else "PITWALL_PG_DSN or embedded",
        }

    def preview(self) -> TablePreview:
        """Mirror status for kedro-viz, as ``{"columns": [...], "data": [[...]]}``.

        Unlike ``load``, it never creates roles or resets their passwords (a lineage build
        must not change the server), and an unreachable server gives an empty preview.
        """
        try:
            dsn = self._dsn or loader_dsn(bootstrap=False)
            rows = [asdict(s) for s in read_status(get_lake(self._lake_uri), dsn=dsn)]
        except (psycopg.Error, OSError) as exc:
            return TablePreview({"columns": ["mirror"], "data": [[f"unavailable: {exc}"]]})
        frame = pl.DataFrame(rows, schema=_STATUS_SCHEMA).with_columns(
            pl.col("mirrored_at").cast(pl.String)
        )
        return TablePreview({"columns": frame.columns, "data": [list(r) for r in frame.rows()]})


_STATUS_SCHEMA = {
    "schema": pl.String,
    "table": pl.String,
    "delta_version": pl.Int64,
    "mirrored_version": pl.Int64,
    "rows": pl.Int64,
    "mirrored_at": pl.Datetime("us", "UTC"),
    "strategy": pl.String,
    "freshness": pl.String,
}
