"""Polars <-> Delta Lake IO: scan, write (append / overwrite / merge by keys), history markers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import polars as pl
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from pitwall.lake.layout import Lake, Layer, get_lake

log = logging.getLogger(__name__)

WriteMode = Literal["append", "overwrite", "merge", "replace"]
MARKER_KEY = "pitwall.markers"


def open_table(uri: str, *, storage_options: Mapping[str, str] | None = None) -> DeltaTable | None:
    """The Delta table at ``uri``, or None when there is none yet."""
    try:
        return DeltaTable(uri, storage_options=dict(storage_options or {}))
    except TableNotFoundError:
        return None


def table_exists(uri: str, *, storage_options: Mapping[str, str] | None = None) -> bool:
    return open_table(uri, storage_options=storage_options) is not None


def scan_table(
    uri: str,
    *,
    storage_options: Mapping[str, str] | None = None,
    version: int | None = None,
) -> pl.LazyFrame:
    """Lazily scan a Delta table with polars (works around ``string_view`` filter issues)."""
    return pl.scan_delta(uri, version=version, storage_options=dict(storage_options or {}))


def read_table(
    uri: str,
    *,
    storage_options: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Read a Delta table into memory; an absent table reads as an empty frame."""
    if open_table(uri, storage_options=storage_options) is None:
        return pl.DataFrame()
    lf = scan_table(uri, storage_options=storage_options)
    if columns:
        lf = lf.select(columns)
    return lf.collect()


def write_table(
    data: pl.DataFrame | pl.LazyFrame,
    uri: str,
    *,
    mode: WriteMode = "append",
    keys: Sequence[str] = (),
    storage_options: Mapping[str, str] | None = None,
    markers: Iterable[str] = (),
    metadata: Mapping[str, Any] | None = None,
    partition_by: Sequence[str] = (),
) -> int | None:
    """Write a frame to a Delta table in one commit and return the new version.

    Args:
        data: rows to write. A LazyFrame is streamed (append/overwrite only).
        uri: the table.
        mode: ``append``, ``overwrite``, ``merge`` (upsert on ``keys``) or ``replace``
            (atomically swap the rows whose ``keys`` values appear in ``data``, e.g. one
            batch's rows: re-writing a batch after a crash never doubles it).
        keys: natural key columns for ``merge``; the replaced column for ``replace``.
        storage_options: object_store options.
        markers: opaque ids (files, batches, cursors) committed atomically with the rows,
            read back with :func:`read_markers`.
        metadata: extra custom commit metadata.
        partition_by: partition columns when the table is created.

    Returns:
        The table version after the commit, or None when nothing was written.
    """
    options = dict(storage_options or {})
    custom: dict[str, str] = {k: json.dumps(v) for k, v in (metadata or {}).items()}
    marker_list = sorted(set(markers))
    if marker_list:
        custom[MARKER_KEY] = json.dumps(marker_list)
    commit = CommitProperties(custom_metadata=custom) if custom else None
    table = open_table(uri, storage_options=options)

    if mode == "merge" and table is not None:
        if not keys:
            raise ValueError("merge mode needs natural key columns")
        frame = data.collect() if isinstance(data, pl.LazyFrame) else data
        if frame.is_empty() and not marker_list:
            return None
        frame = frame.unique(subset=list(keys), keep="last", maintain_order=True)
        predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
        (
            frame.write_delta(
                uri,
                mode="merge",
                storage_options=options,
                delta_merge_options={
                    "predicate": predicate,
                    "source_alias": "s",
                    "target_alias": "t",
                    "merge_schema": True,
                    "commit_properties": commit,
                },
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
        return DeltaTable(uri, storage_options=options).version()

    write_mode: Literal["append", "overwrite"] = "overwrite" if mode == "overwrite" else "append"
    predicate: str | None = None
    if mode == "merge" and keys:
        data = data.unique(subset=list(keys), keep="last", maintain_order=True)
    if mode == "replace" and table is not None:
        predicate = _replace_predicate(data, keys)
        write_mode = "overwrite"
    arrow = _to_arrow_stream(data)
    write_deltalake(
        uri,
        arrow,
        mode=write_mode,
        predicate=predicate,
        schema_mode="overwrite" if mode == "overwrite" else "merge",
        storage_options=options,
        partition_by=list(partition_by) or None,
        commit_properties=commit,
    )
    return DeltaTable(uri, storage_options=options).version()


def _replace_predicate(data: pl.DataFrame | pl.LazyFrame, keys: Sequence[str]) -> str:
    if len(keys) != 1 or not isinstance(data, pl.DataFrame):
        raise ValueError("replace mode needs one key column and an in-memory DataFrame")
    key = keys[0]
    values = data.get_column(key).unique().drop_nulls().to_list()
    if not values:
        return "false"
    quoted = ", ".join(_sql_literal(v) for v in values)
    return f'"{key}" IN ({quoted})'


def _sql_literal(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _to_arrow_stream(data: pl.DataFrame | pl.LazyFrame) -> Any:
    if isinstance(data, pl.DataFrame):
        return data.to_arrow(compat_level=pl.CompatLevel.oldest())
    import pyarrow as pa

    schema = data.collect_schema()
    empty = pl.DataFrame(schema=schema).to_arrow(compat_level=pl.CompatLevel.oldest())

    def batches() -> Iterable[pa.RecordBatch]:
        for chunk in data.collect_batches():
            yield from chunk.to_arrow(compat_level=pl.CompatLevel.oldest()).to_batches()

    return pa.RecordBatchReader.from_batches(empty.schema, batches())


def read_markers(uri: str, *, storage_options: Mapping[str, str] | None = None) -> set[str]:
    """All markers committed to a table so far (see ``write_table(markers=...)``)."""
    table = open_table(uri, storage_options=storage_options)
    if table is None:
        return set()
    found: set[str] = set()
    for commit in table.history():
        raw = commit.get(MARKER_KEY)
        if raw:
            found.update(json.loads(raw))
    return found


def table_uri(layer: Layer, name: str, *, lake: Lake | None = None) -> str:
    return (lake or get_lake()).table_uri(layer, name)
