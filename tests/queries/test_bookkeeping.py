"""Table listing, ingestion log and quarantine summary."""

from __future__ import annotations

import duckdb
import polars as pl

from pitwall.lake.delta import open_table
from pitwall.lake.layout import Lake
from pitwall.queries import read_ingestion_log, read_quarantine_summary, read_table_list


def test_table_list_reports_schema_rows_and_delta_state(
    con: duckdb.DuckDBPyConnection, ac_lake: Lake
) -> None:
    tables = read_table_list(con, lake=ac_lake)
    assert tables.select("layer", "name").rows() == [
        ("clean", "ac_drivers"),
        ("clean", "ac_laps"),
        ("clean", "ac_leaderboard"),
        ("clean", "ac_sessions"),
        ("clean", "ac_telemetry"),
        ("quarantine", "csv_laps"),
        ("raw", "ingestion_log"),
    ]
    laps = tables.filter(pl.col("name") == "ac_laps").row(0, named=True)
    assert laps["rows"] == 8
    assert {"name": "lap_time_ms", "type": "BIGINT"} in laps["columns"]
    quarantine = tables.filter(pl.col("layer") == "quarantine").row(0, named=True)
    delta = open_table(ac_lake.table_uri("quarantine", "csv_laps"))
    assert delta is not None
    assert quarantine["version"] == delta.version() == 1  # two writes
    assert quarantine["updated_at"].timestamp() * 1000 == delta.history(1)[0]["timestamp"]


def test_ingestion_log_latest_first_and_filters(con: duckdb.DuckDBPyConnection) -> None:
    log = read_ingestion_log(con)
    assert log.get_column("batch_id").to_list() == ["b3", "b2", "b1"]
    row = log.row(1, named=True)
    assert row["rows_in"] == row["rows_landed"] + row["rows_quarantined"] == 10
    assert read_ingestion_log(con, status="ok").get_column("batch_id").to_list() == ["b1"]
    assert read_ingestion_log(con, limit=2).height == 2
    assert read_ingestion_log(con, source="nowhere").is_empty()


def test_quarantine_summary_counts_rows_and_batches(con: duckdb.DuckDBPyConnection) -> None:
    summary = read_quarantine_summary(con)
    assert summary.select("table", "stage", "reason", "rows", "batches").rows() == [
        ("csv_laps", "parse", "bad float", 2, 2),
        ("csv_laps", "parse", "missing key", 1, 1),
    ]
