"""PostgreSQL fixtures: every test runs against the embedded server and the DSN server.

Each test gets its own database (created and dropped around it), so tests and parallel runs
never see each other's tables. Roles are cluster-wide and shared, as in production.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pitwall.postgres.credentials import RolePasswords
from pitwall.postgres.server import loader_dsn, reader_dsn, start_embedded

Backend = Literal["embedded", "dsn"]
DSN_SERVER = os.environ.get("PITWALL_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class PgDatabase:
    """A fresh database with the mirror's roles bootstrapped."""

    backend: Backend
    admin: str
    loader: str
    reader: str
    passwords: RolePasswords


@pytest.fixture(scope="session")
def embedded_home() -> Iterator[Path]:
    """A Pitwall home whose ``data/pg`` holds the session's embedded server.

    Not under pytest's basetemp: concurrent pytest sessions rotate those directories and
    would delete a running server's data.
    """
    home = Path(tempfile.mkdtemp(prefix="pitwall-pg-test-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def embedded_server(embedded_home: Path) -> Iterator[str]:
    """Admin DSN of a real PostgreSQL started with pgserver for this test session."""
    import pgserver

    pgdata = embedded_home / "data" / "pg"
    dsn = start_embedded(pgdata)
    yield dsn
    pgserver.get_server(pgdata).cleanup()


@pytest.fixture(scope="session")
def role_passwords() -> RolePasswords:
    return RolePasswords(loader=secrets.token_urlsafe(16), reader=secrets.token_urlsafe(16))


@pytest.fixture(params=["embedded", "dsn"])
def pg_server(request: pytest.FixtureRequest) -> tuple[Backend, str]:
    """(backend, admin DSN) of each server the suite must pass against."""
    backend: Backend = request.param
    if backend == "embedded":
        return backend, request.getfixturevalue("embedded_server")
    return backend, DSN_SERVER


@pytest.fixture
def pg(pg_server: tuple[Backend, str], role_passwords: RolePasswords) -> Iterator[PgDatabase]:
    """A new database on the server, roles and schemas bootstrapped, dropped afterwards."""
    backend, server = pg_server
    name = f"pitwall_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin = make_conninfo(server, dbname=name)
    try:
        yield PgDatabase(
            backend=backend,
            admin=admin,
            loader=loader_dsn(admin, passwords=role_passwords),
            reader=reader_dsn(admin, passwords=role_passwords, bootstrap=False),
            passwords=role_passwords,
        )
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
