"""Reads of CLEAN tables from the PostgreSQL mirror, as the least-privileged reader role.

A small adapter: ``pitwall.queries`` write SQL common to DuckDB and PostgreSQL with ``$name``
parameters; here those become psycopg's ``%(name)s`` and rows become a polars frame. Connections
come from a psycopg pool, in read-only sessions with UTC time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import polars as pl
import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool

from api.settings import ApiSettings
from pitwall.queries.frames import TableNotFoundError
from pitwall.queries.schema import Column

log = logging.getLogger(__name__)
# what the reader role gets for a table that is not mirrored or not granted to it
_MISSING = (errors.UndefinedTable, errors.InsufficientPrivilege, errors.InvalidSchemaName)


def to_psycopg(sql: str, params: Mapping[str, Any]) -> str:
    """``$name`` placeholders -> ``%(name)s``, ``%`` -> ``%%``, outside quoted text only.

    A hand-written scanner: the queries' SQL is our own, but identifiers come from table schemas
    and may hold ``$`` or ``%``, which a regular expression would rewrite inside quotes.
    """
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(sql):
        char = sql[i]
        if quote:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "%":
            out.append("%%")
        elif char == "$":
            j = i + 1
            while j < len(sql) and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            name = sql[i + 1 : j]
            if name not in params:
                raise KeyError(f"no value for parameter ${name}")
            out.append(f"%({name})s")
            i = j
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


class PostgresCursor:
    """One request's handle on the mirror (a ``FrameReader``): a pooled connection, taken on
    first use and given back on ``close``."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._conn: psycopg.Connection | None = None

    def read_frame(self, sql: str, params: Mapping[str, Any]) -> pl.DataFrame:
        if self._conn is None:
            self._conn = self._pool.getconn()
        try:
            with self._conn.cursor() as cursor:
                cursor.execute(to_psycopg(sql, params), dict(params))  # type: ignore[arg-type]
                names = [d.name for d in cursor.description or ()]
                rows = cursor.fetchall()
        except (
            errors.UndefinedTable,
            errors.InsufficientPrivilege,
            errors.InvalidSchemaName,
        ) as exc:
            raise TableNotFoundError(str(exc).splitlines()[0]) from exc
        return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)

    def close(self) -> None:
        if self._conn is not None:
            self._pool.putconn(self._conn)
            self._conn = None


def _configure(conn: psycopg.Connection) -> None:
    conn.autocommit = True
    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    conn.execute("SET TIME ZONE 'UTC'")


class PostgresReader:
    """The mirror as a reader: each ``snapshot().cursor()`` is a :class:`PostgresCursor`.

    PostgreSQL is always current (every query sees committed data), so the snapshot is the
    reader itself, and columns are looked up per request (``columns`` returns None).
    """

    def __init__(self, dsn: str, *, max_size: int = 8) -> None:
        self._pool = ConnectionPool(
            dsn, min_size=1, max_size=max_size, configure=_configure, open=True, name="pitwall-api"
        )

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> PostgresReader:
        """Connect with ``PITWALL_API_PG_DSN``, else as ``pitwall_reader`` on the project's
        server (``pitwall.postgres.server.reader_dsn``)."""
        if settings.pg_dsn:
            return cls(settings.pg_dsn)
        from pitwall.postgres.server import reader_dsn

        return cls(reader_dsn())

    def snapshot(self) -> PostgresReader:
        return self

    def cursor(self) -> PostgresCursor:
        return PostgresCursor(self._pool)

    def columns(self, layer: str, table: str) -> list[Column] | None:
        return None

    def close(self) -> None:
        self._pool.close()
