"""Fixtures of the PostgreSQL tests (see :mod:`tests.postgres.fixtures`)."""

from tests.postgres.fixtures import embedded_home, embedded_server, pg, pg_server, role_passwords

__all__ = ["embedded_home", "embedded_server", "pg", "pg_server", "role_passwords"]
