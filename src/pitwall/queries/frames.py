"""Run a parameterised query and get a polars frame, on DuckDB or on an adapter.

Queries in this package are written in the SQL common to DuckDB and PostgreSQL, with
``$name`` parameters. A non-DuckDB connection (e.g. the API's PostgreSQL adapter) only needs a
``read_frame(sql, params) -> pl.DataFrame`` method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import duckdb
import polars as pl


@runtime_checkable
class FrameReader(Protocol):
    """What a non-DuckDB connection provides to the queries."""

    def read_frame(self, sql: str, params: Mapping[str, Any]) -> pl.DataFrame: ...


Connection = duckdb.DuckDBPyConnection | FrameReader


class TableNotFoundError(LookupError):
    """A query needs a lake table that does not exist (yet)."""


def fetch_frame(con: Connection, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """Rows of ``sql`` with ``$name`` parameters bound (never interpolated).

    Raises:
        TableNotFoundError: the query names a table or view that is not in the catalog.
    """
    bound = dict(params or {})
    if isinstance(con, FrameReader):
        return con.read_frame(sql, bound)
    try:
        arrow = con.sql(sql, params=bound or None).to_arrow_table()
    except duckdb.CatalogException as exc:
        raise TableNotFoundError(str(exc).splitlines()[0]) from exc
    return pl.from_arrow(arrow)  # type: ignore[return-value]


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier. Callers validate names against the schema first."""
    return '"' + name.replace('"', '""') + '"'


def table_ref(layer: str, table: str) -> str:
    return f"{quote_ident(layer)}.{quote_ident(table)}"
