"""Platform health: table freshness, ingestion per source, quarantine browser, mirror status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pitwall import dashboards as dash
from pitwall.lake.layout import Lake
from pitwall.queries import read_table_list
from pitwall.settings import get_settings


def test_every_table_with_rows_version_and_freshness(
    con: duckdb.DuckDBPyConnection, ac_lake: Lake
) -> None:
    probe = dash.read_table_health(con, now=_now(con, ac_lake), lake=ac_lake)
    tables = set(probe["table"])
    assert {"clean.ac_laps", "clean.ac_telemetry", "raw.ingestion_log"} <= tables
    assert "quarantine.csv_lap_times" in tables
    laps = probe.filter(pl.col("table") == "clean.ac_laps").row(0, named=True)
    assert laps["rows"] == con.sql("SELECT count(*) FROM clean.ac_laps").fetchall()[0][0]
    assert laps["version"] == 0 and laps["columns"] == 10
    assert set(probe["freshness"]) == {"fresh"}


def _now(con: duckdb.DuckDBPyConnection, lake: Lake) -> datetime:
    """Five minutes after the last commit of the lake."""
    return read_table_list(con, lake=lake)["updated_at"].max() + timedelta(minutes=5)


def test_tables_older_than_the_threshold_are_stale(
    con: duckdb.DuckDBPyConnection, ac_lake: Lake
) -> None:
    later = _now(con, ac_lake) + timedelta(days=2)
    health = dash.read_table_health(con, now=later, lake=ac_lake)
    assert set(health["freshness"]) == {"stale"}
    assert set(health["age"]) == {"2 d"}
    relaxed = dash.read_table_health(con, now=later, lake=ac_lake, stale_after=timedelta(days=3))
    assert set(relaxed["freshness"]) == {"fresh"}


def test_source_summary_reconciles(con: duckdb.DuckDBPyConnection) -> None:
    summary = dash.read_source_summary(con)
    assert summary["reconciles"].all()
    round1 = summary.filter(pl.col("source").str.ends_with("round1.csv")).row(0, named=True)
    assert (round1["rows_in"], round1["rows_landed"], round1["rows_quarantined"]) == (120, 117, 3)
    assert round1["batches_not_ok"] == 1
    assert summary["pipeline"].to_list() == ["ingest_assetto", "ingest_csv", "ingest_csv"]


def test_quarantine_browser_filters_by_reason(con: duckdb.DuckDBPyConnection) -> None:
    assert dash.list_quarantine_tables(con) == ["csv_lap_times"]
    everything = dash.read_quarantine_page(con, "csv_lap_times")
    assert everything.height == 3
    assert {"reason", "record", "_source_row", "stage"} <= set(everything.columns)
    missing_key = dash.read_quarantine_page(con, "csv_lap_times", reason="missing key entry_id")
    assert missing_key["_source_row"].to_list() == [19]
    assert dash.read_quarantine_page(con, "csv_lap_times", limit=2).height == 2


@pytest.fixture
def bare_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A Pitwall home with no PostgreSQL: no PITWALL_PG_DSN, no embedded server."""
    monkeypatch.setenv("PITWALL_HOME", str(tmp_path))
    monkeypatch.delenv("PITWALL_PG_DSN", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_mirror_without_a_server_is_not_configured(bare_home: Path, ac_lake: Lake) -> None:
    status = dash.read_mirror_status(ac_lake)
    assert status.state == "not configured"
    assert "PITWALL_PG_DSN" in status.message
    assert status.tables.is_empty() and "freshness" in status.tables.columns
    assert status.callout_kind == "info"


def test_unreachable_mirror_is_reported_not_raised(bare_home: Path, ac_lake: Lake) -> None:
    status = dash.read_mirror_status(ac_lake, dsn="postgresql://nobody@127.0.0.1:1/none")
    assert status.state == "unreachable"
    assert status.message.startswith("Mirror unreachable:")
    assert "127.0.0.1" in status.message
    assert status.callout_kind == "warn"
