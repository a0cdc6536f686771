"""How polars (Delta) column types map to PostgreSQL column types.

The mapping is faithful: time zones, decimal precision and scale, lists (as arrays) and
structs (as ``jsonb``) are kept. Type names are PostgreSQL's canonical spelling
(what ``format_type()`` returns) so that a live table can be compared with a Delta schema.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# Built-in type OIDs used in the binary COPY format of arrays.
SCALAR_OIDS: dict[str, int] = {
    "boolean": 16,
    "bytea": 17,
    "bigint": 20,
    "smallint": 21,
    "integer": 23,
    "text": 25,
    "real": 700,
    "double precision": 701,
    "date": 1082,
    "time without time zone": 1083,
    "timestamp without time zone": 1114,
    "timestamp with time zone": 1184,
    "interval": 1186,
    "numeric": 1700,
    "jsonb": 3802,
}


@dataclass(frozen=True)
class PgColumn:
    """One column of a mirrored table."""

    name: str
    pg_type: str


def pg_type_of(dtype: pl.DataType) -> str:
    """The PostgreSQL type of a polars dtype, e.g. ``timestamp with time zone``, ``text[]``."""
    if isinstance(dtype, pl.List | pl.Array):
        inner = dtype.inner
        if _is_scalar(inner):
            return f"{pg_type_of(inner)}[]"
        return "jsonb"  # ragged nesting and lists of structs do not fit PostgreSQL arrays
    if isinstance(dtype, pl.Struct | pl.Object):
        return "jsonb"
    return _scalar_type(dtype)


def pg_columns(schema: pl.Schema) -> list[PgColumn]:
    """The PostgreSQL columns of a polars schema, in order."""
    return [PgColumn(name, pg_type_of(dtype)) for name, dtype in schema.items()]


def _is_scalar(dtype: pl.DataType) -> bool:
    return not isinstance(dtype, pl.List | pl.Array | pl.Struct | pl.Object)


def _scalar_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Decimal):
        return f"numeric({dtype.precision},{dtype.scale})"
    if isinstance(dtype, pl.Datetime):
        return "timestamp with time zone" if dtype.time_zone else "timestamp without time zone"
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return "text"
    if dtype == pl.UInt64:
        return "numeric(20,0)"
    if dtype == pl.Int128:
        return "numeric(39,0)"
    name = _SIMPLE.get(dtype.base_type())
    if name is None:
        raise TypeError(f"no PostgreSQL mapping for polars type {dtype}")
    return name


_SIMPLE: dict[type[pl.DataType], str] = {
    pl.Boolean: "boolean",
    pl.Int8: "smallint",
    pl.Int16: "smallint",
    pl.Int32: "integer",
    pl.Int64: "bigint",
    pl.UInt8: "smallint",
    pl.UInt16: "integer",
    pl.UInt32: "bigint",
    pl.Float32: "real",
    pl.Float64: "double precision",
    pl.String: "text",
    pl.Binary: "bytea",
    pl.Date: "date",
    pl.Time: "time without time zone",
    pl.Duration: "interval",
    pl.Null: "text",
}
