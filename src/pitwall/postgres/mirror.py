"""Mirror lake tables into PostgreSQL schemas ``clean`` and ``raw``, incrementally and atomically.

Per table, in one transaction that also writes its ``mirror.state`` row:

- **skip** when the mirrored Delta version is the current one;
- **upsert** when the change is small: the changed rows are binary-COPYed into a temporary
  staging table, keys that are gone are deleted, then ``INSERT ... ON CONFLICT (key) DO
  UPDATE`` (plain INSERT for append-only tables without a key). New Delta columns are added
  first (``ADD COLUMN``);
- **swap** otherwise: the whole version is binary-COPYed into a new table, its primary key
  built, and the new table renamed over the old one.

The change is what the Delta files added and removed since the mirrored version hold. delta-rs
rewrites whole files, so with a natural key their rows are paired by key and compared exactly
(:mod:`pitwall.postgres.row_changes`): only rows that are new or differ in some column are
upserted, keys of removed files absent from the added ones are deleted, and rows merely copied
into a new file are left alone (a compaction changes no row). Without a key, or when a file is
unreadable (vacuumed), a key is duplicated, or the files hold more than ``compare_rows`` rows,
the change is all the rows of the added files (and the keys of the removed ones).

The rule (:func:`pitwall.postgres.strategy.choose_strategy`): swap when the table is not
mirrored yet, its key or a column type changed, the exact change is unknown (old version no
longer readable, deletion vectors, column mapping), or rows were removed from a table without
a key. Otherwise swap when the change exceeds ``swap_fraction`` (default 20%) of the table,
counted as the rows that really changed (upserted plus deleted) when they were compared, else
as the rows of the added plus removed files; upsert otherwise. Per-row upserts cost an index
probe and a dead tuple each, while a swap pays one sequential COPY and one index build for the
whole table, so past a fraction of the table the swap wins.

A killed mirror leaves every table at its last committed version (the transaction is rolled
back by the server), and the next run starts again from the state row.

The mirror connects as ``pitwall_loader``, which writes rows but owns nothing: creating,
swapping and widening tables and writing ``mirror.state`` go through the owner's narrow
``SECURITY DEFINER`` functions (``mirror_functions.sql``), inside the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Literal

import polars as pl
import psycopg
from deltalake import DeltaTable
from psycopg import sql

from pitwall.lake.delta import open_table, scan_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.postgres.binary_copy import iter_copy_stream
from pitwall.postgres.delta_changes import FileDiff, diff_versions, read_files, snapshot_rows
from pitwall.postgres.options import MirrorOptions, MirrorSchema
from pitwall.postgres.row_changes import RowChange, compare_rows, read_changed_rows
from pitwall.postgres.server import loader_dsn
from pitwall.postgres.state import read_state, write_state
from pitwall.postgres.strategy import choose_strategy, forced_strategy
from pitwall.postgres.typemap import PgColumn, pg_columns

log = logging.getLogger(__name__)

Action = Literal["skipped", "swap", "upsert", "absent", "failed"]
KILL_ENV = "PITWALL_MIRROR_KILL_AT"
_MAX_IDENTIFIER = 63


@dataclass(frozen=True)
class TableSummary:
    """What one mirror run did to one table."""

    schema: str
    table: str
    action: Action
    delta_version: int | None
    previous_version: int | None
    rows: int
    changed_rows: int
    seconds: float
    reason: str


class MirrorError(RuntimeError):
    """Some tables could not be mirrored (the others were)."""

    def __init__(self, summaries: Sequence[TableSummary]) -> None:
        self.summaries = list(summaries)
        failed = [s for s in summaries if s.action == "failed"]
        detail = "; ".join(f"{s.schema}.{s.table}: {s.reason}" for s in failed)
        super().__init__(f"{len(failed)} table(s) not mirrored: {detail}")


def mirror_lake(
    lake: Lake | None = None,
    *,
    options: MirrorOptions | None = None,
    dsn: str | None = None,
    admin_dsn: str | None = None,
    raise_on_error: bool = True,
) -> list[TableSummary]:
    """Mirror every CLEAN table of the lake plus the configured RAW tables.

    Args:
        lake: the lake (default: the project's).
        options: tables, keys and the swap rule (default: all CLEAN tables, no keys).
        dsn: the loader's DSN; default: bootstrap roles with ``admin_dsn`` and use the loader.
        admin_dsn: bootstrap DSN (default :func:`pitwall.postgres.server.resolve_admin_dsn`).
        raise_on_error: raise :class:`MirrorError` after the run when a table failed.

    Returns:
        One summary per table, in mirror order.
    """
    lake = lake or get_lake()
    options = options or MirrorOptions()
    dsn = dsn or loader_dsn(admin_dsn)
    summaries: list[TableSummary] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for schema, table in list_targets(lake, options=options):
            started = perf_counter()
            try:
                summary = mirror_table(conn, schema=schema, table=table, lake=lake, options=options)
            except Exception as exc:
                log.exception("mirror of %s.%s failed", schema, table)
                summary = TableSummary(
                    schema, table, "failed", None, None, 0, 0, perf_counter() - started, str(exc)
                )
            log.info(
                "mirror %s.%s: %s (%s) in %.2fs",
                schema,
                table,
                summary.action,
                summary.reason,
                summary.seconds,
            )
            summaries.append(summary)
    if raise_on_error and any(s.action == "failed" for s in summaries):
        raise MirrorError(summaries)
    return summaries


def list_targets(lake: Lake, *, options: MirrorOptions) -> list[tuple[MirrorSchema, str]]:
    """The (schema, table) pairs to mirror: CLEAN tables, then the configured RAW ones."""
    clean = options.clean_tables if options.clean_tables is not None else lake.list_tables("clean")
    targets: list[tuple[MirrorSchema, str]] = [("clean", t) for t in clean]
    targets += [("raw", t) for t in options.raw_tables]
    return targets


def mirror_table(
    conn: psycopg.Connection,
    *,
    schema: MirrorSchema,
    table: str,
    lake: Lake,
    options: MirrorOptions,
) -> TableSummary:
    """Bring one PostgreSQL table to the current Delta version, in one transaction."""
    started = perf_counter()
    uri = lake.table_uri(schema, table)
    delta = open_table(uri, storage_options=lake.storage_options)
    if delta is None:
        return TableSummary(schema, table, "absent", None, None, 0, 0, 0.0, "no Delta table")
    version = delta.version()
    delta_schema = scan_table(uri, storage_options=lake.storage_options, version=version)
    polars_schema = delta_schema.collect_schema()
    keys = options.keys_of(schema, table)
    missing = [k for k in keys if k not in polars_schema]
    if missing:
        raise ValueError(f"natural key column(s) {missing} not in the Delta table")
    columns = pg_columns(polars_schema)
    target = _Target(schema, table, uri, version, polars_schema, columns, keys)

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{schema}.{table}",))
        state = read_state(conn, schema=schema, table=table)
        live = read_live_columns(conn, schema=schema, table=table)
        diff = None
        if state is not None and state.delta_version < version:
            diff = diff_versions(
                uri,
                current=delta,
                from_version=state.delta_version,
                storage_options=lake.storage_options,
            )
        total = _total_rows(delta, target, lake)
        forced = forced_strategy(
            state=state, live_columns=live, columns=columns, keys=keys, version=version, diff=diff
        )
        compared = None
        if forced is None and diff is not None:
            compared = _compare_rows(
                target, diff=diff, total_rows=total, lake=lake, options=options
            )
        strategy, reason = choose_strategy(
            state=state,
            live_columns=live,
            columns=columns,
            keys=keys,
            version=version,
            diff=diff,
            rows=compared,
            total_rows=total,
            swap_fraction=options.swap_fraction,
        )
        previous = None if state is None else state.delta_version
        if strategy == "skip":
            rows = state.rows if state else 0
            took = perf_counter() - started
            return TableSummary(schema, table, "skipped", version, previous, rows, 0, took, reason)
        if strategy == "swap":
            changed = _swap(conn, target, lake=lake, options=options)
        else:
            assert diff is not None and live is not None
            changed = _upsert(
                conn, target, live=live, diff=diff, rows=compared, lake=lake, options=options
            )
        # counts the table's rows and refuses (rolling everything back) unless they are `total`
        write_state(
            conn,
            schema=schema,
            table=table,
            delta_version=version,
            rows=total,
            strategy=strategy,
            keys=keys,
        )
        rows = total
        _checkpoint("applied", schema, table)
    return TableSummary(
        schema, table, strategy, version, previous, rows, changed, perf_counter() - started, reason
    )


def read_live_columns(
    conn: psycopg.Connection, *, schema: str, table: str
) -> list[PgColumn] | None:
    """Columns of the PostgreSQL table (canonical type names), or None when it is absent."""
    name = sql.Identifier(schema, table).as_string(conn)
    found = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    if not found or not found[0]:
        return None
    rows = conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (name,),
    ).fetchall()
    return [PgColumn(str(n), str(t)) for n, t in rows]


@dataclass(frozen=True)
class _Target:
    schema: MirrorSchema
    table: str
    uri: str
    version: int
    polars_schema: pl.Schema
    columns: list[PgColumn]
    keys: list[str]

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)


def _compare_rows(
    target: _Target, *, diff: FileDiff, total_rows: int, lake: Lake, options: MirrorOptions
) -> RowChange | None:
    """The real change of a keyed table whose files were rewritten (None: count the files)."""
    added, removed = diff.added_rows, diff.removed_rows
    if not target.keys or not diff.removed or added is None or removed is None:
        return None
    if added + removed > options.compare_rows:
        log.info("%s.%s: change too big to compare row by row", target.schema, target.table)
        return None
    return compare_rows(
        diff,
        uri=target.uri,
        schema=target.polars_schema,
        keys=target.keys,
        stop_above=int(options.swap_fraction * max(total_rows, 1)),
        storage_options=lake.storage_options,
    )


def _swap(conn: psycopg.Connection, target: _Target, *, lake: Lake, options: MirrorOptions) -> int:
    stage_name = _identifier(target.table, "__pitwall_new")
    conn.execute(
        "SELECT mirror.create_stage(%s, %s, %s::text[], %s::text[])",
        (
            target.schema,
            stage_name,
            [c.name for c in target.columns],
            [c.pg_type for c in target.columns],
        ),
    )
    frames = scan_table(
        target.uri, storage_options=lake.storage_options, version=target.version
    ).collect_batches(chunk_size=options.chunk_rows)
    stage = sql.Identifier(target.schema, stage_name)
    rows = copy_frames(conn, stage, columns=target.columns, frames=frames)
    _checkpoint("copied", target.schema, target.table)
    conn.execute(
        "SELECT mirror.swap_stage(%s, %s, %s, %s::text[], %s, %s)",
        (
            target.schema,
            stage_name,
            target.table,
            target.keys,
            _identifier(stage_name, "_pkey"),
            _identifier(target.table, "_pkey"),
        ),
    )
    _checkpoint("swapped", target.schema, target.table)
    return rows


def _upsert(
    conn: psycopg.Connection,
    target: _Target,
    *,
    live: list[PgColumn],
    diff: FileDiff,
    rows: RowChange | None,
    lake: Lake,
    options: MirrorOptions,
) -> int:
    """Apply the changed rows and the deleted keys; returns rows touched."""
    new_columns = target.columns[len(live) :]
    if new_columns:
        conn.execute(
            "SELECT mirror.add_columns(%s, %s, %s::text[], %s::text[])",
            (
                target.schema,
                target.table,
                [c.name for c in new_columns],
                [c.pg_type for c in new_columns],
            ),
        )
    added, deleted = _rows_to_apply(target, diff=diff, rows=rows, lake=lake)
    if added.height:
        _stage(conn, target, added=added, options=options)
    _checkpoint("copied", target.schema, target.table)
    if deleted.height:
        _delete(conn, target, deleted=deleted)
    if added.height:
        _merge_stage(conn, target)
    return added.height + deleted.height


def _rows_to_apply(
    target: _Target, *, diff: FileDiff, rows: RowChange | None, lake: Lake
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows to upsert, keys to delete): the compared change, else every row of added files."""
    storage = lake.storage_options
    schema = target.polars_schema
    if rows is not None:
        added = read_changed_rows(
            rows, files=diff.added, uri=target.uri, schema=schema, storage_options=storage
        )
        return added, rows.deleted
    added = read_files(target.uri, diff.added, schema=schema, storage_options=storage)
    deleted = pl.DataFrame(schema={k: schema[k] for k in target.keys})
    if target.keys and diff.removed:
        removed = read_files(
            target.uri, diff.removed, schema=schema, columns=target.keys, storage_options=storage
        )
        deleted = removed.join(added.select(target.keys), on=target.keys, how="anti")
    return added, deleted


def _stage(
    conn: psycopg.Connection, target: _Target, *, added: pl.DataFrame, options: MirrorOptions
) -> None:
    stage = sql.Identifier("_pitwall_stage")
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(stage, target.ident)
    )
    copy_frames(conn, stage, columns=target.columns, frames=added.iter_slices(options.chunk_rows))


