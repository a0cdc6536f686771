"""Helpers of the mirror tests: lake frames and PostgreSQL reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import polars as pl
import psycopg
from psycopg import sql

from pitwall.lake.delta import read_table
from pitwall.lake.layout import Lake, Layer


def laps(ids: Sequence[int], *, ms: int = 90_000, driver: str = "alice") -> pl.DataFrame:
    """A CLEAN-like frame: timestamps with zone, decimals, strings, a list column."""
    n = len(ids)
    return pl.DataFrame(
        {
            "lap_id": list(ids),
            "driver": [driver] * n,
            "lap_time_ms": [ms + i for i in ids],
            "completed_at": [
                dt.datetime(2024, 5, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i) for i in ids
            ],
            "fuel_l": pl.Series([Decimal("42.50")] * n, dtype=pl.Decimal(8, 2)),
            "sectors_ms": [[30_000 + i, 31_000, 29_000] for i in ids],
        }
    )


def pg_rows(dsn: str, schema: str, table: str, *, order_by: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        query = sql.SQL("SELECT * FROM {} ORDER BY {}").format(
            sql.Identifier(schema, table), sql.Identifier(order_by)
        )
        return conn.execute(query).fetchall()


def lake_rows(lake: Lake, layer: Layer, table: str, *, order_by: str) -> list[tuple[Any, ...]]:
    frame = read_table(lake.table_uri(layer, table), storage_options=lake.storage_options)
    return frame.sort(order_by).rows()


def mirrored_version(dsn: str, schema: str, table: str) -> int | None:
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "SELECT delta_version FROM mirror.state WHERE schema_name = %s AND table_name = %s",
            (schema, table),
        ).fetchone()
    return None if found is None else int(found[0])
