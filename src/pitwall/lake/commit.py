"""The landing contract: how a batch enters the lake, once, whatever else runs at the same time.

Every source (CSV files, REST pages, scraped feeds, Assetto Corsa captures) goes the same way:

1. **RAW** (:func:`commit_raw`): a :class:`LandedBatch` (its rows as read, streamed or in
   memory, plus ingestion metadata) is appended to ``raw.<table>`` in one Delta commit that
   carries the stream's next application transaction (see :mod:`pitwall.lake.txn`). The commit
   is based on the snapshot on which the batch was found absent: a concurrent run that lands it
   first makes ours conflict, and the retry then sees it and skips. Then the batch's row in
   ``raw.ingestion_log`` says ``landed_raw``. An input refused whole (a corrupt file) or holding
   no record only gets its final log row (``rejected`` / ``empty``), with the reason.
2. **CLEAN**: a node types, validates and deduplicates the RAW rows not merged yet. Its
   quarantine rows are written first (:func:`~pitwall.lake.records.write_quarantine`, replacing
   earlier rows of the same batches), then :func:`commit_clean` merges the typed rows into
   ``clean.<table>``; the commit carries ``{raw table: highest _batch_seq merged}`` as
   application transactions, so merging the same batches twice is impossible. Then
   :func:`finalize_log` gives each batch its final status from the tables themselves:
   ``rows_in`` = its RAW rows, ``rows_quarantined`` = its quarantine rows, ``rows_landed`` the
   difference (the rule is :func:`~pitwall.lake.ingest.batch_status`). Last, the RAW table
   records how far CLEAN got, for the next run (see :mod:`pitwall.lake.txn`).

Every step is idempotent and retried on commit conflicts, so a killed run is simply run again,
and any pipelines may run at the same time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, TypeAlias

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, Transaction
from deltalake.exceptions import CommitFailedError
from deltalake.transaction import AddAction

from pitwall.lake.conflicts import retry_on_conflict
from pitwall.lake.delta import commit_properties, open_table, scan_table, write_table
from pitwall.lake.files_append import (
    ParquetLayout,
    commit_files,
    ensure_table,
    remove_files,
    table_filesystem,
    write_files,
)
from pitwall.lake.ingest import (
    QUARANTINE_SCHEMA,
    BatchOutcome,
    batch_status,
    utc_now,
)
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log, write_ingestion_log
from pitwall.lake.txn import (
    BATCH_ID,
    BATCH_SEQ,
    MERGED_APP_ID,
    clean_transactions,
    holds_batch,
    raw_seq,
    raw_transaction,
    read_merged_seqs,
)

log = logging.getLogger(__name__)
OLDEST = pl.CompatLevel.oldest()

RAW_LAYOUT = ParquetLayout(
    row_group_rows=131_072,
    dictionary_columns=("_batch_id", "_ingested_at", "_source"),
    statistics_columns=(BATCH_ID, BATCH_SEQ, "_source_row"),
)
"""RAW files: the constant metadata columns dictionary-encoded (almost free), statistics only
on the columns the lake filters on (batch, sequence, position)."""

RawRows: TypeAlias = pa.RecordBatchReader | pl.DataFrame


class InputRejectedError(Exception):
    """Raised by a batch's row stream when the input turns out unusable while it is read (a file
    rewritten meanwhile, a read error): :func:`commit_raw` then lands nothing of it and logs it
    ``rejected`` with this reason, and the run goes on with the next input."""


@dataclass(frozen=True)
class LandedBatch:
    """One input (a file, a chunk of pages, a feed) on its way into a RAW table.

    Attributes:
        table: the RAW table.
        batch_id: the input's id (deterministic: the same input always has the same id).
        source: where it came from, relative to its landing zone or as a URI.
        pipeline: the pipeline landing it.
        started_at: when its landing started.
        rows: its rows with the ingestion metadata but ``_batch_seq`` (added on commit); None
            when nothing is landed (``error`` says why, or the input was empty).
        error: why the whole input was refused (corrupt, unreadable, not of this feed).
        since_seq: for inputs fetched rather than found (REST pages): the RAW stream's seq
            when the fetch started. If other batches landed since, rows whose ``dedupe_on``
            value they already hold are dropped before the commit.
        dedupe_on: the column identifying a record for ``since_seq``.
        layout: how the RAW files are cut and encoded.
        last: whether another batch of the same stream follows at once in this load (False:
            the dataset may gather the log rows of several such batches in one write).
    """

    table: str
    batch_id: str
    source: str
    pipeline: str
    started_at: datetime
    rows: RawRows | None = None
    error: str | None = None
    since_seq: int | None = None
    dedupe_on: str | None = None
    layout: ParquetLayout = RAW_LAYOUT
    last: bool = True

    def outcome(self, *, rows_in: int, status: str | None = None) -> BatchOutcome:
        final = batch_status(rows_in=rows_in, rows_quarantined=0, error=self.error)
        return BatchOutcome(
            batch_id=self.batch_id,
            source=self.source,
            pipeline=self.pipeline,
            started_at=self.started_at,
            rows_in=rows_in,
            rows_landed=rows_in if status == "landed_raw" else 0,
            rows_quarantined=0,
            status=status or final,  # type: ignore[arg-type]
            error=self.error,
            raw_table=self.table,
        )


def commit_raw(
    batch: LandedBatch,
    *,
    lake: Lake,
    log_now: bool = True,
    own_seqs: frozenset[int] = frozenset(),
) -> BatchOutcome | None:
    """Land one batch in RAW exactly once (see the module docstring).

    Args:
        batch: the batch.
        lake: the lake.
        log_now: write its ``landed_raw`` log row now (False: the caller writes the returned
            row later, with others; a run killed meanwhile loses nothing, since CLEAN writes
            every batch's final row from the tables).

    Returns:
        Its ingestion-log row, or None when the batch had already landed (it is skipped).
    """
    uri = lake.table_uri("raw", batch.table)
    options = lake.storage_options
    if batch.rows is None:
        return _log_final(batch, lake=lake)
    table = open_table(uri, storage_options=options)
    if holds_batch(table, batch.batch_id, storage_options=options):
        log.info("%s: batch %s already landed, skipped", batch.table, batch.batch_id)
        return None
    seq = raw_seq(table) + 1
    others = _others_since(batch, table, own_seqs)
    rows = _drop_landed(batch, table, others, lake=lake) if others else batch.rows
    schema, stream = _stamped(rows, seq=seq)
    counted = _Counter()
    try:
        staged = write_files(
            counted.through(stream),
            uri,
            schema=schema,
            layout=batch.layout,
            storage_options=options,
        )
    except InputRejectedError as exc:  # write_files removed what it had written
        return _log_final(replace(batch, rows=None, error=str(exc)), lake=lake)
    if counted.rows == 0:
        remove_files(staged, uri, storage_options=options)
        return _log_final(batch, lake=lake)
    committed = _commit_staged(batch, staged, uri=uri, schema=schema, seq=seq, lake=lake)
    if committed is None:
        return None
    outcome = batch.outcome(rows_in=counted.rows, status="landed_raw")
    outcome.batch_seq = committed
    outcome.finished_at = utc_now()
    if log_now:
        write_ingestion_log([outcome], lake=lake)
    log.info(
        "%s: landed %s rows (batch %s, seq %d)",
        batch.table,
        f"{counted.rows:,}",
        batch.batch_id,
        committed,
    )
    return outcome


def _log_final(batch: LandedBatch, *, lake: Lake) -> BatchOutcome:
    outcome = batch.outcome(rows_in=0)
    outcome.finished_at = utc_now()
    write_ingestion_log([outcome], lake=lake)
    if batch.error:
        log.warning("%s: %s rejected: %s", batch.table, batch.source, batch.error)
    return outcome


def _commit_staged(
    batch: LandedBatch,
    staged: list[AddAction],
    *,
    uri: str,
    schema: pa.Schema,
    seq: int,
    lake: Lake,
) -> int | None:
    """Commit staged files at the stream's next seq; None if the batch landed meanwhile."""
    options = lake.storage_options
    ensure_table(uri, schema=schema, storage_options=options)  # see commit_files
    for attempt in retry_on_conflict():
        with attempt:
            table = open_table(uri, storage_options=options)
            if holds_batch(table, batch.batch_id, storage_options=options):
                log.info("%s: batch %s landed by a concurrent run", batch.table, batch.batch_id)
                remove_files(staged, uri, storage_options=options)
                return None
            next_seq = raw_seq(table) + 1
            if next_seq != seq:  # another batch of the stream landed first: take the next seq
                staged = _restamp(
                    staged,
                    uri=uri,
                    schema=schema,
                    seq=next_seq,
                    batch=batch,
                    table=table,
                    lake=lake,
                )
                seq = next_seq
            commit_files(
                staged,
                table if table is not None else uri,
                schema=schema,
                transactions=[raw_transaction(seq)],
                storage_options=options,
            )
    return seq


def _others_since(batch: LandedBatch, table: DeltaTable | None, own: frozenset[int]) -> list[int]:
    """The seqs other writers committed since the batch was fetched (fetched batches only)."""
    if batch.since_seq is None or batch.dedupe_on is None:
        return []
    return [s for s in range(batch.since_seq + 1, raw_seq(table) + 1) if s not in own]


def _drop_landed(
    batch: LandedBatch, table: DeltaTable | None, seqs: list[int], *, lake: Lake
) -> RawRows:
    """The batch without the records other writers landed (in ``seqs``) since its fetch."""
    assert batch.dedupe_on is not None and table is not None
    assert isinstance(batch.rows, pl.DataFrame), "fetched batches are held in memory"
    held = (
        scan_table(table.table_uri, storage_options=lake.storage_options, version=table.version())
        .filter(pl.col(BATCH_SEQ).is_in(seqs))
        .select(batch.dedupe_on)
        .collect()
        .to_series()
    )
    kept = batch.rows.filter(~pl.col(batch.dedupe_on).is_in(held.implode()))
    dropped = batch.rows.height - kept.height
    if dropped:
        log.info(
            "%s: %d record(s) landed meanwhile by a concurrent run, dropped", batch.table, dropped
        )
    return kept


def _stamped(rows: RawRows, *, seq: int) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The rows as Arrow batches with ``_batch_seq = seq`` (replacing any given)."""
    if isinstance(rows, pl.DataFrame):
        rows = rows.drop(BATCH_SEQ, strict=False)
        table = _arrow_compatible(rows.to_arrow(compat_level=pl.CompatLevel.oldest()))
        reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    else:
        reader = rows
    base = reader.schema
    if BATCH_SEQ in base.names:
        base = base.remove(base.get_field_index(BATCH_SEQ))
    schema = base.append(pa.field(BATCH_SEQ, pa.int64()))

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            if BATCH_SEQ in batch.schema.names:
                batch = batch.drop_columns([BATCH_SEQ])
            seqs = pa.Array.from_buffers(
                pa.int64(), batch.num_rows, [None, pa.py_buffer(np.full(batch.num_rows, seq))]
            )
            yield pa.RecordBatch.from_arrays([*batch.columns, seqs], schema=schema)

    return schema, batches()


def _arrow_compatible(table: pa.Table) -> pa.Table:
    """Delta has no null type: all-null columns of unknown type become strings."""
    for i, f in enumerate(table.schema):
        if pa.types.is_null(f.type):
            table = table.set_column(i, f.name, pa.nulls(table.num_rows, pa.string()))
    return table


def _restamp(
    staged: list[AddAction],
    *,
    uri: str,
    schema: pa.Schema,
    seq: int,
    batch: LandedBatch,
    table: DeltaTable | None,
    lake: Lake,
) -> list[AddAction]:
    """Rewrite staged files with another ``_batch_seq`` (rare: two runs of one stream raced)."""
    filesystem = table_filesystem(uri, dict(lake.storage_options))

    def batches() -> Iterator[pa.RecordBatch]:
        for action in staged:
            yield from pq.read_table(action.path, filesystem=filesystem).to_batches()

    rows = pa.RecordBatchReader.from_batches(schema, batches())
    _, stream = _stamped(rows, seq=seq)
    restaged = write_files(
        stream, uri, schema=schema, layout=batch.layout, storage_options=lake.storage_options
    )
    remove_files(staged, uri, storage_options=lake.storage_options)
    return restaged


class _Counter:
    def __init__(self) -> None:
        self.rows = 0

    def through(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            self.rows += batch.num_rows
            yield batch


@dataclass(frozen=True)
class QuarantineRows:
    """Rows a CLEAN node rejected (:data:`~pitwall.lake.ingest.QUARANTINE_SCHEMA`).

    The first chunk of a merge replaces every earlier quarantine row of its ``batches`` (so a
    re-run never doubles them); later chunks (``replace=False``) add theirs.
    """

    rows: pl.DataFrame
    batches: tuple[str, ...]
    replace: bool = True

    @classmethod
    def nothing(cls) -> QuarantineRows:
        """No rows for no batch (what a CLEAN node with nothing to merge yields)."""
        return cls(pl.DataFrame(schema=QUARANTINE_SCHEMA), ())


CleanMode = Literal["merge", "replace"]


@dataclass(frozen=True)
class CleanChunk:
    """Typed rows on their way into a CLEAN table: one chunk of one or more RAW batches.

    A CLEAN node yields the chunks of each merge in order; the last one (``merged`` set)
    closes it: its commit records the RAW batches merged and their log rows are finalized.

    Attributes:
        table: the CLEAN table.
        rows: typed rows.
        keys: the natural key (``merge``: upsert by it; ``replace``: one column whose values
            name the groups of rows replaced whole, e.g. a capture).
        mode: ``merge`` or ``replace``.
        merged: on the last chunk: ``{raw table: highest _batch_seq}`` these rows cover.
        after: ``{raw table: _batch_seq merged before}``: the batches whose log rows are
            finalized are those in ``(after, merged]``.
        quarantine_table: where these batches' rejected rows went (for the log).
        pipeline: the pipeline (for the log).
        closes: whether this table's commit closes the batches (finalizes their log rows and
            marks them merged on RAW); a node writing several CLEAN tables from the same
            batches sets it on the last one only.
    """

    table: str
    rows: pl.DataFrame
    keys: tuple[str, ...]
    quarantine_table: str
    pipeline: str
    mode: CleanMode = "merge"
    merged: Mapping[str, int] | None = None
    after: Mapping[str, int] = field(default_factory=dict)
    closes: bool = True

    @property
    def last(self) -> bool:
        return self.merged is not None

    @property
    def is_nothing(self) -> bool:
        return self.rows.is_empty() and self.merged == {}

    @classmethod
    def nothing(cls, table: str) -> CleanChunk:
        """No rows closing no merge: a CLEAN node with nothing to merge yields this (Kedro
        needs at least one output of a generator node with several outputs)."""
        return cls(table, pl.DataFrame(), (), quarantine_table="", pipeline="", merged={})

    def closing(self, *, merged: Mapping[str, int], after: Mapping[str, int]) -> CleanChunk:
        return replace(self, merged=dict(merged), after=dict(after))


def is_merged(chunk: CleanChunk, *, lake: Lake, snapshot: DeltaTable | None = None) -> bool:
    """Whether the CLEAN table (at ``snapshot``, default its latest version) already holds
    every batch the chunk's merge covers."""
    if chunk.merged is None:
        return False
    done = read_merged_seqs(chunk.table, list(chunk.merged), lake=lake, snapshot=snapshot)
    return all(done[raw] >= seq for raw, seq in chunk.merged.items())