def _delete(conn: psycopg.Connection, target: _Target, *, deleted: pl.DataFrame) -> None:
    doomed = sql.Identifier("_pitwall_delete")
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
            doomed, _names(target.keys), target.ident
        )
    )
    key_columns = [c for c in target.columns if c.name in target.keys]
    key_columns.sort(key=lambda c: target.keys.index(c.name))
    copy_frames(conn, doomed, columns=key_columns, frames=[deleted.select(target.keys)])
    match = sql.SQL(" AND ").join(
        sql.SQL("t.{k} = d.{k}").format(k=sql.Identifier(k)) for k in target.keys
    )
    conn.execute(
        sql.SQL("DELETE FROM {} AS t USING {} AS d WHERE {}").format(target.ident, doomed, match)
    )


def _merge_stage(conn: psycopg.Connection, target: _Target) -> None:
    """Insert the staged rows; with a key, staged rows replace the rows of their keys."""
    stage = sql.Identifier("_pitwall_stage")
    names = _names([c.name for c in target.columns])
    insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
        target.ident, names, names, stage
    )
    if target.keys:
        others = [c.name for c in target.columns if c.name not in target.keys]
        action = (
            sql.SQL("DO UPDATE SET {}").format(
                sql.SQL(", ").join(
                    sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in others
                )
            )
            if others
            else sql.SQL("DO NOTHING")
        )
        insert = sql.SQL("{} ON CONFLICT ({}) {}").format(insert, _names(target.keys), action)
    conn.execute(insert)


