"""Kedro datasets of ingest_api: the REST pages (source read), RAW and CLEAN (lake writes)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

import polars as pl
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from pitwall.lake.delta import open_table, scan_table, write_table
from pitwall.lake.ingest import QUARANTINE_SCHEMA, BatchOutcome, BatchStatus, utc_now
from pitwall.lake.layout import Lake, get_lake
from pitwall.lake.records import write_ingestion_log, write_quarantine
from pitwall.rest.client import RestClient
from pitwall.rest.columns import clean_schema
from pitwall.rest.landing import CleanOutcome, PendingRecords, raw_table_name
from pitwall.rest.prefetch import prefetch
from pitwall.rest.records import RawChunk, RawPage, keep_new, raw_page
from pitwall.rest.spec import SourceSpec, parse_sources
from pitwall.rest.state import (
    batch_marker,
    cursor_marker,
    read_cursor,
    read_landed_hashes,
    read_pending,
)

log = logging.getLogger(__name__)
PIPELINE = "ingest_api"


class _ApiDataset:
    """Shared configuration: the declared sources and the lake."""

    def __init__(
        self,
        *,
        sources: Mapping[str, Any],
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._sources: dict[str, SourceSpec] = parse_sources(sources)
        self._lake_uri = lake_uri
        self.metadata = metadata

    @property
    def lake(self) -> Lake:
        # resolved late: tests and the CLI may set PITWALL_LAKE_URI after the catalog is built
        return get_lake(self._lake_uri)

    def _endpoints(self) -> Iterator[tuple[str, str, SourceSpec]]:
        for source, spec in self._sources.items():
            for endpoint in spec.endpoints:
                yield source, endpoint, spec

    def _raw_uri(self, source: str, endpoint: str) -> str:
        return self.lake.table_uri("raw", raw_table_name(source, endpoint))

    def _clean_uri(self, source: str, endpoint: str) -> str:
        return self.lake.table_uri("clean", self._sources[source].endpoints[endpoint].clean_table)

    def _describe(self) -> dict[str, Any]:
        return {"endpoints": [f"{s}.{e}" for s, e, _ in self._endpoints()]}


class RestPagesDataset(_ApiDataset, AbstractDataset[None, Iterator[RawPage]]):
    """Read-only: the pages of every declared endpoint that are new since the last run.

    Loading is lazy: pages are fetched (``prefetch_pages`` ahead, in a background thread that
    also turns each page into RAW columns) while the consumer iterates. Records RAW already
    holds (the ties at the cursor boundary, or unchanged snapshot records) are dropped.
    ``credentials`` (Kedro's catalog key) may hold the mapping that ``credentials_key``
    references point into.
    """

    def __init__(
        self,
        *,
        sources: Mapping[str, Any],
        lake_uri: str | None = None,
        credentials: Mapping[str, Any] | None = None,
        prefetch_pages: int = 32,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(sources=sources, lake_uri=lake_uri, metadata=metadata)
        self._credentials = credentials
        self._prefetch = prefetch_pages

    def load(self) -> Iterator[RawPage]:
        return prefetch(self._pages(), depth=self._prefetch)

    def _pages(self) -> Iterator[RawPage]:
        for source, spec in self._sources.items():
            with RestClient(source, spec, credentials=self._credentials) as client:
                for endpoint in spec.endpoints:
                    yield from self._endpoint_pages(client, source, endpoint)

    def _endpoint_pages(self, client: RestClient, source: str, endpoint: str) -> Iterator[RawPage]:
        lake = self.lake
        uri = self._raw_uri(source, endpoint)
        incremental = client.spec.endpoints[endpoint].cursor is not None
        since = read_cursor(uri, storage_options=lake.storage_options) if incremental else None
        known = read_landed_hashes(
            uri, cursor=since, incremental=incremental, storage_options=lake.storage_options
        )
        log.info("%s.%s: fetching (cursor %s)", source, endpoint, since or "initial")
        fetched = kept = 0
        for page in client.iter_pages(endpoint, since=since):
            fetched += len(page.raw_records)
            # RAW columns built here, in the fetch thread, while the consumer writes
            rows = keep_new(raw_page(page), known, cursor=since if incremental else None)
            kept += rows.size
            yield rows
        log.info("%s.%s: %d records fetched, %d new", source, endpoint, fetched, kept)

    def save(self, data: None) -> None:
        raise DatasetError("RestPagesDataset is read-only")


class ApiRawDataset(_ApiDataset, AbstractDataset[RawChunk, dict[str, PendingRecords]]):
    """RAW tables ``raw.api_<source>_<endpoint>``.

    ``save`` appends one chunk in one Delta commit together with its batch id and the cursor
    it reaches. ``load`` gives, per endpoint, the RAW rows CLEAN has not absorbed yet.

    Every RAW commit gets a ``landed_raw`` row in the ingestion log. Those rows are merged
    together, at most every ``log_every_seconds`` and after the chunk that ends a load
    (``RawChunk.last``, also when fetching failed): one log merge per chunk cost as much CPU
    as the chunk's own commit. A run killed in between leaves those batches' log rows to the
    next run's CLEAN step, which logs every batch it absorbs. ``0`` logs each commit at once.
    """

    def __init__(
        self,
        *,
        sources: Mapping[str, Any],
        lake_uri: str | None = None,
        log_every_seconds: float = 5.0,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(sources=sources, lake_uri=lake_uri, metadata=metadata)
        self._log_every = log_every_seconds
        self._unlogged: list[BatchOutcome] = []
        self._unlogged_since = 0.0

    def save(self, data: RawChunk) -> None:
        lake = self.lake
        uri = self._raw_uri(data.source, data.endpoint)
        markers = [batch_marker(data.batch_id)]
        if data.cursor is not None:
            markers.append(cursor_marker(data.cursor))
        opts = lake.storage_options
        write_table(data.rows, uri, mode="append", markers=markers, storage_options=opts)
        n = data.rows.height
        started = data.rows.item(0, "_ingested_at") if n else utc_now()
        outcome = BatchOutcome(
            data.batch_id,
            data.table_key,
            PIPELINE,
            started,
            rows_in=n,
            rows_landed=n,
            status="landed_raw",
        )
        log.info("%s: landed %d RAW rows (cursor %s)", data.table_key, n, data.cursor)
        if not self._unlogged:
            self._unlogged_since = time.monotonic()
        self._unlogged.append(outcome)
        if data.last or time.monotonic() - self._unlogged_since >= self._log_every:
            self._write_log(lake)

    def _write_log(self, lake: Lake) -> None:
        if self._unlogged:
            write_ingestion_log(self._unlogged, lake=lake)
            self._unlogged = []

    def load(self) -> dict[str, PendingRecords]:
        lake = self.lake
        self._write_log(lake)  # normally done by the last save already
        pending: dict[str, PendingRecords] = {}
        for source, endpoint, spec in self._endpoints():
            rows = read_pending(
                self._raw_uri(source, endpoint),
                self._clean_uri(source, endpoint),
                storage_options=lake.storage_options,
            )
            if rows is None:
                continue
            batches = tuple(rows.get_column("_batch_id").unique(maintain_order=True).to_list())
            pending[f"{source}.{endpoint}"] = PendingRecords(
                source, endpoint, spec.endpoints[endpoint], rows, batches
            )
        return pending

    def _exists(self) -> bool:
        opts = self.lake.storage_options
        return any(
            open_table(self._raw_uri(s, e), storage_options=opts) is not None
            for s, e, _ in self._endpoints()
        )

    def preview(self, nrows: int = 20) -> TablePreview:
        return _preview([self._raw_uri(s, e) for s, e, _ in self._endpoints()], self.lake, nrows)


CleanTables = dict[str, pl.DataFrame]


class ApiCleanDataset(_ApiDataset, AbstractDataset[dict[str, CleanOutcome], CleanTables]):
    """CLEAN tables (``clean.<clean_table>``, merged by key) and their quarantine tables.

    Per endpoint ``save`` writes rejected rows to ``quarantine.api_<source>_<endpoint>``
    (replacing earlier rows of the same batches), then merges the typed rows into CLEAN in one
    commit that also marks the RAW batches absorbed, then updates the ingestion log.
    """

    def save(self, data: dict[str, CleanOutcome]) -> None:
        lake = self.lake
        for outcome in data.values():
            self._save_one(outcome, lake)

    def _save_one(self, outcome: CleanOutcome, lake: Lake) -> None:
        name = f"{outcome.source}.{outcome.endpoint}"
        if outcome.rejected.height:
            write_quarantine(
                outcome.rejected.with_columns(stage=pl.lit("type")).select(list(QUARANTINE_SCHEMA)),
                raw_table_name(outcome.source, outcome.endpoint),
                lake=lake,
            )
        uri = self._clean_uri(outcome.source, outcome.endpoint)
        rows = outcome.clean.cast(clean_schema(outcome.spec))
        write_table(
            rows,
            uri,
            mode="merge",
            keys=outcome.spec.key,
            markers=[batch_marker(b) for b in outcome.rows_in],
            storage_options=lake.storage_options,
        )
        landed = _count_by_batch(outcome.clean)
        rejected = _count_by_batch(outcome.rejected)
        log_rows = []
        for batch, rows_in in outcome.rows_in.items():
            ok, bad = landed.get(batch, 0), rejected.get(batch, 0)
            status: BatchStatus = "ok" if bad == 0 else ("rejected" if ok == 0 else "partial")
            log_rows.append(
                BatchOutcome(
                    batch,
                    name,
                    PIPELINE,
                    utc_now(),
                    rows_in=rows_in,
                    rows_landed=ok,
                    rows_quarantined=bad,
                    status=status,
                )
            )
        write_ingestion_log(log_rows, lake=lake)
        merged, quarantined = outcome.clean.height, outcome.rejected.height
        log.info("%s: %d CLEAN rows merged, %d quarantined", name, merged, quarantined)

    def load(self) -> dict[str, pl.DataFrame]:
        lake = self.lake
        frames = {}
        for source, endpoint, _ in self._endpoints():
            uri, opts = self._clean_uri(source, endpoint), lake.storage_options
            if open_table(uri, storage_options=opts) is not None:
                frames[f"{source}.{endpoint}"] = scan_table(uri, storage_options=opts).collect()
        return frames

    def _exists(self) -> bool:
        opts = self.lake.storage_options
        return any(
            open_table(self._clean_uri(s, e), storage_options=opts) is not None
            for s, e, _ in self._endpoints()
        )

    def preview(self, nrows: int = 20) -> TablePreview:
        return _preview([self._clean_uri(s, e) for s, e, _ in self._endpoints()], self.lake, nrows)


def _count_by_batch(frame: pl.DataFrame) -> dict[str, int]:
    if frame.is_empty():
        return {}
    counts = frame.group_by("_batch_id").len()
    return dict(zip(counts["_batch_id"].to_list(), counts["len"].to_list(), strict=True))


def _preview(uris: list[str], lake: Lake, nrows: int) -> TablePreview:
    """First rows of the first existing table, for kedro-viz."""
    for uri in uris:
        if open_table(uri, storage_options=lake.storage_options) is not None:
            df = scan_table(uri, storage_options=lake.storage_options).head(nrows).collect()
            rows = [[_jsonable(v) for v in row] for row in df.rows()]
            return TablePreview({"columns": df.columns, "data": rows})
    return TablePreview({"columns": [], "data": []})


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
