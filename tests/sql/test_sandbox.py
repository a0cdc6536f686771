"""A user's SQL reads the lake's tables and nothing else (issue 16, finding 1).

Each attack runs through the entry points users have: the SQL explorer's query function,
``pitwall sql``, and the bare connection ``pitwall.sql.connect()`` gives. The API's snapshots
are checked in tests/api/test_sandbox.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import boto3
import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from pitwall import dashboards as dash
from pitwall.cli import app
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.sql import ReadOnlyQueryError, SandboxLimits, connect, require_read_only
from tests.s3server import run_moto_server

SECRET = "pitwall-sandbox-test-secret"

READS = {
    "/etc/passwd": "SELECT * FROM read_csv('/etc/passwd', sep=':', header=false)",
    "conf/local": "SELECT content FROM read_text('{home}/conf/local/postgres-passwords.json')",
    "/proc/self/environ": "SELECT content FROM read_blob('/proc/self/environ')",
    "delta log": "SELECT * FROM read_json_auto('{lake}/clean/tracks/_delta_log/*.json')",
    "lake listing": "SELECT * FROM glob('{lake}/**')",
    "url": "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
}
WRITES = {
    "copy outside": "COPY (SELECT 1 AS id) TO '{home}/stolen.csv'",
    "copy into the lake": "COPY (SELECT 1 AS id) TO '{lake}/clean/tracks/evil.parquet'",
    "export": "EXPORT DATABASE '{home}/export'",
    "attach": "ATTACH '{home}/evil.duckdb'",
}
# allowed by DuckDB's allowed_paths (the file is one the views read): only the read-only
# statement check stands between this and a corrupted lake
OVERWRITE = "COPY (SELECT 1 AS id) TO '{data_file}' (FORMAT parquet, USE_TMP_FILE false)"
CONFIG = {
    "install": "INSTALL httpfs",
    "load": "LOAD httpfs",
    "set": "SET enable_external_access = true",
    "reset": "RESET lock_configuration",
    "explain analyze": "EXPLAIN ANALYZE COPY (SELECT 1) TO '{home}/x.csv'",
    "hidden after a select": "SELECT 1; COPY (SELECT 1) TO '{home}/y.csv'",
}
ALL_ATTACKS = {**READS, **WRITES, **CONFIG, "overwrite a data file": OVERWRITE}


@pytest.fixture
def home(tmp_path: Path, lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project home holding a lake (one native table, one read through Arrow) and a secret."""
    write_table(
        pl.DataFrame({"id": [1, 2], "name": ["Monza", "Spa"]}), lake.table_uri("clean", "tracks")
    )
    parted = pl.DataFrame({"k": [1, 2], "v": ["x", "y"]})
    write_table(parted, lake.table_uri("clean", "parted"), partition_by=["k"])
    secret = tmp_path / "conf" / "local" / "postgres-passwords.json"
    secret.parent.mkdir(parents=True)
    secret.write_text(f'{{"loader": "{SECRET}"}}')
    monkeypatch.setenv("PITWALL_SANDBOX_TEST_SECRET", SECRET)
    return tmp_path


def _fill(sql: str, *, home: Path, lake: Lake) -> str:
    data_file = next((Path(lake.root) / "clean" / "tracks").glob("*.parquet"))
    return sql.format(home=home, lake=lake.root, data_file=data_file)


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("attack", ALL_ATTACKS)
def test_the_explorer_query_function_refuses(home: Path, lake: Lake, attack: str) -> None:
    before = _files(home)
    result = dash.run_query(_fill(ALL_ATTACKS[attack], home=home, lake=lake), engine=connect(lake))
    assert result.frame is None
    assert result.error and SECRET not in result.error and "root:" not in result.error
    assert _files(home) == before


@pytest.mark.parametrize("attack", ALL_ATTACKS)
def test_pitwall_sql_refuses(home: Path, lake: Lake, attack: str) -> None:
    before = _files(home)
    query = _fill(ALL_ATTACKS[attack], home=home, lake=lake)
    for fmt in ("table", "json"):
        result = CliRunner().invoke(app, ["sql", "--lake", lake.root, "--format", fmt, query])
        assert result.exit_code == 1, result.output
        assert "error" in result.output
        assert SECRET not in result.output and "root:" not in result.output
    assert _files(home) == before


