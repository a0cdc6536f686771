"""The API's DuckDB reads the lake's tables and nothing else (issue 16, finding 1).

The API takes no SQL: names, columns, filters and sorts are checked against the schema and
values are bound. Its per-request cursors are sandboxed anyway, like every user connection.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import httpx
import polars as pl
import pytest

from api.readers import LakeReader
from api.settings import ApiSettings
from pitwall.lake.delta import write_table
from pitwall.lake.layout import get_lake

SECRET = "pitwall-api-sandbox-secret"
ATTACKS = {
    "/etc/passwd": "SELECT * FROM read_csv('/etc/passwd', sep=':', header=false)",
    "conf/local": "SELECT content FROM read_text('{home}/conf/local/postgres-passwords.json')",
    "/proc/self/environ": "SELECT content FROM read_blob('/proc/self/environ')",
    "copy to": "COPY (SELECT 1 AS id) TO '{home}/stolen.csv'",
    "copy into the lake": "COPY (SELECT 1 AS id) TO '{home}/lake/clean/t/evil.parquet'",
    "lift the sandbox": "SET enable_external_access = true",
}


@pytest.fixture
def reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LakeReader:
    lake = get_lake(str(tmp_path / "lake"))
    write_table(pl.DataFrame({"id": [1, 2]}), lake.table_uri("clean", "t"))
    write_table(pl.DataFrame({"id": list(range(50))}), lake.table_uri("clean", "big"))
    secret = tmp_path / "conf" / "local" / "postgres-passwords.json"
    secret.parent.mkdir(parents=True)
    secret.write_text(SECRET)
    monkeypatch.setenv("PITWALL_API_SANDBOX_TEST_SECRET", SECRET)
    settings = ApiSettings(duckdb_threads=1, duckdb_memory_limit="256MB", query_timeout_s=5)
    return LakeReader(lake, cache_max_rows=10, limits=settings.duckdb_limits())


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_request_cursor_is_sandboxed(reader: LakeReader, tmp_path: Path, attack: str) -> None:
    cursor = reader.cursor()
    with pytest.raises(duckdb.Error) as raised:
        cursor.sql(ATTACKS[attack].format(home=tmp_path)).fetchall()
    assert SECRET not in str(raised.value)
    assert not (tmp_path / "stolen.csv").exists()
    assert not (tmp_path / "lake" / "clean" / "t" / "evil.parquet").exists()
    # cached tables (in memory) and views (Parquet in the lake) still read
    assert cursor.sql("SELECT count(*) FROM clean.t").fetchall() == [(2,)]
    assert cursor.sql("SELECT count(*) FROM clean.big").fetchall() == [(50,)]


def test_snapshots_take_the_api_limits(reader: LakeReader) -> None:
    rows = reader.cursor().sql(
        "SELECT name, value FROM duckdb_settings() WHERE name IN "
        "('threads', 'max_execution_time', 'memory_limit', 'lock_configuration')"
    )
    assert dict(rows.fetchall()) == {
        "threads": "1",
        "max_execution_time": "5000",
        "memory_limit": "244.1 MiB",
        "lock_configuration": "true",
    }
    reader.refresh(force=True)  # a rebuilt snapshot is sandboxed again
    with pytest.raises(duckdb.PermissionException):
        reader.cursor().sql("SELECT * FROM read_text('/etc/passwd')").fetchall()


@pytest.mark.parametrize("attack", ATTACKS)
def test_sql_in_request_parameters_is_never_run(
    client: httpx.Client, api_home: Path, attack: str
) -> None:
    sql = ATTACKS[attack].format(home=api_home)
    attempts = [
        client.get(f"/tables/clean/{sql}/rows"),
        client.get("/tables/clean/ac_laps/rows", params={"columns": sql}),
        client.get("/tables/clean/ac_laps/rows", params={"sort": sql}),
        client.get("/tables/clean/ac_laps/rows", params={"filter": f"driver_name:eq:{sql}"}),
        client.get("/tables/clean/ac_laps/rows", params={"filter": f"{sql}:eq:1"}),
    ]
    for response in attempts:
        assert response.status_code in (200, 404, 422), response.text
        assert "root:" not in response.text
        if response.status_code == 200:  # a filter value is data: nothing matches it
            assert response.json()["items"] == []
    assert not (api_home / "stolen.csv").exists()
