"""Shared fixtures: an isolated lake per test, a temporary project home for the session, and
the PostgreSQL server the DSN tests use.

- No test reads or writes the working tree's ``data/``: unless ``PITWALL_HOME`` is set, the
  session runs in a temporary home whose ``conf``, ``src`` and ``notebooks`` point at the
  repository's and whose ``data/`` is its own (the committed samples linked in).
- The PostgreSQL tests run against the embedded server and a server named by DSN:
  ``PITWALL_TEST_PG_DSN`` when set, else ``127.0.0.1:5432`` (db ``test``) when it answers,
  else a second embedded server started here (``PITWALL_TEST_PG_DSN=embedded`` forces that).
  Nothing is installed: ``make postgres`` installs a system server on request.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pitwall.lake.layout import Lake, get_lake
from pitwall.settings import get_settings
from pitwall.sql import connect

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DSN_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
_HOME_LINKS = ("conf/base", "src", "notebooks", "pyproject.toml", ".telemetry", "data/samples")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SESSION.dsn_server.embedded is not None:
        _SESSION.dsn_server.embedded.cleanup()
    if _SESSION.home is not None:
        shutil.rmtree(_SESSION.home, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"pitwall home: {os.environ.get('PITWALL_HOME')}",
        f"PostgreSQL DSN-server tests: {_SESSION.dsn_server.why}",
    ]


def make_session_home() -> Path:
    """A project home in the temporary directory: the repository's code and conf, its own
    ``data/`` and ``conf/local``."""
    home = Path(tempfile.mkdtemp(prefix="pitwall-test-home-"))
    for name in _HOME_LINKS:
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).symlink_to(REPO_ROOT / name)
    (home / "conf" / "local").mkdir()
    return home


class DsnServer:
    """Where the DSN-server tests go, and why."""

    def __init__(self, dsn: str, why: str, embedded: object | None = None) -> None:
        self.dsn, self.why, self.embedded = dsn, why, embedded


def choose_dsn_server() -> DsnServer:
    """The DSN server of the PostgreSQL tests, exported as ``PITWALL_TEST_PG_DSN``."""
    named = os.environ.get("PITWALL_TEST_PG_DSN", "")
    if named and named != "embedded":
        return DsnServer(named, "PITWALL_TEST_PG_DSN")
    if not named and _answers(DEFAULT_DSN_SERVER):
        os.environ["PITWALL_TEST_PG_DSN"] = DEFAULT_DSN_SERVER
        return DsnServer(DEFAULT_DSN_SERVER, f"{DEFAULT_DSN_SERVER} (answers)")
    server = _start_second_embedded()
    dsn = make_conninfo(server.get_uri(), dbname="test")
    os.environ["PITWALL_TEST_PG_DSN"] = dsn
    why = "nothing answers on 127.0.0.1:5432: a second embedded server (make postgres installs one)"
    return DsnServer(dsn, why, embedded=server)


def _answers(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _start_second_embedded():
    """A pgserver cluster of its own (trust auth, superuser ``postgres``, database ``test``),
    deleted at the end of the session. Not under pytest's basetemp, which concurrent sessions
    rotate."""
    from pitwall.postgres.server import _import_pgserver

    pgserver = _import_pgserver()
    pgdata = Path(tempfile.mkdtemp(prefix="pitwall-pg-dsn-")) / "pg"
    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("test")))
    return server


class _Session:
    """The session's home (None when PITWALL_HOME was given) and DSN server.

    Chosen when this conftest is imported, before any other conftest or test module reads
    ``PITWALL_HOME`` or ``PITWALL_TEST_PG_DSN`` (pytest imports the conftests of the paths on
    its command line before ``pytest_configure``).
    """

    def __init__(self) -> None:
        self.home = None if os.environ.get("PITWALL_HOME") else make_session_home()
        if self.home is not None:
            os.environ["PITWALL_HOME"] = str(self.home)
        self.dsn_server = choose_dsn_server()


_SESSION = _Session()


@pytest.fixture
def con(ac_lake: Lake) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB catalog over the directory's own ``ac_lake`` fixture."""
    connection = connect(ac_lake)
    yield connection
    connection.close()


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """A fresh local lake under tmp_path, also exported as PITWALL_LAKE_URI."""
    root = tmp_path / "lake"
    monkeypatch.setenv("PITWALL_LAKE_URI", str(root))
    get_settings.cache_clear()
    yield get_lake()
    get_settings.cache_clear()
