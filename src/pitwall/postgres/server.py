"""Where PostgreSQL comes from: ``PITWALL_PG_DSN``, else an embedded server (pgserver).

The admin DSN (a superuser, or a role able to create roles and schemas) is used only to
bootstrap the roles; the mirror connects as ``pitwall_loader``, readers as ``pitwall_reader``.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path
from types import ModuleType

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pitwall.postgres.credentials import LoginRole, RolePasswords, read_role_passwords
from pitwall.postgres.roles import ROLE_NAMES, ensure_roles
from pitwall.settings import get_settings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "pitwall"
_HBA_MARKER = "# pitwall: password auth for every role but the bootstrap superuser"
_HBA = f"""{_HBA_MARKER}
local   all   postgres                 trust
local   all   all                      scram-sha-256
host    all   all        127.0.0.1/32  scram-sha-256
host    all   all        ::1/128       scram-sha-256
"""


def resolve_admin_dsn() -> str:
    """The bootstrap DSN: ``PITWALL_PG_DSN``, else the embedded server under ``<home>/data/pg``."""
    settings = get_settings()
    if settings.pg_dsn:
        return settings.pg_dsn
    return start_embedded(settings.home / "data" / "pg")


def start_embedded(pgdata: Path, *, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) a real PostgreSQL in ``pgdata`` and return a DSN to ``database``.

    The server stops when the last process that started it exits. Roles other than the
    bootstrap superuser authenticate with a password (scram-sha-256).
    """
    pgserver = _import_pgserver()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    admin = server.get_uri()
    _require_passwords(pgdata, admin)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            # another process may create it meanwhile
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    log.info("embedded PostgreSQL running in %s", pgdata)
    return make_conninfo(admin, dbname=database)


def _import_pgserver() -> ModuleType:
    """pgserver, imported only when the embedded server is wanted (it is a demo/dev extra)."""
    try:
        with warnings.catch_warnings():
            # without XDG_RUNTIME_DIR (root shells, containers) platformdirs falls back to
            # /tmp/runtime-<uid> for pgserver's lock file, which is fine: no warning for it
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            import pgserver
    except ImportError as exc:
        raise RuntimeError(
            "no PostgreSQL: set PITWALL_PG_DSN, or install the embedded server "
            "(uv sync --extra demo)"
        ) from exc
    return pgserver


def _require_passwords(pgdata: Path, admin_dsn: str) -> None:
    hba = pgdata / "pg_hba.conf"
    if hba.read_text().startswith(_HBA_MARKER):
        return
    # Rewrite in place: the file keeps the owner (pgserver's system user when run as root).
    with hba.open("w") as handle:
        handle.write(_HBA)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")


def role_dsn(admin_dsn: str, *, role: LoginRole, password: str) -> str:
    """The DSN of a login role on the same server and database as ``admin_dsn``."""
    return make_conninfo(admin_dsn, user=ROLE_NAMES[role], password=password)


def loader_dsn(
    admin_dsn: str | None = None,
    *,
    passwords: RolePasswords | None = None,
    bootstrap: bool = True,
) -> str:
    """DSN of ``pitwall_loader``; roles and schemas are created first unless ``bootstrap=False``."""
    return _login_dsn("loader", admin_dsn=admin_dsn, passwords=passwords, bootstrap=bootstrap)


def reader_dsn(
    admin_dsn: str | None = None,
    *,
    passwords: RolePasswords | None = None,
    bootstrap: bool = True,
) -> str:
    """DSN of ``pitwall_reader``: SELECT on schema ``clean`` only."""
    return _login_dsn("reader", admin_dsn=admin_dsn, passwords=passwords, bootstrap=bootstrap)


def _login_dsn(
    role: LoginRole,
    *,
    admin_dsn: str | None,
    passwords: RolePasswords | None,
    bootstrap: bool,
) -> str:
    admin = admin_dsn or resolve_admin_dsn()
    secrets = passwords or read_role_passwords()
    if bootstrap:
        ensure_roles(admin, passwords=secrets)
    return role_dsn(admin, role=role, password=secrets.of(role))


def database_name(dsn: str) -> str:
    """The database a DSN points at."""
    params = conninfo_to_dict(dsn)
    return str(params.get("dbname") or params.get("user") or "postgres")
