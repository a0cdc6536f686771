"""Reading and writing reference rows: one Delta MERGE per change, checked inside the commit.

A write reads the row at the table's current snapshot, decides (409 exists, 404 absent,
412 stale version), then MERGEs the new row with the version check as the MERGE's match
predicate, carrying an application transaction ``ref.<table>.<key>`` at the new version.
Two writers of the same key therefore cannot both commit: the second conflicts (same txn
app id, or files it read were rewritten), is retried by :func:`retry_on_conflict` on the new
snapshot, and then sees the version moved (412). Writers of other keys (an ingest, another
edit) only cost a retry. Each change then appends its audit row (:mod:`pitwall.refdata.audit`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import polars as pl
from deltalake import DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import DeltaError

from pitwall.lake.conflicts import retry_on_conflict
from pitwall.lake.delta import commit_properties, open_table
from pitwall.lake.ingest import utc_now
from pitwall.lake.layout import Lake
from pitwall.refdata.audit import Actor, RefChange, recover_ref_changes, write_ref_changes
from pitwall.refdata.entities import RefEntity

WriteOp = Literal["create", "update", "delete"]


class RefError(Exception):
    """A reference write refused; ``status`` is its HTTP status."""

    status = 400


class RefExistsError(RefError):
    status = 409


class RefNotFoundError(RefError):
    status = 404


class StaleVersionError(RefError):
    status = 412


@dataclass(frozen=True)
class RefWrite:
    """A committed change: the row after it (None never: deletes return the tombstone)."""

    row: dict[str, Any]
    before: dict[str, Any] | None
    delta_version: int


def _empty(entity: RefEntity) -> pl.DataFrame:
    return pl.DataFrame(schema=entity.schema)


def _ensure_table(entity: RefEntity, *, lake: Lake) -> DeltaTable:
    uri = lake.table_uri("clean", entity.table)
    table = open_table(uri, storage_options=lake.storage_options)
    if table is not None:
        return table
    with contextlib.suppress(DeltaError):  # a concurrent writer may create it meanwhile
        write_deltalake(
            uri,
            _empty(entity).to_arrow(compat_level=pl.CompatLevel.oldest()),
            mode="append",
            storage_options=dict(lake.storage_options),
        )
    table = open_table(uri, storage_options=lake.storage_options)
    assert table is not None
    return table


def scan_ref(entity: RefEntity, *, lake: Lake, table: DeltaTable | None = None) -> pl.LazyFrame:
    """Every row of the entity's table (tombstones included), in the entity's schema."""
    if table is None:
        table = open_table(
            lake.table_uri("clean", entity.table), storage_options=lake.storage_options
        )
    if table is None:
        return _empty(entity).lazy()
    return pl.scan_delta(table).select([pl.col(c).cast(t) for c, t in entity.schema.items()])


def read_ref(entity: RefEntity, *, lake: Lake, include_deleted: bool = False) -> pl.DataFrame:
    """The entity's rows (live ones unless ``include_deleted``), ordered by key."""
    rows = scan_ref(entity, lake=lake)
    if not include_deleted:
        rows = rows.filter(~pl.col("deleted"))
    return rows.sort(list(entity.keys)).collect()


