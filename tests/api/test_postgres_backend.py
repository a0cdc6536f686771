"""The PostgreSQL backend: CLEAN reads from the mirror as ``pitwall_reader`` match the lake's."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from polars.testing import assert_frame_equal
from psycopg import sql
from psycopg.conninfo import make_conninfo

from api.readers.postgres import PostgresReader, to_psycopg
from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.lake.layout import Lake
from pitwall.postgres.credentials import RolePasswords
from pitwall.postgres.mirror import mirror_lake
from pitwall.postgres.options import MirrorOptions
from pitwall.postgres.server import loader_dsn, reader_dsn
from pitwall.queries import TableNotFoundError, read_line_crossings, read_sessions
from pitwall.sql import connect
from tests.api.conftest import Mint

SERVER = os.environ.get("PITWALL_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
def reader(api_lake: Lake) -> Iterator[str]:
    """A fresh database holding the mirror of the AC lake (plus raw.ingestion_log, which the
    reader role must not see); yields the reader role's DSN."""
    name = f"pitwall_api_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin = make_conninfo(SERVER, dbname=name)
    passwords = RolePasswords(loader=secrets.token_urlsafe(16), reader=secrets.token_urlsafe(16))
    try:
        options = MirrorOptions(raw_tables=["ingestion_log"])
        mirror_lake(api_lake, options=options, dsn=loader_dsn(admin, passwords=passwords))
        yield reader_dsn(admin, passwords=passwords, bootstrap=False)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def pg_client(
    reader: str, issuer_url: str, api_lake: Lake, api_home: Path, mint: Mint
) -> Iterator[httpx.Client]:
    settings = ApiSettings(
        oidc_issuer=issuer_url,
        lake_uri=api_lake.root,
        home=api_home,
        backend="postgres",
        pg_dsn=reader,
        catalog_refresh_s=0,
    )
    with serve_api(settings=settings) as url:
        headers = {"Authorization": f"Bearer {mint()}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            yield http


def test_health_names_the_backend(pg_client: httpx.Client) -> None:
    assert pg_client.get("/health").json()["backend"] == "postgres"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/sessions", {}),
        ("/sessions/srv-1", {}),
        ("/sessions/srv-1/laps", {"car_id": 1}),
        ("/sessions/game-1/laps/0/1/telemetry", {"points": 37}),
        ("/sessions/srv-1/leaderboard", {}),
        ("/sessions/game-1/leaderboard", {}),
        ("/leaderboard", {}),
        ("/tables/clean/ac_laps/rows", {"sort": "-lap_time_ms", "limit": 3}),
        ("/tables/clean/ac_laps/rows", {"filter": ["driver_name:in:Alice,Carol"], "limit": 50}),
        ("/tables/clean/ac_telemetry/rows", {"filter": "lap_number:between:2,2", "limit": 50}),
        ("/tables/raw/ingestion_log/rows", {}),  # RAW still comes from the lake
        ("/ingestion/log", {}),
    ],
)
def test_mirror_answers_like_the_lake(
    pg_client: httpx.Client, client: httpx.Client, path: str, params: dict
) -> None:
    from_mirror = pg_client.get(path, params=params)
    assert from_mirror.status_code == 200, from_mirror.text
    assert from_mirror.json() == client.get(path, params=params).json()


def test_keyset_pages_from_the_mirror(pg_client: httpx.Client, client: httpx.Client) -> None:
    pages = []
    params: dict[str, object] = {"sort": "ts", "limit": 300, "columns": "ts,speed_kmh"}
    for _ in range(10):
        page = pg_client.get("/tables/clean/ac_telemetry/rows", params=params).json()  # type: ignore[arg-type]
        pages += page["items"]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    everything = client.get(
        "/tables/clean/ac_telemetry/rows", params={"sort": "ts", "limit": 1000, "columns": "ts"}
    ).json()["items"]
    more = client.get(
        "/tables/clean/ac_telemetry/rows",
        params={"sort": "ts", "limit": 1000, "columns": "ts", "offset": 1000},
    ).json()["items"]
    assert [p["ts"] for p in pages] == [r["ts"] for r in everything + more]


def test_reader_role_sees_clean_only(reader: str) -> None:
    mirror = PostgresReader(reader)
    cursor = mirror.cursor()
    try:
        assert read_sessions(cursor).height == 2
        with pytest.raises(TableNotFoundError):
            cursor.read_frame("SELECT count(*) FROM raw.ingestion_log", {})
    finally:
        cursor.close()
        mirror.close()


def test_sector_lines_are_crossed_in_the_mirror_as_in_the_lake(reader: str, api_lake: Lake) -> None:
    """The crossings are computed where the data is (PostgreSQL here), not fetched sample by
    sample: the same SQL answers the same on both."""
    mirror = PostgresReader(reader)
    cursor = mirror.cursor()
    try:
        from_mirror = read_line_crossings(cursor, ["game-1"], lines=[0.3, 0.6])
    finally:
        cursor.close()
        mirror.close()
    from_lake = read_line_crossings(connect(api_lake), ["game-1"], lines=[0.3, 0.6])
    order = ["session_id", "car_id", "lap_number", "line"]
    assert from_lake.drop_nulls("line").height > 0  # some laps cross both lines
    assert_frame_equal(
        from_mirror.sort(order, nulls_last=True), from_lake.sort(order, nulls_last=True)
    )


@pytest.mark.parametrize(
    ("sql_text", "expected"),
    [
        ("SELECT $a, $b_2", "SELECT %(a)s, %(b_2)s"),
        ("SELECT '5%' || $a", "SELECT '5%%' || %(a)s"),
        ('SELECT "co$l%" FROM t WHERE x = $a', 'SELECT "co$l%%" FROM t WHERE x = %(a)s'),
        ("SELECT x % 2 FROM t WHERE '$a' = $a", "SELECT x %% 2 FROM t WHERE '$a' = %(a)s"),
    ],
)
def test_placeholders_are_translated_outside_quotes(sql_text: str, expected: str) -> None:
    assert to_psycopg(sql_text, {"a": 1, "b_2": 2}) == expected


def test_missing_parameter_is_an_error() -> None:
    with pytest.raises(KeyError):
        to_psycopg("SELECT $nope", {})
