"""Least privilege: the reader reads clean only; nobody but the owner does DDL or grants."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from pitwall.postgres.credentials import RolePasswords
from pitwall.postgres.roles import ensure_roles
from pitwall.postgres.server import reader_dsn
from tests.postgres.fixtures import PgDatabase


@pytest.fixture
def seeded(pg: PgDatabase) -> PgDatabase:
    """One table in each schema, owned by the owner like the mirror's."""
    with psycopg.connect(pg.admin, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL ROLE pitwall_owner")
        conn.execute("CREATE TABLE clean.laps (id bigint PRIMARY KEY, ms integer)")
        conn.execute("INSERT INTO clean.laps VALUES (1, 90000)")
        conn.execute("CREATE TABLE raw.laps (id bigint, ms text)")
    return pg


def _read_write_reader(pg: PgDatabase) -> psycopg.Connection:
    """The reader, having switched off its read-only default: privileges alone must hold."""
    conn = psycopg.connect(pg.reader, autocommit=True)
    conn.execute("SET default_transaction_read_only = off")
    return conn


def test_reader_selects_clean(seeded: PgDatabase) -> None:
    with psycopg.connect(seeded.reader) as conn:
        assert conn.execute("SELECT id, ms FROM clean.laps").fetchall() == [(1, 90000)]
        assert conn.execute("SELECT current_user").fetchone() == ("pitwall_reader",)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO clean.laps VALUES (2, 1)",
        "UPDATE clean.laps SET ms = 0",
        "DELETE FROM clean.laps",
        "TRUNCATE clean.laps",
    ],
)
def test_reader_cannot_write(seeded: PgDatabase, statement: str) -> None:
    with _read_write_reader(seeded) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)
    with psycopg.connect(seeded.admin) as admin:
        assert admin.execute("SELECT id, ms FROM clean.laps").fetchall() == [(1, 90000)]


def test_reader_writes_are_refused_even_before_privileges(seeded: PgDatabase) -> None:
    with (
        psycopg.connect(seeded.reader) as conn,
        pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
    ):
        conn.execute("INSERT INTO clean.laps VALUES (3, 1)")


@pytest.mark.parametrize("statement", ["SELECT * FROM raw.laps", "SELECT * FROM mirror.state"])
def test_reader_cannot_read_raw_or_mirror_state(seeded: PgDatabase, statement: str) -> None:
    with _read_write_reader(seeded) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE clean.evil (i int)",
        "CREATE TABLE public.evil (i int)",
        "CREATE TABLE raw.evil (i int)",
        "CREATE TEMP TABLE evil (i int)",
        "CREATE SCHEMA evil",
        "CREATE VIEW clean.evil AS SELECT 1",
        "CREATE FUNCTION public.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "ALTER TABLE clean.laps ADD COLUMN evil int",
        "DROP TABLE clean.laps",
    ],
)
def test_reader_cannot_create_or_alter_objects(seeded: PgDatabase, statement: str) -> None:
    with _read_write_reader(seeded) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_loader_writes_rows_but_does_no_ddl(seeded: PgDatabase) -> None:
    with psycopg.connect(seeded.loader, autocommit=True) as conn:
        conn.execute("INSERT INTO clean.laps VALUES (2, 91000)")
        conn.execute("INSERT INTO raw.laps VALUES (2, '91000')")
        for statement in (
            "CREATE TABLE public.x (i int)",
            "CREATE TABLE clean.x (i int)",
            "DROP TABLE clean.laps",
            "ALTER TABLE clean.laps ADD COLUMN evil int",
            "DROP SCHEMA clean CASCADE",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM clean.laps").fetchone() == (2,)


def test_schemas_are_owned_by_the_owner_role(pg: PgDatabase) -> None:
    with psycopg.connect(pg.admin) as conn:
        owners = conn.execute(
            "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace "
            "WHERE nspname IN ('raw', 'clean', 'mirror') ORDER BY nspname"
        ).fetchall()
        roles = conn.execute(
            "SELECT rolname, rolcanlogin, rolinherit, rolsuper, rolcreaterole, rolcreatedb "
            "FROM pg_roles WHERE rolname LIKE 'pitwall\\_%' ORDER BY rolname"
        ).fetchall()
    assert owners == [
        ("clean", "pitwall_owner"),
        ("mirror", "pitwall_owner"),
        ("raw", "pitwall_owner"),
    ]
    assert roles == [
        ("pitwall_loader", True, False, False, False, False),
        ("pitwall_owner", False, True, False, False, False),
        ("pitwall_reader", True, False, False, False, False),
    ]


def test_bootstrap_is_idempotent_and_safe_concurrently(seeded: PgDatabase) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: ensure_roles(seeded.admin, passwords=seeded.passwords), range(3)))
    # existing data and grants survive
    with psycopg.connect(seeded.reader) as conn:
        assert conn.execute("SELECT count(*) FROM clean.laps").fetchone() == (1,)


def test_embedded_server_checks_role_passwords(embedded_server: str) -> None:
    """The DSN test server trusts everyone; the embedded one requires the role's password."""
    passwords = RolePasswords(loader="loader-secret", reader="reader-secret")
    good = reader_dsn(embedded_server, passwords=passwords)
    with psycopg.connect(good) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("pitwall_reader",)
    bad = good.replace("reader-secret", "wrong")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(bad)