def connect_ref(
    entity: RefEntity, *, lake: Lake, include_deleted: bool = False
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database holding ``clean.ref_<entity>`` as of now (reference tables
    are small: a copy per request reads its own writes, unlike the API's catalog snapshot)."""
    rows = read_ref(entity, lake=lake, include_deleted=include_deleted)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA clean")
    con.register("ref_rows", rows.to_arrow())
    con.execute(f'CREATE TABLE clean."{entity.table}" AS SELECT * FROM ref_rows')  # nosec B608
    con.unregister("ref_rows")
    return con


def _find(
    entity: RefEntity, key: dict[str, Any], *, lake: Lake, table: DeltaTable
) -> dict[str, Any] | None:
    match = pl.all_horizontal([pl.col(k) == pl.lit(v) for k, v in key.items()])
    found = scan_ref(entity, lake=lake, table=table).filter(match).collect()
    return found.row(0, named=True) if found.height else None


def read_ref_row(entity: RefEntity, key: dict[str, Any], *, lake: Lake) -> dict[str, Any] | None:
    """The row with this key (tombstones included), or None."""
    table = open_table(lake.table_uri("clean", entity.table), storage_options=lake.storage_options)
    return None if table is None else _find(entity, key, lake=lake, table=table)


def _decide(
    entity: RefEntity,
    before: dict[str, Any] | None,
    *,
    op: WriteOp,
    key: dict[str, Any],
    values: dict[str, Any],
    if_version: int | None,
    actor: Actor,
) -> dict[str, Any]:
    live = before is not None and not before["deleted"]
    if op == "create" and live:
        raise RefExistsError(f"{entity.name} {entity.key_text(key)} exists already")
    if op != "create":
        if not live:
            raise RefNotFoundError(f"{entity.name} {entity.key_text(key)} does not exist")
        assert before is not None
        if before["version"] != if_version:
            raise StaleVersionError(
                f"{entity.name} {entity.key_text(key)} is at version {before['version']}, "
                f"not {if_version}"
            )
    base = dict(before) if before is not None and op != "create" else {}
    row = {c: base.get(c) for c in entity.columns} | values | key
    row["version"] = (before["version"] if before is not None else 0) + 1
    row["deleted"] = op == "delete"
    row["updated_at"] = utc_now()
    row["updated_by"] = actor.name
    return row


def write_ref(
    entity: RefEntity,
    key: dict[str, Any],
    *,
    op: WriteOp,
    values: dict[str, Any],
    actor: Actor,
    lake: Lake,
    if_version: int | None = None,
) -> RefWrite:
    """Create, update or (soft) delete one row in one Delta commit, then audit it.

    Args:
        entity: the entity.
        key: its natural key values.
        op: ``create`` (a tombstoned key may be created again), ``update`` or ``delete``.
        values: validated column values (the whole row for create, the changes for update).
        actor: who writes.
        lake: the lake.
        if_version: update/delete: the version the writer saw (its ETag).

    Raises:
        RefExistsError, RefNotFoundError, StaleVersionError: see the module docstring.
    """
    current = read_ref_row(entity, key, lake=lake)
    if current is not None:
        recover_ref_changes(entity.name, [current], key_of=entity.key_text, lake=lake)
    for attempt in retry_on_conflict():
        with attempt:
            table = _ensure_table(entity, lake=lake)
            before = _find(entity, key, lake=lake, table=table)
            row = _decide(
                entity, before, op=op, key=key, values=values, if_version=if_version, actor=actor
            )
            version = _merge(entity, [row], table=table)
    change = RefChange.of(entity.name, entity.key_text(key), op=op, before=before, after=row)
    write_ref_changes([change], actor=actor, at=row["updated_at"], delta_version=version, lake=lake)
    return RefWrite(row=row, before=before, delta_version=version)


def import_ref(
    entity: RefEntity, rows: list[dict[str, Any]], *, actor: Actor, lake: Lake
) -> list[RefWrite]:
    """Upsert whole rows (validated ``<Entity>Create`` values) in one Delta commit: new keys
    are created, changed rows updated, unchanged rows left alone; all or nothing.

    Returns:
        The rows written (not the unchanged ones).
    """
    changes: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
    version = None
    existing = scan_ref(entity, lake=lake).collect().to_dicts()
    recover_ref_changes(entity.name, existing, key_of=entity.key_text, lake=lake)
    for attempt in retry_on_conflict():
        with attempt:
            table = _ensure_table(entity, lake=lake)
            current = {
                entity.key_text(r): r
                for r in scan_ref(entity, lake=lake, table=table).collect().iter_rows(named=True)
            }
            changes = []
            for values in rows:
                key = {k: values[k] for k in entity.keys}
                before = current.get(entity.key_text(key))
                live = before is not None and not before["deleted"]
                if live and all(before[c] == values[c] for c in values):  # type: ignore[index]
                    continue
                row = _decide(
                    entity,
                    before,
                    op="update" if live else "create",
                    key=key,
                    values=values,
                    if_version=before["version"] if live else None,  # type: ignore[index]
                    actor=actor,
                )
                changes.append((before, row))
            version = _merge(entity, [row for _, row in changes], table=table) if changes else None
    if not changes or version is None:
        return []
    audit = [
        RefChange.of(
            entity.name,
            entity.key_text(row),
            op="update" if before is not None and not before["deleted"] else "create",
            before=before,
            after=row,
        )
        for before, row in changes
    ]
    write_ref_changes(
        audit, actor=actor, at=changes[0][1]["updated_at"], delta_version=version, lake=lake
    )
    return [RefWrite(row=row, before=before, delta_version=version) for before, row in changes]


def _merge(entity: RefEntity, rows: list[dict[str, Any]], *, table: DeltaTable) -> int:
    """MERGE rows whose ``version`` is one above the row they replace (or 1 for a new key);
    each carries the application transaction of its key, so concurrent writers of a key
    conflict."""
    source = pl.DataFrame(rows, schema=entity.schema)
    txns = [
        Transaction(app_id=f"ref.{entity.table}.{entity.key_text(r)}", version=r["version"])
        for r in rows
    ]
    matched = " AND ".join(f't."{k}" = s."{k}"' for k in entity.keys)
    assignments = {f'"{c}"': f's."{c}"' for c in entity.columns}
    metrics = (
        table.merge(
            source.to_arrow(compat_level=pl.CompatLevel.oldest()),
            predicate=matched,
            source_alias="s",
            target_alias="t",
            commit_properties=commit_properties(txns),
        )
        # the version check, inside the commit
        .when_matched_update(assignments, predicate="t.version = s.version - 1")
        .when_not_matched_insert(assignments)
        .execute()
    )
    written = metrics.get("num_target_rows_inserted", 0) + metrics.get("num_target_rows_updated", 0)
    if written != len(rows):  # cannot happen on one snapshot; never commit a partial write
        raise StaleVersionError(f"{entity.name}: {written} of {len(rows)} rows matched")
    return table.version()