def clean_layout(schema: pa.Schema) -> ParquetLayout:
    """CLEAN files: typed columns, statistics everywhere (users query them), dictionaries for
    the text columns. Dictionaries on numbers and timestamps cost a third of the encoding time
    (1M rows of the CSV benchmark: 0.64 -> 0.41 s CPU) for 13 % smaller files."""
    text = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
    return ParquetLayout(
        row_group_rows=CLEAN_ROW_GROUP_ROWS,
        file_row_groups=2,
        dictionary_columns=tuple(f.name for f in schema if any(t(f.type) for t in text)),
        statistics_columns=tuple(schema.names),
    )


CLEAN_ROW_GROUP_ROWS = 131_072


class CleanWriter:
    """Writes the chunks of CLEAN merges into one table, in order (a Kedro dataset holds one).

    Into an existing table each chunk is upserted (the last one with the merge's application
    transactions; upserting earlier chunks again after a crash gives the same rows). A table
    that does not exist yet is built in one pass instead: the chunks' Parquet files are written
    as they come and committed together, with the transactions, at the last chunk, on the
    snapshot of the (empty) table: a concurrent commit of the same merge makes it conflict. If
    a concurrent run filled the table meanwhile, those rows are merged into it instead (or
    dropped, when that run merged the same batches).
    """

    def __init__(self, table: str, *, lake: Lake) -> None:
        self.table = table
        self.lake = lake
        self._staged: list[AddAction] | None = None
        self._schema: pa.Schema | None = None
        self._open = False
        # a new table's chunk is encoded while the node computes the next one (one at a time,
        # so at most two chunks are held)
        self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clean-stage")
        self._encoding: Future[list[AddAction]] | None = None

    @property
    def uri(self) -> str:
        return self.lake.table_uri("clean", self.table)

    def write(self, chunk: CleanChunk) -> None:
        if chunk.is_nothing and not self._open:
            return
        if not self._open:
            self._open = True
            table = open_table(self.uri, storage_options=self.lake.storage_options)
            new = table is None or not table.file_uris()
            self._staged = [] if new and chunk.mode == "merge" else None
        if self._staged is None:
            commit_clean(chunk, lake=self.lake)
        else:
            self._stage(chunk)
            if chunk.last:
                self._staged_so_far()
                self._commit_new(chunk)
        if chunk.last:
            self._open, self._staged, self._schema = False, None, None

    def _stage(self, chunk: CleanChunk) -> None:
        if chunk.rows.is_empty() and self._schema is not None:
            return
        table = _arrow_compatible(chunk.rows.to_arrow(compat_level=pl.CompatLevel.oldest()))
        if self._schema is None:
            self._schema = table.schema
        self._staged_so_far()
        self._encoding = self._encoder.submit(
            write_files,
            table.cast(self._schema).to_batches(),
            self.uri,
            schema=self._schema,
            layout=clean_layout(self._schema),
            storage_options=self.lake.storage_options,
        )

    def _staged_so_far(self) -> None:
        """Wait for the chunk being encoded; its files join the staged ones."""
        if self._encoding is not None:
            encoding, self._encoding = self._encoding, None
            assert self._staged is not None
            self._staged += encoding.result()

    def _commit_new(self, chunk: CleanChunk) -> None:
        assert self._staged is not None and self._schema is not None
        options = self.lake.storage_options
        ensure_table(self.uri, schema=self._schema, storage_options=options)  # see commit_files
        for attempt in retry_on_conflict():
            with attempt:
                table = open_table(self.uri, storage_options=options)
                if table is not None and (
                    table.file_uris() or is_merged(chunk, lake=self.lake, snapshot=table)
                ):
                    break
                commit_files(  # on an absent table: creates it empty, then retries on it
                    self._staged,
                    table if table is not None else self.uri,
                    schema=self._schema,
                    transactions=clean_transactions(chunk.merged or {}),
                    storage_options=options,
                )
                close_batches(chunk, lake=self.lake)
                return
        # created by a concurrent run meanwhile: merge the staged rows into it instead
        filesystem = table_filesystem(self.uri, dict(options))
        staged = [pq.read_table(a.path, filesystem=filesystem) for a in self._staged]
        rows = pl.from_arrow(pa.concat_tables(staged)) if staged else chunk.rows.clear()
        assert isinstance(rows, pl.DataFrame)
        commit_clean(replace(chunk, rows=rows), lake=self.lake)
        remove_files(self._staged, self.uri, storage_options=options)


