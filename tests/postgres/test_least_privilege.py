"""Least privilege holds by construction (issue 16, finding 2), on both servers.

The loader is no member of the owner; the owner's DDL reaches it only through narrow
SECURITY DEFINER functions; nobody grants to PUBLIC; ``mirror.state`` changes only through
``mirror.record_state``.
"""

from __future__ import annotations

import polars as pl
import psycopg
import pytest

from pitwall.postgres.roles import ensure_roles
from pitwall.postgres.typemap import SCALAR_OIDS, pg_type_of
from tests.postgres.fixtures import PgDatabase

PUBLIC_GRANTS = [
    "GRANT ALL ON ALL TABLES IN SCHEMA clean TO PUBLIC",
    "GRANT SELECT ON clean.laps TO PUBLIC",
    "GRANT SELECT (ms) ON clean.laps TO PUBLIC",
    "GRANT ALL ON mirror.state TO PUBLIC",
    "GRANT USAGE ON SCHEMA raw TO PUBLIC",
    "GRANT EXECUTE ON FUNCTION mirror.record_state(text, text, bigint, bigint, text, text[]) "
    "TO PUBLIC",
    "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC",
    "ALTER DEFAULT PRIVILEGES FOR ROLE pitwall_owner IN SCHEMA clean "
    "GRANT SELECT ON TABLES TO PUBLIC",
]
STATE_WRITES = [
    "INSERT INTO mirror.state (schema_name, table_name, delta_version, rows, strategy) "
    "VALUES ('clean', 'laps', 99, 1, 'swap')",
    "UPDATE mirror.state SET delta_version = 99",
    "DELETE FROM mirror.state",
    "TRUNCATE mirror.state",
]


@pytest.fixture
def seeded(pg: PgDatabase) -> PgDatabase:
    """clean.laps mirrored at version 3 through the loader's functions, as the mirror does."""
    with psycopg.connect(pg.loader) as conn:
        conn.execute(
            "SELECT mirror.create_stage('clean', 'laps__pitwall_new', %s, %s)",
            (["id", "ms"], ["bigint", "integer"]),
        )
        conn.execute("INSERT INTO clean.laps__pitwall_new VALUES (1, 90000)")
        conn.execute(
            "SELECT mirror.swap_stage('clean', 'laps__pitwall_new', 'laps', %s::text[], "
            "'laps__pitwall_new_pkey', 'laps_pkey')",
            (["id"],),
        )
        conn.execute("SELECT mirror.record_state('clean', 'laps', 3, 1, 'swap', %s)", (["id"],))
    return pg


def _public_privileges(pg: PgDatabase) -> list[tuple[str, ...]]:
    """Every privilege PUBLIC holds on the mirror's schemas and what is in them."""
    with psycopg.connect(pg.admin) as conn:
        return conn.execute(
            """
            SELECT 'schema', nspname, a.privilege_type FROM pg_namespace
              CROSS JOIN LATERAL aclexplode(nspacl) a
              WHERE nspname IN ('raw', 'clean', 'mirror') AND a.grantee = 0
            UNION ALL
            SELECT 'relation', c.oid::regclass::text, a.privilege_type FROM pg_class c
              CROSS JOIN LATERAL aclexplode(c.relacl) a
              WHERE c.relnamespace::regnamespace::text IN ('raw', 'clean', 'mirror')
                AND a.grantee = 0
            UNION ALL
            SELECT 'column', c.oid::regclass::text, a.privilege_type FROM pg_attribute t
              JOIN pg_class c ON c.oid = t.attrelid CROSS JOIN LATERAL aclexplode(t.attacl) a
              WHERE c.relnamespace::regnamespace::text IN ('raw', 'clean', 'mirror')
                AND a.grantee = 0
            UNION ALL
            SELECT 'function', p.oid::regprocedure::text, a.privilege_type FROM pg_proc p
              CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
              WHERE p.pronamespace::regnamespace::text = 'mirror' AND a.grantee = 0
                AND p.proname <> 'refuse_public_grants'
            UNION ALL
            SELECT 'default', d.defaclrole::regrole::text, a.privilege_type FROM pg_default_acl d
              CROSS JOIN LATERAL aclexplode(d.defaclacl) a WHERE a.grantee = 0
            """
        ).fetchall()


def _state(pg: PgDatabase) -> list[tuple[object, ...]]:
    with psycopg.connect(pg.admin) as conn:
        return conn.execute(
            "SELECT schema_name, table_name, delta_version, rows, strategy, keys FROM mirror.state"
        ).fetchall()


def test_the_loader_is_no_member_of_any_role(pg: PgDatabase) -> None:
    with psycopg.connect(pg.admin) as conn:
        memberships = conn.execute(
            "SELECT r.rolname, u.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
            " JOIN pg_roles u ON u.oid = m.member"
            " WHERE u.rolname IN ('pitwall_loader', 'pitwall_reader')"
        ).fetchall()
        owner = conn.execute(
            "SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = 'pitwall_owner'"
        ).fetchone()
    assert memberships == []
    assert owner == (False, True)  # no login, no password to steal


