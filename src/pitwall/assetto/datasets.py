"""The Kedro dataset of the Assetto Corsa landing zone, one per dataset kind
(``landing.assetto.<kind>``: ``rt_car_info``, ``lap_completed``, ... and ``quarantine``, the
daemons' own quarantine).

Example catalog entry (a dataset factory)::

    "landing.assetto.{kind}":
      type: pitwall.assetto.datasets.AssettoLandingDataset
      kind: "{kind}"
      landing_dir: data/landing/assetto   # or s3://<bucket>/landing/assetto
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview
from telemetry_capture.sink import recover_journals

from pitwall.assetto.land import LANDED_KINDS
from pitwall.assetto.landing import (
    CaptureFile,
    LandingRoot,
    batch_id_for,
    landing_exists,
    list_landing_files,
    read_kind_files,
)
from pitwall.assetto.tables import CAPTURE_QUARANTINE_KIND, raw_table
from pitwall.datasets.lake_options import LakeOptions
from pitwall.lake.delta import open_table
from pitwall.lake.layout import is_remote_uri
from pitwall.lake.records import read_finished_batches
from pitwall.lake.txn import read_batch_ids
from pitwall.settings import get_settings

__all__ = ["AssettoLandingDataset"]

log = logging.getLogger(__name__)


class AssettoLandingDataset(LakeOptions, AbstractDataset[None, Iterator[CaptureFile]]):
    """Load gives the completed capture files of one kind not landed yet, read one at a time
    (or with their error).

    Args:
        kind: the dataset kind (the folder the daemons write it to).
        landing_dir: root of the capture daemons' output: a folder (relative to the project
            home) or the ``s3://`` prefix they upload to (``telemetry-capture --upload``).
    """

    def __init__(
        self,
        *,
        kind: str,
        landing_dir: str,
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lake_uri=lake_uri, metadata=metadata)
        self._kind = kind
        self._landing_dir = landing_dir

    @property
    def root(self) -> LandingRoot:
        if is_remote_uri(self._landing_dir):
            return self._landing_dir.rstrip("/")
        path = Path(self._landing_dir)
        return path if path.is_absolute() else get_settings().home / path

    def load(self) -> Iterator[CaptureFile]:
        # Journals of captures killed before they could roll (SIGKILL, power loss) become
        # Parquet files first; captures still running are left alone (their lock is held).
        # On an object store there are no journals: daemons upload finished files only.
        root = self.root
        if isinstance(root, Path) and root.is_dir():
            for locks in sorted(root.rglob(".locks")):
                for path in recover_journals(locks.parent):
                    log.warning("recovered %s from a crashed capture's journal", path)
        files = list_landing_files(root, kinds=self._claims)
        return read_kind_files(files, skip=self._landed(files))

    def _landed(self, files: list[tuple[str, str]]) -> set[str]:
        if not files:
            return set()
        options = self.lake.storage_options
        uri = self.lake.table_uri("raw", raw_table(self._kind))
        table = open_table(uri, storage_options=options)
        ids = {batch_id_for(marker) for marker, _ in files}
        landed = read_batch_ids(table, storage_options=options, candidates=ids)
        return landed | read_finished_batches(ids - landed, lake=self.lake)

    def _claims(self, kind: str) -> bool:
        """This dataset's kind; the daemons' quarantine also takes the files of no known kind
        (they are refused, with the reason in the log)."""
        if self._kind == CAPTURE_QUARANTINE_KIND:
            return kind == self._kind or kind not in LANDED_KINDS
        return kind == self._kind

    def save(self, data: None) -> None:
        raise DatasetError("the assetto landing zone is written by the capture daemons")

    def _exists(self) -> bool:
        return landing_exists(self.root)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "kind": self._kind, "landing_dir": self._landing_dir}

    def preview(self, nrows: int = 20) -> TablePreview:
        listed = list_landing_files(self.root, kinds=self._claims)
        landed = self._landed(listed)
        files = [[marker] for marker, _ in listed if batch_id_for(marker) not in landed]
        return TablePreview({"columns": ["pending file"], "data": files[-nrows:]})
