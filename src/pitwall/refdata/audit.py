"""The audit trail of reference data: one row per change in ``raw.ref_changes``.

Each row says who (token ``sub`` and ``preferred_username``), when, what (entity, key, op,
the row version it produced and the Delta version of ``clean.ref_<entity>`` that holds it) and
the row before and after, as JSON. The table is append-only: VACUUM removes no live file of it,
so the history outlives the CLEAN table's time travel.

The audit row is appended right after the CLEAN commit (two tables cannot share a commit). A
process killed in between leaves a row version without its audit row: the next write of that
entity finds it (:func:`recover_ref_changes`) and appends it from the row itself (who and when
from ``updated_by`` / ``updated_at``; ``sub``, ``before`` and ``delta_version`` unknown).
``change_id`` is ``<entity>:<key>:<version>``, one per row version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
import polars as pl
from deltalake import write_deltalake

from pitwall.lake.delta import open_table
from pitwall.lake.layout import Lake

CHANGES_TABLE = "ref_changes"
CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "change_id": pl.String(),
    "entity": pl.String(),
    "key": pl.String(),
    "op": pl.String(),
    "version": pl.Int64(),
    "delta_version": pl.Int64(),
    "changed_at": pl.Datetime("us", "UTC"),
    "sub": pl.String(),
    "username": pl.String(),
    "before": pl.String(),
    "after": pl.String(),
}


@dataclass(frozen=True)
class Actor:
    """Who changes reference data: the token's subject and preferred username."""

    sub: str
    username: str | None = None

    @property
    def name(self) -> str:
        return self.username or self.sub


@dataclass(frozen=True)
class RefChange:
    entity: str
    key: str
    op: str
    version: int
    before: dict[str, Any] | None
    after: dict[str, Any]

    @classmethod
    def of(
        cls,
        entity: str,
        key: str,
        *,
        op: str,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> RefChange:
        return cls(entity, key, op, int(after["version"]), before, after)


def _json(row: dict[str, Any] | None) -> str | None:
    if row is None:
        return None
    return orjson.dumps(row, default=_default).decode()


def _default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def write_ref_changes(
    changes: list[RefChange],
    *,
    actor: Actor | None,
    at: datetime | None,
    delta_version: int | None,
    lake: Lake,
) -> None:
    """Append the audit rows of one commit (a blind append: concurrent appends do not conflict)."""
    rows = [
        {
            "change_id": f"{change.entity}:{change.key}:{change.version}",
            "entity": change.entity,
            "key": change.key,
            "op": change.op,
            "version": change.version,
            "delta_version": delta_version,
            "changed_at": at or change.after["updated_at"],
            "sub": actor.sub if actor else None,
            "username": actor.username if actor else change.after["updated_by"],
            "before": _json(change.before),
            "after": _json(change.after),
        }
        for change in changes
    ]
    frame = pl.DataFrame(rows, schema=CHANGES_SCHEMA)
    write_deltalake(
        lake.table_uri("raw", CHANGES_TABLE),
        frame.to_arrow(compat_level=pl.CompatLevel.oldest()),
        mode="append",
        storage_options=dict(lake.storage_options),
    )


def recover_ref_changes(entity: str, rows: list[dict[str, Any]], *, key_of: Any, lake: Lake) -> int:
    """Append the audit rows missing for these current rows (an interrupted write); returns
    how many."""
    uri = lake.table_uri("raw", CHANGES_TABLE)
    table = open_table(uri, storage_options=lake.storage_options)
    known: set[str] = set()
    if table is not None:
        ids = pl.scan_delta(table).filter(pl.col("entity") == entity).select("change_id")
        known = set(ids.collect().get_column("change_id").to_list())
    missing = [
        RefChange.of(
            entity,
            key_of(row),
            op="delete" if row["deleted"] else ("create" if row["version"] == 1 else "update"),
            before=None,
            after=row,
        )
        for row in rows
        if f"{entity}:{key_of(row)}:{row['version']}" not in known
    ]
    if missing:
        write_ref_changes(missing, actor=None, at=None, delta_version=None, lake=lake)
    return len(missing)


def read_ref_history(entity: str, key: str, *, lake: Lake) -> pl.DataFrame:
    """The changes of one row, one per row version, oldest first (``before``/``after`` as JSON
    text)."""
    uri = lake.table_uri("raw", CHANGES_TABLE)
    table = open_table(uri, storage_options=lake.storage_options)
    if table is None:
        return pl.DataFrame(schema=CHANGES_SCHEMA)
    # a recovery racing the writer's own append may record a version twice: the writer's wins
    return (
        pl.scan_delta(table)
        .filter((pl.col("entity") == entity) & (pl.col("key") == key))
        .sort(pl.col("sub").is_null(), "changed_at")
        .unique("change_id", keep="first", maintain_order=True)
        .sort("version", "changed_at")
        .collect()
    )
