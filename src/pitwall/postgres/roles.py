"""Least-privilege roles and schemas of the mirror, created idempotently by the admin DSN.

- ``pitwall_owner`` (NOLOGIN, no password, no member) owns schemas ``raw``, ``clean`` and
  ``mirror``, their tables, and the mirror's ``SECURITY DEFINER`` functions
  (``mirror_functions.sql``): the only DDL anyone but the bootstrap does.
- ``pitwall_loader`` (LOGIN) reads and writes rows of ``raw`` and ``clean``, reads
  ``mirror.state``, and may call those functions. It is not a member of the owner: it cannot
  ``SET ROLE`` to it, drop a schema, create anything or grant anything; ``mirror.state`` changes
  only through ``mirror.record_state``.
- ``pitwall_reader`` (LOGIN, read-only transactions) has USAGE on ``clean`` and SELECT on its
  tables, nothing on ``raw`` or ``mirror``, no CREATE anywhere, no temporary tables.
- Nobody grants to PUBLIC: CREATE on schema ``public`` and the database is revoked from PUBLIC,
  the owner's functions are not executable by PUBLIC by default, and an event trigger
  (``grant_guard.sql``, when the admin is a superuser) refuses any GRANT by a role other than
  the owner and any PUBLIC entry in the mirror's schemas or in default privileges.

Why functions rather than a separate owner login for the mirror: the pipelines then hold one
PostgreSQL secret (the loader's), no password of the owner exists to leak, and what the
loader can have done as the owner is a short, reviewed list of narrow statements.

Roles are cluster-wide; grants, schemas and default privileges are per database. Passwords are
sent already SCRAM-hashed so they never appear in server logs.
"""

from __future__ import annotations

import logging
from importlib.resources import files

import psycopg
import stamina
from psycopg import sql

from pitwall.postgres.credentials import RolePasswords

log = logging.getLogger(__name__)

OWNER = "pitwall_owner"
LOADER = "pitwall_loader"
READER = "pitwall_reader"
ROLE_NAMES = {"owner": OWNER, "loader": LOADER, "reader": READER}
SCHEMAS = ("raw", "clean", "mirror")
DATA_SCHEMAS = ("raw", "clean")
STATE_TABLE = sql.Identifier("mirror", "state")
_LOCK_KEY = 0x70_69_74_77  # 'pitw': serialises bootstraps of one database

# Concurrent bootstraps of the same cluster (roles are shared by every database) can collide:
# "tuple concurrently updated" (XX000) or a duplicate role. Retrying sees the winner's result.
_RACES = (
    psycopg.errors.InternalError_,
    psycopg.errors.UniqueViolation,
    psycopg.errors.DuplicateObject,
    psycopg.errors.SerializationFailure,
)

_STATE_DDL = sql.SQL(
    """CREATE TABLE IF NOT EXISTS {state} (
    schema_name   text        NOT NULL,
    table_name    text        NOT NULL,
    delta_version bigint      NOT NULL,
    rows          bigint      NOT NULL,
    mirrored_at   timestamptz NOT NULL DEFAULT now(),
    strategy      text        NOT NULL,
    keys          text[]      NOT NULL DEFAULT '{{}}',
    PRIMARY KEY (schema_name, table_name)
)"""
)


def ensure_roles(admin_dsn: str, *, passwords: RolePasswords) -> None:
    """Create or update roles, schemas, grants and the mirror-state table (idempotent)."""
    _ensure_cluster_roles(admin_dsn, passwords=passwords)
    _ensure_database_objects(admin_dsn)


@stamina.retry(on=_RACES, attempts=8, timeout=30.0)
def _ensure_cluster_roles(admin_dsn: str, *, passwords: RolePasswords) -> None:
    with psycopg.connect(admin_dsn) as conn:
        for name, login in ((OWNER, False), (LOADER, True), (READER, True)):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE ROLE {} {}").format(
                        sql.Identifier(name), sql.SQL("LOGIN" if login else "NOLOGIN")
                    )
                )
        common = sql.SQL("NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
        conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN {}").format(sql.Identifier(OWNER), common))
        for name, password in ((LOADER, passwords.loader), (READER, passwords.reader)):
            hashed = conn.pgconn.encrypt_password(
                password.encode(), name.encode(), b"scram-sha-256"
            ).decode()
            conn.execute(
                sql.SQL("ALTER ROLE {} LOGIN NOINHERIT {} PASSWORD {}").format(
                    sql.Identifier(name), common, sql.Literal(hashed)
                )
            )
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD NULL").format(sql.Identifier(OWNER)))
        # Earlier versions made the loader a member of the owner: neither login role is one.
        for member in (LOADER, READER):
            granted = conn.execute(
                "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                "JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = %s AND u.rolname = %s",
                (OWNER, member),
            ).fetchone()
            if granted:
                conn.execute(
                    sql.SQL("REVOKE {} FROM {}").format(
                        sql.Identifier(OWNER), sql.Identifier(member)
                    )
                )
        conn.execute(
            sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(
                sql.Identifier(READER)
            )
        )


@stamina.retry(on=_RACES, attempts=8, timeout=30.0)
def _ensure_database_objects(admin_dsn: str) -> None:
    owner, loader, reader = (sql.Identifier(n) for n in (OWNER, LOADER, READER))
    dml = sql.SQL("SELECT, INSERT, UPDATE, DELETE, TRUNCATE")
    with psycopg.connect(admin_dsn) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        dbname = conn.info.dbname
        database = sql.Identifier(dbname)
        found = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = bool(found.fetchone() == (True,))
        statements = [
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
            sql.SQL("REVOKE CREATE, TEMPORARY ON DATABASE {} FROM PUBLIC").format(database),
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(
                database, owner, loader
            ),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, reader),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"
            ).format(owner),
        ]
        for schema in (sql.Identifier(s) for s in SCHEMAS):
            statements += [
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(schema, owner),
                sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, owner),
                sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema),
                sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM PUBLIC").format(schema),
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, loader),
            ]
        for schema in (sql.Identifier(s) for s in DATA_SCHEMAS):
            statements += [
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON TABLES TO {}"
                ).format(owner, schema, dml, loader),
                sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(dml, schema, loader),
            ]
        mirror = sql.Identifier("mirror")
        clean = sql.Identifier("clean")
        statements += [
            # earlier versions let the loader write mirror.state directly
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} REVOKE ALL ON TABLES FROM {}"
            ).format(owner, mirror, loader),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(mirror, loader),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(clean, reader),
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
            ).format(owner, clean, reader),
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(clean, reader),
            sql.SQL("SET LOCAL ROLE {}").format(owner),
            _STATE_DDL.format(state=STATE_TABLE),
            sql.SQL("GRANT SELECT ON {} TO {}").format(STATE_TABLE, loader),
            sql.SQL(_read_sql("mirror_functions.sql")),  # type: ignore[arg-type]
            sql.SQL("RESET ROLE"),
        ]
        if superuser:
            statements.append(sql.SQL(_read_sql("grant_guard.sql")))  # type: ignore[arg-type]
        for statement in statements:
            conn.execute(statement)
    if not superuser:
        log.warning(
            "the admin DSN is not a superuser: no event trigger refuses grants to PUBLIC in %s",
            dbname,
        )
    log.info("PostgreSQL roles and schemas ready in database %s", dbname)


def _read_sql(name: str) -> str:
    return files("pitwall.postgres").joinpath(name).read_text(encoding="utf-8")
