"""The mirror-state table ``mirror.state``: per table, the Delta version it mirrors.

It is written in the same transaction as the table's rows, so it never claims a version
whose rows are not all there, and only through ``mirror.record_state`` (a ``SECURITY DEFINER``
function of the owner, see ``mirror_functions.sql``), which checks the row count and the
primary key against the table: the loader has no other way to write it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from pitwall.postgres.roles import STATE_TABLE


@dataclass(frozen=True)
class MirrorState:
    """What a PostgreSQL table mirrors."""

    schema_name: str
    table_name: str
    delta_version: int
    rows: int
    mirrored_at: datetime | None
    strategy: str
    keys: list[str]


_COLUMNS = sql.SQL("schema_name, table_name, delta_version, rows, mirrored_at, strategy, keys")


def read_state(conn: psycopg.Connection, *, schema: str, table: str) -> MirrorState | None:
    """The state row of one table, or None when it was never mirrored."""
    with conn.cursor(row_factory=class_row(MirrorState)) as cur:
        cur.execute(
            sql.SQL("SELECT {} FROM {} WHERE schema_name = %s AND table_name = %s").format(
                _COLUMNS, STATE_TABLE
            ),
            (schema, table),
        )
        return cur.fetchone()


def read_states(conn: psycopg.Connection) -> list[MirrorState]:
    """Every state row, by schema and table."""
    with conn.cursor(row_factory=class_row(MirrorState)) as cur:
        cur.execute(
            sql.SQL("SELECT {} FROM {} ORDER BY schema_name, table_name").format(
                _COLUMNS, STATE_TABLE
            )
        )
        return cur.fetchall()


def write_state(
    conn: psycopg.Connection,
    *,
    schema: str,
    table: str,
    delta_version: int,
    rows: int,
    strategy: str,
    keys: list[str],
) -> None:
    """Record (inside the caller's transaction) that a table now mirrors ``delta_version``.

    Raises:
        psycopg.errors.DataException: the table does not hold ``rows`` rows or its primary
            key is not ``keys``.
    """
    conn.execute(
        "SELECT mirror.record_state(%s, %s, %s, %s, %s, %s::text[])",
        (schema, table, delta_version, rows, strategy, keys),
    )
