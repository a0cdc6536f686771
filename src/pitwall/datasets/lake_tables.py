"""One Kedro dataset per lake table (``raw.<t>``, ``clean.<t>``, ``quarantine.<t>``), built by
the catalog's dataset factories (``conf/base/catalog.yml``).

They only read pending input and commit; what to commit is decided by the nodes:

- ``raw.<t>``: ``save`` lands a :class:`~pitwall.lake.commit.LandedBatch` exactly once;
  ``load`` gives the RAW rows CLEAN has not merged yet (:class:`~pitwall.lake.txn.Unmerged`,
  or None).
- ``quarantine.<t>``: ``save`` writes a :class:`~pitwall.lake.commit.QuarantineRows`;
  ``load`` scans the table.
- ``clean.<t>``: ``save`` merges a :class:`~pitwall.lake.commit.CleanChunk` (the chunks of one
  merge in order; the last one commits the merge); ``load`` scans the table.
"""

from __future__ import annotations

import time
from typing import Any

import polars as pl
from kedro.io import AbstractDataset
from kedro_datasets._typing import TablePreview

from pitwall.datasets.lake_options import LakeOptions, preview_table
from pitwall.lake.commit import CleanChunk, CleanWriter, LandedBatch, QuarantineRows, commit_raw
from pitwall.lake.delta import open_table, scan_table
from pitwall.lake.ingest import BatchOutcome
from pitwall.lake.layout import Layer
from pitwall.lake.records import read_ingestion_log, write_ingestion_log, write_quarantine
from pitwall.lake.txn import Unmerged, scan_unmerged


def drop_rows(payload: CleanChunk | QuarantineRows) -> None:
    """Free the rows of a payload once committed.

    Kedro streams the outputs of a generator node with several outputs through
    ``itertools.tee`` (``more_itertools.unzip``), whose buffer keeps up to 57 yielded items
    alive after they are saved: a CLEAN build kept every chunk it had committed (5M CSV rows:
    0.9 GB more). Nothing reads a committed payload's rows again.
    """
    object.__setattr__(payload, "rows", payload.rows.clear())


class _TableDataset(LakeOptions):
    layer: Layer

    def __init__(
        self, *, table: str, lake_uri: str | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        super().__init__(lake_uri=lake_uri, metadata=metadata)
        self.table = table

    @property
    def uri(self) -> str:
        return self.lake.table_uri(self.layer, self.table)

    def _exists(self) -> bool:
        return open_table(self.uri, storage_options=self.lake.storage_options) is not None

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "table": f"{self.layer}.{self.table}"}

    def _scan(self) -> pl.LazyFrame | None:
        if not self._exists():
            return None
        return scan_table(self.uri, storage_options=self.lake.storage_options)

    def preview(self, nrows: int = 20) -> TablePreview:
        """The table's first rows, for kedro-viz."""
        return preview_table(self.lake, self.layer, self.table, nrows=nrows)


class RawTableDataset(_TableDataset, AbstractDataset[LandedBatch, Unmerged | None]):
    """A RAW table: lands batches; loads the rows CLEAN has not merged yet.

    The ``landed_raw`` log rows of batches saved in quick succession (``LandedBatch.last``
    unset: a stream of REST chunks) are written together, at most every ``log_every_seconds``
    and with the stream's last batch: one log merge per small commit cost as much as the
    commit itself.
    """

    layer: Layer = "raw"

    def __init__(
        self,
        *,
        table: str,
        log_every_seconds: float = 5.0,
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(table=table, lake_uri=lake_uri, metadata=metadata)
        self._log_every = log_every_seconds
        self._unlogged: list[BatchOutcome] = []
        self._unlogged_since = 0.0
        self._own: set[int] = set()  # seqs this dataset committed (its earlier chunks)

    def save(self, data: LandedBatch) -> None:
        outcome = commit_raw(data, lake=self.lake, log_now=False, own_seqs=frozenset(self._own))
        if outcome is not None:
            if outcome.batch_seq is not None:
                self._own.add(outcome.batch_seq)
            if not self._unlogged:
                self._unlogged_since = time.monotonic()
            self._unlogged.append(outcome)
        if data.last or time.monotonic() - self._unlogged_since >= self._log_every:
            self._write_log()

    def _write_log(self) -> None:
        if self._unlogged:
            write_ingestion_log(self._unlogged, lake=self.lake)
            self._unlogged = []

    def load(self) -> Unmerged | None:
        self._write_log()  # normally done by the last save already
        return scan_unmerged(self.uri, storage_options=self.lake.storage_options)


class QuarantineTableDataset(_TableDataset, AbstractDataset[QuarantineRows, pl.LazyFrame | None]):
    """A quarantine table: rows rejected on their way to CLEAN, with reason and original."""

    layer: Layer = "quarantine"

    def save(self, data: QuarantineRows) -> None:
        write_quarantine(
            data.rows, self.table, batches=data.batches, append=not data.replace, lake=self.lake
        )
        drop_rows(data)

    def load(self) -> pl.LazyFrame | None:
        return self._scan()


class CleanTableDataset(_TableDataset, AbstractDataset[CleanChunk, pl.LazyFrame | None]):
    """A CLEAN table: merges typed rows chunk by chunk; loads (scans) the table."""

    layer: Layer = "clean"

    def __init__(
        self, *, table: str, lake_uri: str | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        super().__init__(table=table, lake_uri=lake_uri, metadata=metadata)
        self._writer: CleanWriter | None = None

    def save(self, data: CleanChunk) -> None:
        if self._writer is None or self._writer.lake != self.lake:
            self._writer = CleanWriter(self.table, lake=self.lake)
        self._writer.write(data)
        drop_rows(data)

    def load(self) -> pl.LazyFrame | None:
        return self._scan()


class IngestionLogDataset(_TableDataset, AbstractDataset[None, pl.DataFrame]):
    """``raw.ingestion_log``: one row per batch, written by every landing (read-only here)."""

    layer: Layer = "raw"

    def __init__(self, *, lake_uri: str | None = None, metadata: dict[str, Any] | None = None):
        super().__init__(table="ingestion_log", lake_uri=lake_uri, metadata=metadata)

    def load(self) -> pl.DataFrame:
        return read_ingestion_log(lake=self.lake)

    def save(self, data: None) -> None:
        raise NotImplementedError("the ingestion log is written by the landing commit path")