def test_the_pitwall_sql_shell_refuses_and_goes_on(home: Path, lake: Lake) -> None:
    script = _fill(
        "SELECT content FROM read_text('{home}/conf/local/postgres-passwords.json');\n"
        "COPY (SELECT 1) TO '{home}/stolen.csv';\n"
        "SELECT count(*) AS n FROM clean.tracks;\n.quit\n",
        home=home,
        lake=lake,
    )
    result = CliRunner().invoke(app, ["sql", "--lake", lake.root], input=script)
    assert result.exit_code == 0, result.output
    assert result.output.count("error") == 2 and SECRET not in result.output
    assert "1 row(s)" in result.output
    assert not (home / "stolen.csv").exists()


@pytest.mark.parametrize("attack", {**READS, **WRITES, **CONFIG})
def test_the_connection_itself_refuses_without_the_statement_check(
    home: Path, lake: Lake, attack: str
) -> None:
    """DuckDB's own sandbox holds even for SQL that skips :func:`require_read_only`."""
    before = _files(home)
    con = connect(lake)
    with pytest.raises(duckdb.Error) as raised:
        con.sql(_fill(ALL_ATTACKS[attack], home=home, lake=lake)).fetchall()
    assert SECRET not in str(raised.value)
    assert _files(home) == before


def test_every_table_reads_and_read_only_statements_pass(lake: Lake, home: Path) -> None:
    con = connect(lake)
    assert con.sql("SELECT name FROM clean.tracks ORDER BY id").fetchall() == [("Monza",), ("Spa",)]
    assert con.sql("SELECT sum(k) FROM clean.parted").fetchall() == [(3,)]
    for sql in (
        "SELECT 1",
        "FROM clean.tracks",
        "DESCRIBE clean.tracks",
        "SUMMARIZE clean.tracks",
        "SHOW TABLES",
        "EXPLAIN SELECT * FROM clean.tracks",
        "EXPLAIN ANALYZE SELECT count(*) FROM clean.tracks",
        "WITH t AS (SELECT 1 AS a) SELECT a FROM t; VALUES (1)",
    ):
        assert require_read_only(sql, con=con) == sql
        assert dash.run_query(sql, engine=con).error is None, sql
    for sql in ("CREATE TABLE t AS SELECT 1", "INSERT INTO t VALUES (1)", "CALL pragma_version()"):
        with pytest.raises(ReadOnlyQueryError):
            require_read_only(sql, con=con)


def test_limits_hold_and_cannot_be_lifted(lake: Lake, home: Path) -> None:
    limits = SandboxLimits(memory_limit="64MB", threads=1, timeout_s=0.5)
    con = connect(lake, limits=limits).cursor()  # a cursor has the connection's sandbox
    settings = dict(
        con.sql(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('threads', 'max_execution_time', 'enable_external_access', 'lock_configuration',"
            " 'autoload_known_extensions', 'autoinstall_known_extensions', 'temp_directory')"
        ).fetchall()
    )
    assert settings == {
        "threads": "1",
        "max_execution_time": "500",
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "temp_directory": "",
    }
    with pytest.raises(duckdb.InterruptException, match="maximum execution time"):
        con.sql("SELECT count(*) FROM range(1000000000000) a").fetchall()
    with pytest.raises(duckdb.OutOfMemoryException):
        con.sql("SELECT list(range) FROM range(50000000)").fetchall()
    for setting in ("memory_limit = '8GB'", "threads = 8", "max_execution_time = 0"):
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            con.execute(f"SET {setting}")


def test_the_explorer_runs_user_sql_on_sandboxed_connections_only(lake: Lake, home: Path) -> None:
    with pytest.raises(ValueError, match="sandboxed"):
        dash.run_query("SELECT 1", engine=duckdb.connect())


def test_an_s3_lake_reads_through_arrow_and_its_keys_stay_out_of_reach(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On S3 the views are Arrow datasets (DuckDB gets no credentials, no httpfs)."""
    with run_moto_server() as endpoint:
        for key, value in {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="lake")
        lake = get_lake("s3://lake/pitwall")
        write_table(
            pl.DataFrame({"id": [1, 2]}),
            lake.table_uri("clean", "tracks"),
            storage_options=lake.storage_options,
        )
        con = connect(lake)
        assert con.sql("SELECT sum(id) FROM clean.tracks").fetchall() == [(3,)]
        for attack in (
            "SELECT * FROM read_parquet('s3://lake/pitwall/clean/tracks/*.parquet')",
            f"SELECT * FROM read_csv('{endpoint}/lake/')",
            "SELECT content FROM read_blob('/proc/self/environ')",
            "SELECT * FROM duckdb_secrets()",
        ):
            result = dash.run_query(attack, engine=con)
            shown = result.error or str(result.frame.rows())
            assert SECRET not in shown, attack
            assert result.frame is None or result.frame.is_empty(), attack
