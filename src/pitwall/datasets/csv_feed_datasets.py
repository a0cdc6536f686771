"""Kedro datasets of the CSV source: landing (pending files), RAW and CLEAN."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import polars as pl
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from pitwall.csvfeeds.feeds import CsvFeed, parse_feeds
from pitwall.csvfeeds.landing import (
    CsvBatchPlan,
    UnmergedRaw,
    clean_uri,
    complete_log,
    find_pending_files,
    land_raw_file,
    scan_unmerged_raw,
    write_clean,
)
from pitwall.csvfeeds.typing import TypedRows
from pitwall.datasets.lake_options import LakeOptions, preview_row_counts
from pitwall.lake.delta import open_table, scan_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleanBatch:
    """What the typing node hands to CLEAN for one RAW batch."""

    typed: TypedRows
    batch_id: str


class _FeedsDataset(LakeOptions):
    def __init__(
        self,
        *,
        feeds: dict[str, dict[str, Any]],
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lake_uri=lake_uri, metadata=metadata)
        self._feeds: dict[str, CsvFeed] = parse_feeds(feeds)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "feeds": sorted(self._feeds)}


class CsvLandingDataset(_FeedsDataset, AbstractDataset[None, list[CsvBatchPlan]]):
    """Read-only: the files at the feeds' locations that have not landed yet."""

    def load(self) -> list[CsvBatchPlan]:
        pending = find_pending_files(self._feeds, lake=self.lake)
        log.info("CSV landing: %d file(s) to land", len(pending))
        return pending

    def save(self, data: None) -> None:
        raise DatasetError("the CSV landing zone is read-only: drop files into it instead")

    def _exists(self) -> bool:
        return True

    def preview(self, nrows: int = 20) -> TablePreview:
        rows = [[p.feed, p.file.uri, p.file.size] for p in self.load()[:nrows]]
        return TablePreview({"columns": ["feed", "file", "bytes"], "data": rows})


class CsvRawDataset(_FeedsDataset, AbstractDataset[list[CsvBatchPlan], dict[str, UnmergedRaw]]):
    """Save lands files in ``raw.csv_<feed>``; load gives the RAW rows CLEAN has not merged."""

    def save(self, data: list[CsvBatchPlan]) -> None:
        for plan in data:
            feed = self._feeds[plan.feed]
            outcome = land_raw_file(plan, feed=feed, lake=self.lake)
            log.info(
                "%s %s: %s rows landed, %s quarantined%s",
                feed.name,
                plan.file.uri,
                f"{outcome.rows_landed:,}",
                f"{outcome.rows_quarantined:,}",
                f" ({outcome.status}: {outcome.error})" if outcome.error else "",
            )

    def load(self) -> dict[str, UnmergedRaw]:
        found = {}
        for name, feed in self._feeds.items():
            pending = scan_unmerged_raw(feed, lake=self.lake)
            if pending is not None:
                found[name] = pending
        return found

    def _exists(self) -> bool:
        return any(
            open_table(self.lake.table_uri("raw", f.raw_table)) is not None
            for f in self._feeds.values()
        )

    def preview(self, nrows: int = 20) -> TablePreview:
        return preview_row_counts(self.lake, "raw", [f.raw_table for f in self._feeds.values()])


class CsvCleanDataset(
    _FeedsDataset, AbstractDataset[dict[str, list[CleanBatch]], dict[str, pl.LazyFrame]]
):
    """Save merges typed rows into each feed's CLEAN table; load scans those tables lazily."""

    def save(self, data: dict[str, list[CleanBatch]]) -> None:
        for name, batches in data.items():
            for batch in batches:  # in landing order: a later file updates an earlier one
                write_clean(batch.typed, batch.batch_id, feed=self._feeds[name], lake=self.lake)
        for feed in self._feeds.values():  # finishes log rows of runs killed after the merge
            complete_log(feed, lake=self.lake)

    def load(self) -> dict[str, pl.LazyFrame]:
        lake = self.lake
        return {
            f.clean_table: scan_table(clean_uri(f, lake=lake), storage_options=lake.storage_options)
            for f in self._feeds.values()
            if open_table(clean_uri(f, lake=lake), storage_options=lake.storage_options)
        }

    def _exists(self) -> bool:
        return bool(self.load())

    def preview(self, nrows: int = 20) -> TablePreview:
        tables = [f.clean_table for f in self._feeds.values()]
        return preview_row_counts(self.lake, "clean", tables)