def commit_clean(chunk: CleanChunk, *, lake: Lake) -> bool:
    """Merge (or replace) a chunk into an existing CLEAN table (or create it); the last chunk
    commits the merged seqs, then closes the batches. Matched rows are updated only when a
    data column differs, so a merge that changes nothing commits nothing to CLEAN.

    Returns:
        False when the merge had already been committed (by an earlier or concurrent run).
    """
    uri = lake.table_uri("clean", chunk.table)
    options = lake.storage_options
    written = True
    schema = _arrow_compatible(chunk.rows.head(0).to_arrow(compat_level=OLDEST)).schema
    if chunk.rows.width:  # created empty first: a concurrent creator then conflicts
        ensure_table(uri, schema=schema, storage_options=options)
    for attempt in retry_on_conflict():
        with attempt:
            table = open_table(uri, storage_options=options)
            if is_merged(chunk, lake=lake, snapshot=table):
                log.info("clean.%s: these batches are merged already", chunk.table)
                written = False
                break
            txns = clean_transactions(chunk.merged or {})
            if table is None and chunk.rows.width == 0:
                break  # nothing of this table yet, and nothing to create it from
            if table is None:  # removed since (a test, an operator): create it again
                ensure_table(uri, schema=schema, storage_options=options)
                raise CommitFailedError(f"clean.{chunk.table}: created; merge into it")
            if not chunk.rows.is_empty():
                write_table(
                    chunk.rows,
                    table,
                    mode=chunk.mode,
                    keys=chunk.keys,
                    storage_options=options,
                    transactions=txns,
                    compare=data_columns(chunk.rows.columns, keys=chunk.keys),
                )
    close_batches(chunk, lake=lake)
    return written


