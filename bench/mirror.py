"""Benchmark of the PostgreSQL mirror against a plain psycopg binary COPY.

1. Mirror a 1,000,000-row CLEAN table (int, string, timestamptz, numeric, bool, float, a
   float8[] list) into an empty database: read Delta, encode, COPY, build the primary key,
   write the state row, check counts.
2. Baseline, same run, same server: psycopg binary COPY (``write_row``) of the same rows
   already in memory as Python tuples (building them is not timed), into the same table
   definition, then the same primary key.
3. Re-run with no change (target: < 1 s).
4. A 10k-row change: 10k rows appended (upsert path), and 10k rows updated by a Delta MERGE.

Server: ``PITWALL_PG_DSN`` if set, else the embedded one (``<home>/data/pg``).
Run: ``uv run python bench/mirror.py [rows]``.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
import uuid

import numpy as np
import polars as pl
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pitwall.lake.delta import write_table
from pitwall.lake.layout import get_lake
from pitwall.postgres.credentials import read_role_passwords
from pitwall.postgres.mirror import mirror_lake
from pitwall.postgres.options import MirrorOptions
from pitwall.postgres.server import loader_dsn, resolve_admin_dsn
from pitwall.postgres.typemap import pg_columns


def make_rows(n: int, *, start: int = 0, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.arange(start, start + n, dtype=np.int64)
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            "sample_id": ids,
            "session_id": pl.Series([f"session-{i % 500:04d}" for i in ids]),
            "ts": pl.Series(t0.timestamp() * 1e6 + ids * 1000).cast(pl.Datetime("us", "UTC")),
            "lap_time_ms": rng.integers(80_000, 120_000, n).astype(np.int32),
            "speed_kmh": rng.random(n) * 300,
            "fuel_l": (pl.Series(rng.integers(0, 100_000, n)).cast(pl.Decimal(9, 3)) / 1000).cast(
                pl.Decimal(9, 3)
            ),
            "valid": rng.random(n) > 0.1,
            "sectors_s": pl.Series(rng.random((n, 3)) * 40).cast(pl.List(pl.Float64)),
        }
    )


def baseline_copy(dsn: str, frame: pl.DataFrame) -> float:
    """psycopg binary COPY of in-memory tuples into the same table definition + PK."""
    columns = pg_columns(frame.schema)
    rows = frame.rows()  # not timed: the baseline starts from rows in memory
    types = [c.pg_type.replace("numeric(9,3)", "numeric") for c in columns]
    table = sql.Identifier("public", "baseline")
    definitions = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type))  # type: ignore[arg-type]
        for c in columns
    )
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(table, definitions))
        with conn.cursor().copy(
            sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(table)
        ) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (sample_id)").format(table))
        conn.commit()
        return time.perf_counter() - started


def timed_mirror(lake_root: str, dsn: str, options: MirrorOptions) -> tuple[float, str]:
    started = time.perf_counter()
    (summary,) = mirror_lake(get_lake(lake_root), options=options, dsn=dsn)
    return time.perf_counter() - started, f"{summary.action} ({summary.reason})"


def main(n: int = 1_000_000) -> None:
    server = resolve_admin_dsn()
    database = f"pitwall_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    admin = make_conninfo(server, dbname=database)
    try:
        loader = loader_dsn(admin, passwords=read_role_passwords())
        lake_root = tempfile.mkdtemp(prefix="pitwall-bench-lake-")
        lake = get_lake(lake_root)
        uri = lake.table_uri("clean", "telemetry")
        frame = make_rows(n)
        write_table(frame, uri)
        options = MirrorOptions(keys={"telemetry": ["sample_id"]})

        baseline = baseline_copy(admin, frame)
        full, full_how = timed_mirror(lake_root, loader, options)
        again, again_how = timed_mirror(lake_root, loader, options)
        write_table(make_rows(10_000, start=n, seed=1), uri)
        appended, appended_how = timed_mirror(lake_root, loader, options)
        updates = make_rows(10_000, start=n // 2, seed=2)
        write_table(updates, uri, mode="merge", keys=["sample_id"])
        merged, merged_how = timed_mirror(lake_root, loader, options)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )

    server_kind = "embedded" if "host=/" in server else "PITWALL_PG_DSN"
    report = [
        ("rows", f"{n:,} on the {server_kind} server"),
        ("baseline: binary COPY from memory + PK", f"{baseline:.2f} s, {n / baseline:,.0f} rows/s"),
        ("mirror: full, empty database", f"{full:.2f} s, {n / full:,.0f} rows/s [{full_how}]"),
        ("ratio mirror / baseline rows/s", f"{baseline / full:.2f}x (target >= 0.8x)"),
        ("no-change re-run", f"{again:.3f} s (target < 1 s) [{again_how}]"),
        ("10k rows appended", f"{appended:.3f} s [{appended_how}]"),
        ("10k rows updated (Delta MERGE)", f"{merged:.3f} s [{merged_how}]"),
    ]
    for label, value in report:
        print(f"{label:<40} {value}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