@pytest.mark.parametrize(
    "statement",
    ["SET ROLE pitwall_owner", "SET SESSION AUTHORIZATION pitwall_owner", "SET ROLE postgres"],
)
def test_set_role_pitwall_owner_as_the_loader_fails(seeded: PgDatabase, statement: str) -> None:
    with psycopg.connect(seeded.loader, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP SCHEMA clean CASCADE")
    with psycopg.connect(seeded.reader) as conn:
        assert conn.execute("SELECT count(*) FROM clean.laps").fetchone() == (1,)


def test_an_old_bootstrap_s_membership_is_revoked(pg: PgDatabase) -> None:
    """Earlier versions granted the owner to the loader: a new bootstrap takes it back."""
    with psycopg.connect(pg.admin, autocommit=True) as conn:
        conn.execute("GRANT pitwall_owner TO pitwall_loader")
    ensure_roles(pg.admin, passwords=pg.passwords)
    with (
        psycopg.connect(pg.loader, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SET ROLE pitwall_owner")


@pytest.mark.parametrize("login", ["loader", "reader"])
@pytest.mark.parametrize("statement", PUBLIC_GRANTS)
def test_grant_to_public_fails_for_the_login_roles(
    seeded: PgDatabase, login: str, statement: str
) -> None:
    dsn = seeded.loader if login == "loader" else seeded.reader
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    assert _public_privileges(seeded) == []


@pytest.mark.parametrize("statement", PUBLIC_GRANTS)
def test_grant_to_public_fails_even_for_the_owner(seeded: PgDatabase, statement: str) -> None:
    """The owner could grant on its own objects; the event trigger refuses it (and rolls back)."""
    with psycopg.connect(seeded.admin, autocommit=True) as conn:
        conn.execute("SET ROLE pitwall_owner")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="PUBLIC"):
            conn.execute(statement)
    assert _public_privileges(seeded) == []


def test_the_login_roles_cannot_grant_to_anyone(seeded: PgDatabase) -> None:
    with psycopg.connect(seeded.loader, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE mine (i int)")  # the one thing the loader owns
        for statement in (
            "GRANT SELECT ON mine TO pitwall_reader",
            "GRANT INSERT ON clean.laps TO pitwall_reader",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


@pytest.mark.parametrize("statement", STATE_WRITES)
def test_a_direct_write_to_mirror_state_fails(seeded: PgDatabase, statement: str) -> None:
    for dsn in (seeded.loader, seeded.reader):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET default_transaction_read_only = off")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert _state(seeded) == [("clean", "laps", 3, 1, "swap", ["id"])]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        # a state row must describe the table as it is
        ("record_state('clean', 'laps', 9, 5, 'swap', '{id}')", psycopg.errors.DataException),
        ("record_state('clean', 'laps', 9, 1, 'swap', '{ms}')", psycopg.errors.DataException),
        (
            "record_state('clean', 'laps', 9, 1, 'skip', '{id}')",
            psycopg.errors.InvalidParameterValue,
        ),
        (
            "record_state('mirror', 'state', 9, 1, 'swap', '{}')",
            psycopg.errors.InsufficientPrivilege,
        ),
        # DDL: schemas raw and clean, staging names, the mirror's column types only
        (
            "create_stage('mirror', 'state__pitwall_new', '{a}', '{int}')",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            "create_stage('public', 'x__pitwall_new', '{a}', '{integer}')",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            "create_stage('clean', 'evil', '{a}', '{integer}')",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            "create_stage('clean', 'x__pitwall_new', '{a}', "
            "'{\"integer); DROP SCHEMA clean CASCADE; --\"}')",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            "create_stage('clean', 'x__pitwall_new', '{a}', '{\"integer DEFAULT pg_sleep(1)\"}')",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            "swap_stage('clean', 'laps', 'x', '{}', 'a_pkey', 'b_pkey')",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            "add_columns('mirror', 'state', '{evil}', '{integer}')",
            psycopg.errors.InsufficientPrivilege,
        ),
        (
            "add_columns('clean', 'laps', '{evil}', '{regclass}')",
            psycopg.errors.InsufficientPrivilege,
        ),
    ],
)
def test_the_definer_functions_do_only_what_the_mirror_needs(
    seeded: PgDatabase, call: str, error: type[Exception]
) -> None:
    with psycopg.connect(seeded.loader, autocommit=True) as conn, pytest.raises(error):
        conn.execute(f"SELECT mirror.{call}")
    assert _state(seeded) == [("clean", "laps", 3, 1, "swap", ["id"])]
    with psycopg.connect(seeded.admin) as conn:
        schemas = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('raw', 'clean', 'mirror')"
        ).fetchone()
        columns = conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'clean.laps'::regclass "
            "AND attnum > 0 ORDER BY attnum"
        ).fetchall()
    assert schemas == (3,) and columns == [("id",), ("ms",)]


def test_only_the_loader_may_call_the_definer_functions(seeded: PgDatabase) -> None:
    with psycopg.connect(seeded.reader, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT mirror.record_state('clean', 'laps', 9, 1, 'swap', '{id}')")
    with psycopg.connect(seeded.admin) as conn:
        callers = conn.execute(
            "SELECT DISTINCT p.proname, coalesce(r.rolname, 'PUBLIC') FROM pg_proc p "
            "CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a "
            "LEFT JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE p.pronamespace = 'mirror'::regnamespace AND p.prosecdef ORDER BY 1, 2"
        ).fetchall()
    assert callers == [
        (name, role)
        for name in ("add_columns", "create_stage", "record_state", "swap_stage")
        for role in ("pitwall_loader", "pitwall_owner")
    ]


def test_every_type_the_mirror_maps_to_is_accepted(pg: PgDatabase) -> None:
    types = [*SCALAR_OIDS, *(f"{t}[]" for t in SCALAR_OIDS), "numeric(20,0)", "numeric(38,9)[]"]
    types += [pg_type_of(dtype) for dtype in (pl.Decimal(12, 2), pl.UInt64, pl.List(pl.Int32))]
    names = [f"c{i}" for i in range(len(types))]
    with psycopg.connect(pg.loader) as conn:
        conn.execute("SELECT mirror.create_stage('raw', 't__pitwall_new', %s, %s)", (names, types))
        created = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'raw.t__pitwall_new'::regclass AND attnum > 0 ORDER BY attnum"
        ).fetchall()
    assert [t for (t,) in created] == types
