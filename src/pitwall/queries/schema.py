"""What the catalog holds: lake tables per layer and their columns with a scalar kind."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pitwall.lake.layout import LAYERS
from pitwall.queries.frames import Connection, TableNotFoundError, fetch_frame

ScalarKind = Literal["bool", "int", "float", "decimal", "str", "date", "timestamp", "timestamptz"]

# DuckDB and PostgreSQL spellings of the scalar types the API can filter and sort on.
_KINDS: dict[str, ScalarKind] = {
    "BOOLEAN": "bool",
    "TINYINT": "int",
    "SMALLINT": "int",
    "INTEGER": "int",
    "BIGINT": "int",
    "HUGEINT": "int",
    "UTINYINT": "int",
    "USMALLINT": "int",
    "UINTEGER": "int",
    "UBIGINT": "int",
    "FLOAT": "float",
    "REAL": "float",
    "DOUBLE": "float",
    "DOUBLE PRECISION": "float",
    "DECIMAL": "decimal",
    "NUMERIC": "decimal",
    "VARCHAR": "str",
    "TEXT": "str",
    "CHARACTER VARYING": "str",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}
_PARAMS = re.compile(r"\(.*\)$")


@dataclass(frozen=True)
class Column:
    """A column of a catalog table: its SQL type and, for scalars, the kind values parse to."""

    name: str
    sql_type: str

    @property
    def kind(self) -> ScalarKind | None:
        """The scalar kind, or None for nested/unsupported types (not filterable/sortable)."""
        return _KINDS.get(_PARAMS.sub("", self.sql_type.upper()).strip())


def list_catalog_tables(con: Connection) -> list[tuple[str, str]]:
    """``(layer, table)`` of every lake table visible through the connection, sorted."""
    frame = fetch_frame(
        con,
        "SELECT table_schema AS layer, table_name AS name FROM information_schema.tables "
        "WHERE table_schema IN ($raw, $clean, $quarantine) ORDER BY 1, 2",
        dict(zip(LAYERS, LAYERS, strict=True)),
    )
    return list(frame.iter_rows())


def read_columns(con: Connection, *, layer: str, table: str) -> list[Column]:
    """The columns of ``layer.table`` in table order.

    Raises:
        TableNotFoundError: no such table in the catalog.
    """
    frame = fetch_frame(
        con,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = $layer AND table_name = $table ORDER BY ordinal_position",
        {"layer": layer, "table": table},
    )
    if frame.is_empty():
        raise TableNotFoundError(f"table {layer}.{table} does not exist")
    return [Column(name, sql_type) for name, sql_type in frame.iter_rows()]


def has_table(con: Connection, *, layer: str, table: str) -> bool:
    return (layer, table) in set(list_catalog_tables(con))
