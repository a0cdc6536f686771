"""The compose `pg-init` job: deploy/postgres/init_roles.py on a real PostgreSQL (embedded)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pitwall.postgres.server import start_embedded
from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "deploy" / "postgres" / "init_roles.py"


@pytest.fixture(scope="module")
def admin_dsn() -> Iterator[str]:
    """A PostgreSQL cluster of this module's own: the roles are cluster-wide."""
    import pgserver

    home = Path(tempfile.mkdtemp(prefix="pitwall-deploy-pg-"))
    pgdata = home / "pg"
    try:
        yield start_embedded(pgdata, database="pitwall")
    finally:
        pgserver.get_server(pgdata).cleanup()
        shutil.rmtree(home, ignore_errors=True)


def run_init(env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PITWALL_PG")}
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env=clean | {"PITWALL_HOME": str(home)} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_init_roles_creates_least_privilege_roles_idempotently(
    admin_dsn: str, tmp_path: Path
) -> None:
    env = {
        "PITWALL_PG_DSN": admin_dsn,
        "PITWALL_PG_LOADER_PASSWORD": "loader-Secret-1",
        "PITWALL_PG_READER_PASSWORD": "reader-Secret-2",
    }
    for _ in range(2):  # every `docker compose up` runs it again
        result = run_init(env, tmp_path)
        assert result.returncode == 0, result.stderr
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("SET ROLE pitwall_owner")  # as the mirror creates its tables
        conn.execute("CREATE TABLE raw.secret_rows (x int)")
        conn.execute("CREATE TABLE clean.laps (x int)")
        conn.execute("INSERT INTO clean.laps VALUES (1)")
    reader = make_conninfo(admin_dsn, user="pitwall_reader", password="reader-Secret-2")
    with psycopg.connect(reader, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM clean.laps").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM raw.secret_rows")
    loader = make_conninfo(admin_dsn, user="pitwall_loader", password="loader-Secret-1")
    with psycopg.connect(loader, autocommit=True) as conn:
        conn.execute("INSERT INTO clean.laps VALUES (2)")
    assert not (tmp_path / "data" / "pg-credentials.json").exists()  # nothing generated


def test_init_roles_refuses_to_run_without_its_secrets(tmp_path: Path) -> None:
    result = run_init({"PITWALL_PG_DSN": "postgresql://nowhere/pitwall"}, tmp_path)
    assert result.returncode == 2
    assert "PITWALL_PG_LOADER_PASSWORD" in result.stderr
    assert "PITWALL_PG_READER_PASSWORD" in result.stderr
