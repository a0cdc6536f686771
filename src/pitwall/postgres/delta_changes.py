"""What changed in a Delta table between two versions, from its file lists.

A Delta version is a set of Parquet files. Between the mirrored version and the current one,
files only in the current snapshot are *added* (their rows are new or rewritten) and files only
in the old snapshot are *removed* (their rows were deleted or rewritten). With a natural key,
upserting the added rows and deleting the removed keys that are not re-added brings the mirror
exactly to the current version. Row counts come from the file statistics, so this upper bound
of the change is known before any data is read; :mod:`pitwall.postgres.row_changes` finds which
of those rows really changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable

_UNSUPPORTED_READER_FEATURES = {"deletionVectors", "columnMapping"}


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of a snapshot."""

    path: str
    rows: int | None
    partition_values: Mapping[str, str | None]


@dataclass(frozen=True)
class FileDiff:
    """Files added and removed between two versions."""

    added: tuple[DataFile, ...]
    removed: tuple[DataFile, ...]

    @property
    def added_rows(self) -> int | None:
        return _sum_rows(self.added)

    @property
    def removed_rows(self) -> int | None:
        return _sum_rows(self.removed)


def snapshot_files(table: DeltaTable) -> dict[str, DataFile]:
    """The files of the table's loaded version, by path."""
    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    files: dict[str, DataFile] = {}
    for action in actions:
        partitions = {
            key.removeprefix("partition."): (None if value is None else str(value))
            for key, value in action.items()
            if key.startswith("partition.")
        }
        rows = action.get("num_records")
        files[action["path"]] = DataFile(
            path=action["path"],
            rows=None if rows is None else int(rows),
            partition_values=partitions,
        )
    return files


def snapshot_rows(table: DeltaTable) -> int | None:
    """Rows of the loaded version from file statistics (None when a file has none)."""
    return _sum_rows(tuple(snapshot_files(table).values()))


def diff_versions(
    uri: str,
    *,
    current: DeltaTable,
    from_version: int,
    storage_options: Mapping[str, str] | None = None,
) -> FileDiff | None:
    """Files added/removed since ``from_version``; None when that cannot be known exactly."""
    if not supports_file_diff(current):
        return None
    try:
        old = DeltaTable(uri, version=from_version, storage_options=dict(storage_options or {}))
    except Exception:
        return None
    old_files = snapshot_files(old)
    new_files = snapshot_files(current)
    return FileDiff(
        added=tuple(f for p, f in new_files.items() if p not in old_files),
        removed=tuple(f for p, f in old_files.items() if p not in new_files),
    )


def supports_file_diff(table: DeltaTable) -> bool:
    """Files can be read as-is: no deletion vectors, no column mapping."""
    features = set(table.protocol().reader_features or [])
    mapping = table.metadata().configuration.get("delta.columnMapping.mode", "none")
    return not (features & _UNSUPPORTED_READER_FEATURES) and mapping in ("none", None)


def read_files(
    uri: str,
    files: Sequence[DataFile],
    *,
    schema: pl.Schema,
    columns: Sequence[str] | None = None,
    storage_options: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Rows of some files of a table, with partition values, typed as ``schema``."""
    wanted = list(columns or schema.names())
    frames = [
        read_file(f, uri=uri, schema=schema, columns=wanted, storage_options=storage_options)
        for f in files
    ]
    if not frames:
        return pl.DataFrame(schema={name: schema[name] for name in wanted})
    return pl.concat(frames, how="vertical")


def read_file(
    data_file: DataFile,
    *,
    uri: str,
    schema: pl.Schema,
    columns: Sequence[str],
    storage_options: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """``columns`` of one file, typed as ``schema``; only those columns are read from it."""
    location = f"{uri.rstrip('/')}/{unquote(data_file.path)}"
    scan = pl.scan_parquet(
        location, hive_partitioning=False, storage_options=dict(storage_options or {}) or None
    )
    stored = scan.collect_schema().names()
    present = [name for name in columns if name in stored]
    # a frame of no column has no rows: keep one stored column for the file's row count
    frame = scan.select(present or stored[:1]).collect()
    for name, value in data_file.partition_values.items():
        if name in columns:
            frame = frame.with_columns(pl.lit(value, dtype=pl.String).alias(name))
    return _conform(frame, schema=schema, columns=columns)


def _conform(frame: pl.DataFrame, *, schema: pl.Schema, columns: Sequence[str]) -> pl.DataFrame:
    """Columns in order and types of the current schema; columns added later read as NULL."""
    return frame.select(
        (
            pl.col(name).cast(schema[name])
            if name in frame.columns
            else pl.lit(None, dtype=schema[name]).alias(name)
        )
        for name in columns
    )


def _sum_rows(files: Sequence[DataFile]) -> int | None:
    total = 0
    for data_file in files:
        if data_file.rows is None:
            return None
        total += data_file.rows
    return total
