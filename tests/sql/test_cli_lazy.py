"""``pitwall sql "<query>"`` opens only the lake tables the query names (one-shot speed)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
from typer.testing import CliRunner

from pitwall.cli import app
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake
from pitwall.sql import register_lake_views


def _seed(lake: Lake) -> None:
    write_table(
        pl.DataFrame({"id": [1, 2], "name": ["Monza", "Spa"]}), lake.table_uri("clean", "tracks")
    )
    write_table(pl.DataFrame({"id": ["1", "2", "3"]}), lake.table_uri("raw", "csv_tracks"))
    # a table whose log cannot be read: any query that opens it fails
    log = Path(lake.root) / "clean" / "broken" / "_delta_log"
    log.mkdir(parents=True)
    (log / "00000000000000000000.json").write_text("not a delta log\n")


def test_register_only_the_named_tables(lake: Lake) -> None:
    _seed(lake)

    con = duckdb.connect()
    registered = register_lake_views(con, lake=lake, names={"tracks", "csv_tracks"})
    assert {(t.layer, t.name) for t in registered} == {("clean", "tracks"), ("raw", "csv_tracks")}


def test_one_shot_query_opens_only_its_tables(lake: Lake) -> None:
    _seed(lake)
    q = "SELECT t.name FROM clean.tracks t JOIN raw.csv_tracks r ON r.id = t.id::VARCHAR ORDER BY 1"
    result = CliRunner().invoke(app, ["sql", "-f", "csv", q])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["name", "Monza", "Spa"]
    broken = CliRunner().invoke(app, ["sql", "-f", "csv", "SELECT * FROM clean.broken"])
    assert broken.exit_code != 0  # the table a query names is opened, and its error shows


def test_catalog_queries_see_every_table(lake: Lake) -> None:
    _seed(lake)
    (Path(lake.root) / "clean" / "broken").rename(Path(lake.root) / "broken-aside")
    q = "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables ORDER BY 1"
    result = CliRunner().invoke(app, ["sql", "-f", "csv", q])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["t", "clean.tracks", "raw.csv_tracks"]
