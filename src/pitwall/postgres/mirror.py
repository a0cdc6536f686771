"""Mirror lake tables into PostgreSQL schemas ``clean`` and ``raw``, incrementally and atomically.

Per table, in one transaction that also writes its ``mirror.state`` row:

- **skip** when the mirrored Delta version is the current one;
- **upsert** when the change is small: rows of the Delta files added since the mirrored version
  are binary-COPYed into a temporary staging table, keys of removed files that were not
  re-added are deleted, then ``INSERT ... ON CONFLICT (key) DO UPDATE`` (plain INSERT for
  append-only tables without a key). New Delta columns are added first (``ADD COLUMN``);
- **swap** otherwise: the whole version is binary-COPYed into a new table, its primary key
  built, and the new table renamed over the old one.

The rule (see :func:`choose_strategy`): swap when the table is not mirrored yet, its key or a
column type changed, the exact change is unknown (old version no longer readable, deletion
vectors, column mapping), rows were removed from a table without a key, or the rows of added
plus removed files exceed ``swap_fraction`` (default 20%) of the table; upsert otherwise.
Per-row upserts cost an index probe and a dead tuple each, while a swap pays one sequential
COPY and one index build for the whole table, so past a fraction of the table the swap wins.

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
from pitwall.postgres.server import loader_dsn
from pitwall.postgres.state import MirrorState, read_state, write_state
from pitwall.postgres.typemap import PgColumn, pg_columns

log = logging.getLogger(__name__)

Strategy = Literal["skip", "swap", "upsert"]
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
        strategy, reason = choose_strategy(
            state=state,
            live_columns=live,
            columns=columns,
            keys=keys,
            version=version,
            diff=diff,
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
            changed = _upsert(conn, target, live=live, diff=diff, lake=lake, options=options)
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


def choose_strategy(
    *,
    state: MirrorState | None,
    live_columns: list[PgColumn] | None,
    columns: list[PgColumn],
    keys: list[str],
    version: int,
    diff: FileDiff | None,
    total_rows: int,
    swap_fraction: float,
) -> tuple[Strategy, str]:
    """Skip, swap or upsert, and why (pure: see the module docstring for the rule)."""
    if state is None or live_columns is None:
        return "swap", "not mirrored yet"
    if list(state.keys) != list(keys):
        return "swap", "natural key changed"
    if live_columns != columns[: len(live_columns)]:
        return "swap", "columns changed in a way ADD COLUMN cannot follow"
    if state.delta_version == version:
        if len(live_columns) == len(columns):
            return "skip", "Delta version unchanged"
        return "swap", "columns differ at the same Delta version"
    if state.delta_version > version:
        return "swap", "Delta table was recreated"
    if diff is None:
        return "swap", "exact change unknown (old version unreadable or unsupported features)"
    if not keys and diff.removed:
        return "swap", "rows removed from a table without a natural key"
    added, removed = diff.added_rows, diff.removed_rows
    if added is None or removed is None:
        return "swap", "file statistics missing"
    change = added + removed
    if change > swap_fraction * max(total_rows, 1):
        return "swap", f"change of {change} rows > {swap_fraction:.0%} of {total_rows}"
    return "upsert", f"change of {change} rows <= {swap_fraction:.0%} of {total_rows}"


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
    lake: Lake,
    options: MirrorOptions,
) -> int:
    """Apply the rows of added files and the keys of removed ones; returns rows touched."""
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
    storage = lake.storage_options
    added = read_files(target.uri, diff.added, schema=target.polars_schema, storage_options=storage)
    deleted = pl.DataFrame(schema={k: target.polars_schema[k] for k in target.keys})
    if target.keys and diff.removed:
        removed = read_files(
            target.uri,
            diff.removed,
            schema=target.polars_schema,
            columns=target.keys,
            storage_options=storage,
        )
        deleted = removed.join(added.select(target.keys), on=target.keys, how="anti")

    stage = sql.Identifier("_pitwall_stage")
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(stage, target.ident)
    )
    copy_frames(conn, stage, columns=target.columns, frames=added.iter_slices(options.chunk_rows))
    _checkpoint("copied", target.schema, target.table)
    if deleted.height:
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
            sql.SQL("DELETE FROM {} AS t USING {} AS d WHERE {}").format(
                target.ident, doomed, match
            )
        )
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
    return added.height + deleted.height


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
