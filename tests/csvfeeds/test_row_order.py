"""``_source_row`` is the file order even when DuckDB scans the file on several threads."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from pitwall.sql import connect

from .helpers import lap_feed, run_ingest_csv

ROWS = 600_000  # ~30 MB: several of DuckDB's parallel scan ranges (out of order without care)


def test_rows_are_numbered_in_file_order(tmp_path: Path, lake: Lake) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    duckdb.sql(
        f"""COPY (SELECT 'E' || i AS entry_id, 'driver number ' || (i % 50) AS driver, i AS lap,
                  90 + (i % 7) AS lap_time_s, true AS valid,
                  '2026-09-05T14:02:11Z' AS recorded_at FROM range({ROWS}) t(i))
            TO '{landing / "big.csv"}' (HEADER)"""
    )
    run_ingest_csv({"laps": lap_feed(str(landing / "*.csv"))}, lake=lake)

    con = connect(lake)
    total, misplaced, first, last = con.sql(
        "SELECT count(*), count(*) FILTER (WHERE lap::BIGINT + 1 <> _source_row),"
        " min(_source_row), max(_source_row) FROM raw.csv_laps"
    ).fetchall()[0]
    assert (total, misplaced, first, last) == (ROWS, 0, 1, ROWS)
    assert con.sql("SELECT count(*) FROM clean.laps").fetchall()[0][0] == ROWS
    log = read_ingestion_log(lake=lake).row(0, named=True)
    assert (log["rows_in"], log["rows_landed"], log["rows_quarantined"]) == (ROWS, ROWS, 0)
