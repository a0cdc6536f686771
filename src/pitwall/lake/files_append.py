"""Appending a stream of Arrow batches to a Delta table as Parquet files encoded in parallel.

``write_deltalake`` encodes one file at a time and casts dictionary arrays back to plain
strings before writing. For the wide all-string RAW tables that made the writer the slowest
stage of CSV landing. Here pyarrow encodes several files at once (it releases the GIL),
writes dictionary arrays as they are (a constant metadata column then costs almost nothing),
and the files are committed to the Delta log in one transaction, with the application
transactions (``txn``) that make the write exactly-once, through deltalake's own
``create_write_transaction``. A killed run leaves at most unreferenced files:
the table only ever sees committed ones.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake import DeltaTable, Field, Schema, Transaction
from deltalake.exceptions import CommitFailedError, DeltaError
from deltalake.fs import DeltaStorageHandler
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from pitwall.lake.delta import commit_properties, open_table
from pitwall.lake.layout import is_remote_uri

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParquetLayout:
    """How the appended files are cut and encoded.

    Columns not listed in ``dictionary_columns`` are plain-encoded (for unique-ish strings a
    dictionary costs time and buys nothing); only ``statistics_columns`` get Parquet
    statistics, and those are also the Delta file statistics used for file skipping.
    """

    row_group_rows: int = 262_144
    file_row_groups: int = 2
    dictionary_columns: tuple[str, ...] = ()
    statistics_columns: tuple[str, ...] = ()
    compression: Literal["snappy", "lz4", "zstd", "none"] = "snappy"


def write_files_append(
    batches: Iterable[pa.RecordBatch],
    uri: str,
    *,
    schema: pa.Schema,
    layout: ParquetLayout,
    transactions: Iterable[Transaction] = (),
    storage_options: Mapping[str, str] | None = None,
    threads: int = 2,
) -> int:
    """Append ``batches`` (in ``schema``) to the Delta table at ``uri`` in one commit:
    :func:`write_files`, then :func:`commit_files`.

    Returns:
        The number of rows appended.
    """
    staged = write_files(
        batches,
        uri,
        schema=schema,
        layout=layout,
        storage_options=storage_options,
        threads=threads,
    )
    options = dict(storage_options or {})
    ensure_table(uri, schema=schema, storage_options=options)
    return commit_files(
        staged,
        uri,
        schema=schema,
        transactions=transactions,
        storage_options=storage_options,
    )


def write_files(
    batches: Iterable[pa.RecordBatch],
    uri: str,
    *,
    schema: pa.Schema,
    layout: ParquetLayout,
    storage_options: Mapping[str, str] | None = None,
    threads: int = 2,
) -> list[AddAction]:
    """Write ``batches`` as Parquet files in the table's folder, not committed yet.

    The files are invisible until :func:`commit_files` adds them; if that never happens they
    stay unreferenced (harmless, and removed by a vacuum). Memory: at most ``threads + 2``
    files' worth of batches are held at once (those being encoded, one waiting, one being
    filled). A failing stream removes the files it wrote.
    """
    options = dict(storage_options or {})
    filesystem = table_filesystem(uri, options)
    actions: list[AddAction] = []
    pending: deque[Future[AddAction]] = deque()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="parquet") as pool:
        try:
            for part in _parts(batches, rows=layout.row_group_rows * layout.file_row_groups):
                while len(pending) > threads:
                    actions.append(pending.popleft().result())
                pending.append(pool.submit(_write_file, part, filesystem, schema, layout))
            while pending:
                actions.append(pending.popleft().result())
        except BaseException:
            for future in pending:
                future.cancel()
            written = [f.result() for f in pending if not f.cancelled() and not f.exception()]
            _remove_quietly(filesystem, [a.path for a in actions + written])
            raise
    return actions


def table_filesystem(uri: str, options: dict[str, str]) -> pafs.FileSystem:
    """The table's folder as a filesystem: pyarrow's own for local paths, else object_store's."""
    if not is_remote_uri(uri):
        root = Path(uri.removeprefix("file://"))
        root.mkdir(parents=True, exist_ok=True)
        return pafs.SubTreeFileSystem(str(root.resolve()), pafs.LocalFileSystem())
    return pafs.PyFileSystem(DeltaStorageHandler(uri, options))


def _parts(batches: Iterable[pa.RecordBatch], *, rows: int) -> Iterator[list[pa.RecordBatch]]:
    part: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        part.append(batch)
        held += batch.num_rows
        if held >= rows:
            yield part
            part, held = [], 0
    if part:
        yield part


