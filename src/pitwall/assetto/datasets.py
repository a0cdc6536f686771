"""Kedro datasets of ``ingest_assetto``: the landing zone, RAW and CLEAN.

Example catalog entries::

    assetto_landing:
      type: pitwall.assetto.datasets.AssettoLandingDataset
      landing_dir: data/landing/assetto
    assetto_raw:
      type: pitwall.assetto.datasets.AssettoRawDataset
    assetto_clean:
      type: pitwall.assetto.datasets.AssettoCleanDataset
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import polars as pl
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview
from telemetry_capture.sink import recover_journals

from pitwall.assetto.lake import (
    CleanBatch,
    PendingCaptures,
    RawBatch,
    landed_markers,
    read_pending_captures,
    write_clean_batch,
    write_raw_batch,
)
from pitwall.assetto.landing import LandingFile, list_landing_files, read_landing_files
from pitwall.assetto.tables import CLEAN_KEYS
from pitwall.datasets.lake_options import LakeOptions, preview_table
from pitwall.lake.delta import open_table, scan_table
from pitwall.settings import get_settings

__all__ = ["AssettoCleanDataset", "AssettoLandingDataset", "AssettoRawDataset"]

log = logging.getLogger(__name__)


class AssettoLandingDataset(LakeOptions, AbstractDataset[None, list[LandingFile]]):
    """Load returns the completed capture files not landed yet (read, or with their error).

    Args:
        landing_dir: root of the capture daemons' output (relative to the project home).
    """

    def __init__(
        self,
        *,
        landing_dir: str,
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lake_uri=lake_uri, metadata=metadata)
        self._landing_dir = landing_dir

    @property
    def root(self) -> Path:
        path = Path(self._landing_dir)
        return path if path.is_absolute() else get_settings().home / path

    def load(self) -> list[LandingFile]:
        # Journals of captures killed before they could roll (SIGKILL, power loss) become
        # Parquet files first; captures still running are left alone (their lock is held).
        for locks in sorted(self.root.rglob(".locks")) if self.root.is_dir() else ():
            for path in recover_journals(locks.parent):
                log.warning("recovered %s from a crashed capture's journal", path)
        files = read_landing_files(self.root, skip=landed_markers(self.lake))
        log.info("assetto landing: %d new file(s) under %s", len(files), self.root)
        return files

    def save(self, data: None) -> None:
        raise DatasetError("the assetto landing zone is written by the capture daemons")

    def _exists(self) -> bool:
        return self.root.is_dir()

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "landing_dir": self._landing_dir}

    def preview(self, nrows: int = 20) -> TablePreview:
        files = list_landing_files(self.root)[-nrows:]
        return TablePreview({"columns": ["file"], "data": [[marker] for marker, _ in files]})


class AssettoRawDataset(LakeOptions, AbstractDataset[PendingCaptures, RawBatch]):
    """Save lands a :class:`RawBatch`; load returns the RAW rows of captures CLEAN lacks."""

    def save(self, data: RawBatch) -> None:
        write_raw_batch(data, lake=self.lake)
        log.info(
            "assetto RAW: %d file(s), %d row(s) landed, %d quarantined",
            len(data.files),
            sum(f.outcome.rows_landed for f in data.files),
            sum(f.outcome.rows_quarantined for f in data.files),
        )

    def load(self) -> PendingCaptures:
        return read_pending_captures(self.lake)

    def _exists(self) -> bool:
        return True

    def preview(self, nrows: int = 20) -> TablePreview:
        return preview_table(self.lake, "raw", "ac_lap_completed", nrows)


class AssettoCleanDataset(LakeOptions, AbstractDataset[dict[str, pl.LazyFrame], CleanBatch]):
    """Save merges a :class:`CleanBatch`; load scans the CLEAN ``ac_*`` tables."""

    def save(self, data: CleanBatch) -> None:
        write_clean_batch(data, lake=self.lake)
        log.info(
            "assetto CLEAN: %s",
            ", ".join(f"{t} {f.height}" for t, f in data.tables.items()) or "nothing new",
        )

    def load(self) -> dict[str, pl.LazyFrame]:
        lake = self.lake
        out = {}
        for table in CLEAN_KEYS:
            uri = lake.table_uri("clean", table)
            if open_table(uri, storage_options=lake.storage_options) is not None:
                out[table] = scan_table(uri, storage_options=lake.storage_options)
        return out

    def _exists(self) -> bool:
        lake = self.lake
        uri = lake.table_uri("clean", "ac_sessions")
        return open_table(uri, storage_options=lake.storage_options) is not None

    def preview(self, nrows: int = 20) -> TablePreview:
        return preview_table(self.lake, "clean", "ac_laps", nrows=nrows)
