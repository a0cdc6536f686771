"""SQL explorer helpers and graceful degradation when tables are missing."""

from __future__ import annotations

import duckdb
import polars as pl

from pitwall import dashboards as dash
from pitwall.queries.schema import list_catalog_tables


def test_examples_cover_existing_tables_and_all_run(con: duckdb.DuckDBPyConnection) -> None:
    examples = dash.example_queries(con)
    assert list(examples)[:3] == [
        "summary of clean.ac_laps",
        "summary of raw.ingestion_log",
        "summary of clean.ac_telemetry",
    ]
    previews = {label for label in examples if label.startswith("preview ")}
    assert previews == {f"preview {layer}.{name}" for layer, name in list_catalog_tables(con)}
    for label, sql in examples.items():
        result = dash.run_query(sql, engine=con)
        assert result.error is None, label
        assert result.frame is not None and result.frame.height > 0, label
        if label.startswith("summary of "):  # computed floats are rounded: no raw float shown
            floats = result.frame.select(pl.selectors.float())
            assert floats.equals(floats.with_columns(pl.all().round(3))), label
    assert dash.default_query(con) == examples["summary of clean.ac_laps"]


def test_empty_lake_gets_a_catalog_query(empty_con: duckdb.DuckDBPyConnection) -> None:
    assert dash.example_queries(empty_con) == {}
    result = dash.run_query(dash.default_query(empty_con), engine=empty_con)
    assert result.error is None and result.frame is not None
    assert result.frame.columns == ["layer", "name"] and result.frame.is_empty()


def test_run_query_reports_errors_instead_of_raising(con: duckdb.DuckDBPyConnection) -> None:
    bad = dash.run_query("SELECT * FROM clean.ac_nope", engine=con)
    assert bad.frame is None and "ac_nope" in bad.error
    assert dash.run_query("  ", engine=con).error == "Type a query."
    ok = dash.run_query("SELECT 1 AS one, 'a' AS letter", engine=con)
    assert ok.error is None and ok.frame.rows() == [(1, "a")]


def test_missing_tables_and_message(con: duckdb.DuckDBPyConnection) -> None:
    wanted = ["clean.ac_laps", "clean.ac_nothing", "raw.ingestion_log", "raw.ac_nothing"]
    assert dash.missing_tables(con, wanted) == ["clean.ac_nothing", "raw.ac_nothing"]
    message = dash.no_data_message(["clean.ac_nothing"], what="lap analysis")
    assert message.startswith("**No data yet for lap analysis.**")
    assert "`clean.ac_nothing`" in message
