"""DuckDB views over the lake, and the ``pitwall sql`` command."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from pitwall.cli import app
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake
from pitwall.sql import connect, register_lake_views


def _seed(lake: Lake) -> None:
    write_table(
        pl.DataFrame({"id": [1, 2], "name": ["Monza", "Spa"]}), lake.table_uri("clean", "tracks")
    )
    write_table(pl.DataFrame({"id": ["1", "2", "3"]}), lake.table_uri("raw", "csv_tracks"))
    parted = pl.DataFrame({"k": [1, 2], "v": ["x", "y"]})
    write_table(parted, lake.table_uri("clean", "parted"), partition_by=["k"])
    write_table(pl.DataFrame(schema={"reason": pl.String}), lake.table_uri("quarantine", "empty"))


def test_every_table_is_a_view_in_its_layer(lake: Lake) -> None:
    _seed(lake)
    con = connect(lake)
    assert con.execute("SELECT name FROM clean.tracks WHERE id = 2").fetchall() == [("Spa",)]
    assert con.execute("SELECT count(*) FROM raw.csv_tracks").fetchall() == [(3,)]
    assert con.execute("SELECT count(*) FROM quarantine.empty").fetchall() == [(0,)]
    fresh = duckdb.connect()
    registered = {(t.layer, t.name): t.native for t in register_lake_views(fresh, lake=lake)}
    # plain local tables are read natively; partitioned/empty ones through Arrow
    assert registered == {
        ("raw", "csv_tracks"): True,
        ("clean", "tracks"): True,
        ("clean", "parted"): False,
        ("quarantine", "empty"): False,
    }
    assert con.execute("SELECT sum(k) FROM clean.parted").fetchall() == [(3,)]


def test_a_connection_keeps_its_snapshot_and_a_new_one_sees_new_versions(lake: Lake) -> None:
    _seed(lake)
    con = connect(lake)
    write_table(pl.DataFrame({"id": [3], "name": ["Imola"]}), lake.table_uri("clean", "tracks"))
    assert con.execute("SELECT count(*) FROM clean.tracks").fetchall() == [(2,)]
    with pytest.raises(PermissionError, match="connect"):
        register_lake_views(con, lake=lake)  # its sandbox cannot be given the new files
    assert connect(lake).execute("SELECT count(*) FROM clean.tracks").fetchall() == [(3,)]
    unsandboxed = duckdb.connect()
    register_lake_views(unsandboxed, lake=lake)
    write_table(pl.DataFrame({"id": [4], "name": ["Suzuka"]}), lake.table_uri("clean", "tracks"))
    register_lake_views(unsandboxed, lake=lake)
    assert unsandboxed.execute("SELECT count(*) FROM clean.tracks").fetchall() == [(4,)]


def test_cli_formats(lake: Lake) -> None:
    _seed(lake)
    runner = CliRunner()
    q = "SELECT id, name FROM clean.tracks ORDER BY id"
    as_json = runner.invoke(app, ["sql", "--format", "json", q])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [{"id": 1, "name": "Monza"}, {"id": 2, "name": "Spa"}]
    as_csv = runner.invoke(app, ["sql", "-f", "csv", q])
    assert as_csv.stdout.splitlines() == ["id,name", "1,Monza", "2,Spa"]
    table = runner.invoke(app, ["sql", q])
    assert "Monza" in table.stdout and "2 row(s)" in table.stdout
    bad = runner.invoke(app, ["sql", "SELECT * FROM clean.nope"])
    assert bad.exit_code == 1 and "nope" in bad.output


def test_cli_shell(lake: Lake) -> None:
    _seed(lake)
    result = CliRunner().invoke(
        app, ["sql"], input="SELECT count(*)\n AS n FROM clean.tracks;\n.tables\nSELECT x;\n.quit\n"
    )
    assert result.exit_code == 0, result.output
    assert "2" in result.stdout and "csv_tracks" in result.stdout
    assert "error" in result.stdout  # the bad statement reports and the shell goes on