def data_columns(columns: list[str], *, keys: tuple[str, ...]) -> list[str]:
    """The columns whose change makes a CLEAN row change: not the key, not the metadata."""
    return [c for c in columns if c not in keys and not c.startswith("_")]


def close_batches(chunk: CleanChunk, *, lake: Lake) -> None:
    """After the last chunk of a merge: final log rows, then the merged mark on RAW."""
    if not (chunk.last and chunk.closes):
        return
    finalize_log(chunk, lake=lake)
    assert chunk.merged is not None
    for raw, seq in chunk.merged.items():
        uri = lake.table_uri("raw", raw)
        for attempt in retry_on_conflict():
            with attempt:
                table = open_table(uri, storage_options=lake.storage_options)
                if table is None or (table.transaction_version(MERGED_APP_ID) or 0) >= seq:
                    break
                table.create_write_transaction(
                    [],
                    mode="append",
                    schema=table.schema(),
                    commit_properties=commit_properties([Transaction(MERGED_APP_ID, seq)]),
                )


def finalize_log(chunk: CleanChunk, *, lake: Lake) -> list[BatchOutcome]:
    """Final log rows of the batches a CLEAN merge covered, counted from the tables."""
    assert chunk.merged is not None
    outcomes: list[BatchOutcome] = []
    for raw, upto in chunk.merged.items():
        after = chunk.after.get(raw, 0)
        outcomes += _final_outcomes(
            raw,
            after=after,
            upto=upto,
            quarantine=chunk.quarantine_table,
            pipeline=chunk.pipeline,
            lake=lake,
        )
    write_ingestion_log(outcomes, lake=lake)
    return outcomes