def copy_frames(
    conn: psycopg.Connection,
    table: sql.Composable,
    *,
    columns: Sequence[PgColumn],
    frames: Iterable[pl.DataFrame],
) -> int:
    """Binary-COPY frames (columns in ``columns`` order) into ``table``; returns rows copied."""
    sent = 0

    def counted() -> Iterator[pl.DataFrame]:
        nonlocal sent
        for frame in frames:
            sent += frame.height
            yield frame

    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        table, _names([c.name for c in columns])
    )
    with conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for block in iter_copy_stream(counted()):
                copy.write(block)
        copied = cur.rowcount
    if copied != sent:
        raise RuntimeError(f"COPY stored {copied} rows out of {sent}")
    return sent


def _total_rows(delta: DeltaTable, target: _Target, lake: Lake) -> int:
    rows = snapshot_rows(delta)
    if rows is not None:
        return rows
    lazy = scan_table(target.uri, storage_options=lake.storage_options, version=target.version)
    return int(lazy.select(pl.len()).collect().item())


def _names(names: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def _identifier(base: str, suffix: str) -> str:
    """``base + suffix`` within PostgreSQL's 63-byte identifier limit (stable when shortened)."""
    name = base + suffix
    if len(name.encode()) <= _MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(base.encode()).hexdigest()[:8]
    keep = _MAX_IDENTIFIER - len(suffix.encode()) - len(digest) - 1
    return f"{base.encode()[:keep].decode(errors='ignore')}_{digest}{suffix}"


def _checkpoint(point: str, schema: str, table: str) -> None:
    """Fault-injection point for the crash tests: ``PITWALL_MIRROR_KILL_AT=<point>[:<table>]``.

    SIGKILLs this process (no cleanup, no rollback from the client side) at ``point``.
    """
    wanted = os.environ.get(KILL_ENV)
    if wanted and wanted in (point, f"{point}:{schema}.{table}"):
        log.warning("%s=%s: killing the mirror process", KILL_ENV, wanted)
        os.kill(os.getpid(), signal.SIGKILL)
