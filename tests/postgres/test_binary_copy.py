"""Every column type survives the binary COPY into PostgreSQL, with its faithful type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import psycopg
import pytest
from psycopg import sql

from pitwall.postgres.mirror import copy_frames, read_live_columns
from pitwall.postgres.typemap import pg_columns
from tests.postgres.fixtures import PgDatabase

UTC = dt.UTC


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "i64": [1, None, -(2**62)],
            "i32": pl.Series([7, -7, None], dtype=pl.Int32),
            "i8": pl.Series([1, None, -128], dtype=pl.Int8),
            "u32": pl.Series([2**32 - 1, 0, None], dtype=pl.UInt32),
            "u64": pl.Series([2**64 - 1, None, 0], dtype=pl.UInt64),
            "f32": pl.Series([1.5, None, -0.25], dtype=pl.Float32),
            "f64": [1.0e300, None, float("inf")],
            "flag": [True, None, False],
            "name": ["héllo", None, ""],
            "blob": [b"\x00\x01", None, b""],
            "ts": [
                dt.datetime(2024, 3, 1, 12, 30, 1, 5, tzinfo=UTC),
                None,
                dt.datetime(1960, 1, 1, tzinfo=UTC),
            ],
            "ts_local": [dt.datetime(2024, 1, 1, 1, 2, 3), None, dt.datetime(1999, 12, 31)],
            "day": [dt.date(2024, 2, 29), None, dt.date(1900, 1, 1)],
            "clock": [dt.time(1, 2, 3, 4), None, dt.time(0)],
            "took": [dt.timedelta(days=2, microseconds=5), None, dt.timedelta(0)],
            "price": pl.Series(
                [Decimal("12345.67"), None, Decimal("-0.01")], dtype=pl.Decimal(12, 2)
            ),
            "huge": pl.Series(
                [Decimal("1234567890123456789012345.6789012"), None, Decimal("-1")],
                dtype=pl.Decimal(38, 7),
            ),
            "fine": pl.Series(
                [Decimal("0.12345"), Decimal("-99999.99999"), None], dtype=pl.Decimal(10, 5)
            ),
            "speeds": [[1.0, None, 2.5], None, []],
            "tags": [["a", "b"], [], None],
            "stamps": [[dt.datetime(2024, 1, 1, tzinfo=UTC)], None, []],
            "amounts": pl.Series([[Decimal("1.5")], None, [None]], dtype=pl.List(pl.Decimal(5, 1))),
            "car": [{"id": 1, "model": "gt3"}, None, {"id": None, "model": "f1"}],
            "sectors": [[{"n": 1, "ms": 30100}], None, []],
            "grid": [[[1, 2], [3]], None, [[]]],
            "team": pl.Series(["red", None, "blue"], dtype=pl.Categorical),
            "nothing": [None, None, None],
        }
    )


EXPECTED_TYPES = {
    "i64": "bigint",
    "i32": "integer",
    "i8": "smallint",
    "u32": "bigint",
    "u64": "numeric(20,0)",
    "f32": "real",
    "f64": "double precision",
    "flag": "boolean",
    "name": "text",
    "blob": "bytea",
    "ts": "timestamp with time zone",
    "ts_local": "timestamp without time zone",
    "day": "date",
    "clock": "time without time zone",
    "took": "interval",
    "price": "numeric(12,2)",
    "huge": "numeric(38,7)",
    "fine": "numeric(10,5)",
    "speeds": "double precision[]",
    "tags": "text[]",
    "stamps": "timestamp with time zone[]",
    "amounts": "numeric(5,1)[]",
    "car": "jsonb",
    "sectors": "jsonb",
    "grid": "jsonb",
    "team": "text",
    "nothing": "text",
}


def _create(conn: psycopg.Connection, frame: pl.DataFrame) -> sql.Identifier:
    table = sql.Identifier("clean", "types")
    definitions = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type))  # type: ignore[arg-type]
        for c in pg_columns(frame.schema)
    )
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(table, definitions))
    return table


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_every_type_round_trips(pg: PgDatabase, chunk: int) -> None:
    frame = _frame()
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        table = _create(conn, frame)
        copied = copy_frames(
            conn, table, columns=pg_columns(frame.schema), frames=frame.iter_slices(chunk)
        )
        live = read_live_columns(conn, schema="clean", table="types")
        rows = conn.execute(sql.SQL("SELECT * FROM {} ORDER BY ctid").format(table)).fetchall()

    assert copied == 3
    assert {c.name: c.pg_type for c in live or []} == EXPECTED_TYPES
    expected = frame.with_columns(pl.col("team").cast(pl.String)).rows()
    for got, want in zip(rows, expected, strict=True):
        assert got == want


def test_nanosecond_timestamps_keep_microseconds(pg: PgDatabase) -> None:
    frame = pl.DataFrame(
        {"ts": pl.Series([dt.datetime(2024, 1, 1, 0, 0, 0, 123456)]).cast(pl.Datetime("ns", "UTC"))}
    )
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        table = _create(conn, frame)
        copy_frames(conn, table, columns=pg_columns(frame.schema), frames=[frame])
        (value,) = conn.execute(sql.SQL("SELECT ts FROM {}").format(table)).fetchone() or (None,)
    assert value == dt.datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)


def test_text_with_nul_byte_is_a_clear_error(pg: PgDatabase) -> None:
    frame = pl.DataFrame({"name": ["ok", "bad\x00byte"]})
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        table = _create(conn, frame)
        with pytest.raises(psycopg.errors.CharacterNotInRepertoire):
            copy_frames(conn, table, columns=pg_columns(frame.schema), frames=[frame])