def _final_outcomes(
    raw: str, *, after: int, upto: int, quarantine: str, pipeline: str, lake: Lake
) -> list[BatchOutcome]:
    options = lake.storage_options
    rows = scan_table(lake.table_uri("raw", raw), storage_options=options).filter(
        pl.col(BATCH_SEQ).is_between(after + 1, upto)
    )
    per_batch = (
        rows.group_by(BATCH_ID)
        .agg(
            pl.len().alias("rows_in"),
            pl.col("_source").first().cast(pl.String).alias("source"),
            pl.col("_ingested_at").min().alias("started_at"),
            pl.col(BATCH_SEQ).max().alias("batch_seq"),
        )
        .collect()
    )
    if per_batch.is_empty():
        return []
    batches = per_batch.get_column(BATCH_ID).cast(pl.String).to_list()
    quarantined = _quarantined_by_batch(quarantine, batches, lake=lake)
    logged = _logged(batches, lake=lake)
    outcomes = []
    for row in per_batch.iter_rows(named=True):
        batch = str(row[BATCH_ID])
        bad = quarantined.get(batch, 0)
        earlier = logged.get(batch, {})
        outcomes.append(
            BatchOutcome(
                batch_id=batch,
                source=str(earlier.get("source") or row["source"]),
                pipeline=str(earlier.get("pipeline") or pipeline),
                started_at=earlier.get("started_at") or row["started_at"],
                rows_in=row["rows_in"],
                rows_landed=row["rows_in"] - bad,
                rows_quarantined=bad,
                status=batch_status(rows_in=row["rows_in"], rows_quarantined=bad),
                raw_table=raw,
                batch_seq=row["batch_seq"],
            )
        )
    return outcomes


def _quarantined_by_batch(table: str, batches: list[str], *, lake: Lake) -> dict[str, int]:
    uri = lake.table_uri("quarantine", table)
    if open_table(uri, storage_options=lake.storage_options) is None:
        return {}
    counts = (
        scan_table(uri, storage_options=lake.storage_options)
        .filter(pl.col(BATCH_ID).is_in(batches))
        .group_by(BATCH_ID)
        .len()
        .collect()
    )
    return {str(b): int(n) for b, n in counts.iter_rows()}


def _logged(batches: list[str], *, lake: Lake) -> dict[str, dict[str, Any]]:
    rows = read_ingestion_log(lake=lake).filter(pl.col("batch_id").is_in(batches))
    return {r["batch_id"]: r for r in rows.iter_rows(named=True)}