def _write_file(
    part: list[pa.RecordBatch],
    filesystem: pafs.FileSystem,
    schema: pa.Schema,
    layout: ParquetLayout,
) -> AddAction:
    path = f"part-{uuid.uuid4()}-c000.{layout.compression}.parquet"
    collected: list[pq.FileMetaData] = []
    pq.write_table(
        pa.Table.from_batches(part, schema=schema),
        path,
        filesystem=filesystem,
        row_group_size=layout.row_group_rows,
        compression=layout.compression,
        use_dictionary=list(layout.dictionary_columns),
        write_statistics=list(layout.statistics_columns),
        store_schema=False,  # readers see the Delta schema (dictionaries are plain strings)
        metadata_collector=collected,
    )
    size = filesystem.get_file_info(path).size
    return AddAction(
        path=path,
        size=int(size or 0),
        partition_values={},
        modification_time=int(time.time() * 1000),
        data_change=True,
        stats=json.dumps(_file_stats(collected[0], columns=layout.statistics_columns)),
    )


def _file_stats(meta: pq.FileMetaData, *, columns: tuple[str, ...]) -> dict[str, Any]:
    """Delta file statistics (numRecords; min, max and null count of ``columns``)."""
    mins: dict[str, Any] = {}
    maxes: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    for name in columns:
        index = names.index(name)
        chunks = [meta.row_group(g).column(index).statistics for g in range(meta.num_row_groups)]
        if not chunks or any(s is None or not s.has_min_max for s in chunks):
            continue
        low, high = min(s.min for s in chunks), max(s.max for s in chunks)
        if not isinstance(low, str | int | float):  # stats are optional: only plain JSON values
            continue
        mins[name], maxes[name] = low, high
        nulls[name] = sum(s.null_count for s in chunks)
    return {"numRecords": meta.num_rows, "minValues": mins, "maxValues": maxes, "nullCount": nulls}


def commit_files(
    actions: list[AddAction],
    uri: str | DeltaTable,
    *,
    schema: pa.Schema,
    transactions: Iterable[Transaction] = (),
    storage_options: Mapping[str, str] | None = None,
) -> int:
    """Add the files of :func:`write_files` to the table in one commit, with ``transactions``.

    ``uri`` may be a loaded snapshot of the table: the commit is then based on it (a concurrent
    commit of the same application transaction makes this one conflict). The table is created
    when absent and gains the columns of ``schema`` it lacks.

    Returns:
        The number of rows added.
    """
    options = dict(storage_options or {})
    commit = commit_properties(transactions)
    delta_schema = Schema.from_arrow(_plain(schema))
    table = uri if isinstance(uri, DeltaTable) else open_table(uri, storage_options=options)
    if table is None:
        # Creating the table with the files would skip the conflict check of the application
        # transactions when a concurrent writer creates it first (the files would land twice):
        # create it empty, then let the caller decide again on the new snapshot.
        ensure_table(str(uri), schema=schema, storage_options=options)
        raise CommitFailedError(f"{uri}: the table was just created; commit on its snapshot")
    _add_missing_columns(table, delta_schema)
    table.create_write_transaction(
        list[AddAction | RemoveAction](actions),
        mode="append",
        schema=table.schema(),
        commit_properties=commit,
    )
    return sum(json.loads(a.stats)["numRecords"] for a in actions)


def ensure_table(
    uri: str, *, schema: pa.Schema, storage_options: Mapping[str, str] | None = None
) -> None:
    """Create the table empty, unless it exists (a concurrent creation is not an error)."""
    options = dict(storage_options or {})
    if DeltaTable.is_deltatable(uri, storage_options=options):  # the usual case: no log replay
        return
    delta_schema = Schema.from_arrow(_plain(schema))
    try:
        create_table_with_add_actions(uri, delta_schema, [], mode="ignore", storage_options=options)
    except DeltaError:
        if open_table(uri, storage_options=options) is None:
            raise


def remove_files(
    actions: list[AddAction], uri: str, *, storage_options: Mapping[str, str] | None = None
) -> None:
    """Remove staged files that will not be committed (best effort: vacuum gets the rest)."""
    filesystem = table_filesystem(uri, dict(storage_options or {}))
    _remove_quietly(filesystem, [a.path for a in actions])


def _add_missing_columns(table: DeltaTable, schema: Schema) -> None:
    """Its own commit, before the rows': a column without rows is harmless if we stop here."""
    known = {f.name for f in table.schema().fields}
    added = [f for f in schema.fields if f.name not in known]
    if added:
        table.alter.add_columns([Field(f.name, f.type, nullable=True) for f in added])
        log.info("%s: added columns %s", table.table_uri, ", ".join(f.name for f in added))


def _plain(schema: pa.Schema) -> pa.Schema:
    """``schema`` with dictionary columns as their value type (what the files hold)."""
    fields = [
        f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in schema
    ]
    return pa.schema(fields)


def _remove_quietly(filesystem: pafs.FileSystem, paths: list[str]) -> None:
    for path in paths:
        try:
            filesystem.delete_file(path)
        except OSError:  # an unreferenced file is harmless; vacuum removes it later
            log.warning("could not remove the unreferenced file %s", path)
