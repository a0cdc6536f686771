"""The sandbox of every DuckDB connection that runs SQL for a user.

A user (the SQL explorer's query box, ``pitwall sql``, the read API) may read the lake's
tables and nothing else. :func:`sandbox` locks a connection down once its lake views exist:

- external access off: no file, URL, database or extension outside ``allowed_paths``, which are
  exactly the Parquet files of the snapshot the views read (not the lake's directory, so
  nothing new can be written into the lake and its Delta logs stay out of reach);
- extensions are never installed or loaded (autoinstall, autoload and community ones off);
- no replacement scans of the caller's Python variables;
- memory, threads and run time per query limited (:class:`SandboxLimits`), no spilling to disk;
- ``lock_configuration``: no ``SET`` can undo any of it.

DuckDB's allowed paths cannot be made read-only: ``COPY ... TO`` one of the snapshot's own
files (with ``USE_TMP_FILE false``) would overwrite it. So user SQL also goes through
:func:`require_read_only`, which admits ``SELECT`` (with ``DESCRIBE``, ``SHOW``, ``SUMMARIZE``,
``VALUES``) and ``EXPLAIN`` of those, and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pitwall.sql.quoting import quote_list, quote_literal

_EXPLAIN = re.compile(r"^\s*EXPLAIN\b(\s+ANALY[SZ]E\b)?(\s*\([^)]*\))?", re.IGNORECASE)
_READ_TYPES = {duckdb.StatementType.SELECT}


class SandboxLimits(BaseSettings):
    """Resource limits of a sandboxed connection (``PITWALL_SQL_*`` environment variables)."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_SQL_", extra="ignore")

    memory_limit: str = Field("2GB", pattern=r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$")
    threads: int = Field(2, ge=1, le=64)
    timeout_s: float = Field(120.0, gt=0, description="longest run time of one query")


class ReadOnlyQueryError(duckdb.PermissionException):
    """User SQL that is not a read query (COPY, ATTACH, INSERT, SET, ...)."""


def sandbox(
    con: duckdb.DuckDBPyConnection,
    *,
    allowed_paths: Iterable[str],
    limits: SandboxLimits | None = None,
) -> duckdb.DuckDBPyConnection:
    """Lock ``con`` down (see the module docstring) and return it.

    Call it once the views exist: afterwards no setting can change, so a connection cannot be
    pointed at new files; open a new one to follow new lake versions.
    """
    limits = limits or SandboxLimits()
    paths = sorted(set(allowed_paths))
    statements = [
        "SET GLOBAL autoinstall_known_extensions = false",
        "SET GLOBAL autoload_known_extensions = false",
        "SET GLOBAL allow_community_extensions = false",
        "SET GLOBAL python_enable_replacements = false",
        f"SET GLOBAL memory_limit = {quote_literal(limits.memory_limit)}",
        f"SET GLOBAL threads = {limits.threads}",
        f"SET GLOBAL max_execution_time = {max(1, round(limits.timeout_s * 1000))}",
        "SET GLOBAL temp_directory = ''",
        "SET GLOBAL allowed_directories = []",
        f"SET GLOBAL allowed_paths = {quote_list(paths)}",
        "SET GLOBAL enable_external_access = false",
        "SET GLOBAL lock_configuration = true",
    ]
    for statement in statements:
        con.execute(statement)
    return con


def is_sandboxed(con: duckdb.DuckDBPyConnection) -> bool:
    """True once :func:`sandbox` locked ``con``."""
    found = con.execute("SELECT current_setting('lock_configuration')").fetchall()
    return bool(found[0][0])


def require_read_only(sql: str, *, con: duckdb.DuckDBPyConnection) -> str:
    """``sql`` if every statement in it only reads; else :class:`ReadOnlyQueryError`.

    Raises:
        ReadOnlyQueryError: a statement that writes, attaches, loads, sets or calls.
        duckdb.ParserException: ``sql`` does not parse.
    """
    for statement in con.extract_statements(sql):
        _require_read_statement(statement, con=con)
    return sql


def _require_read_statement(statement: duckdb.Statement, *, con: duckdb.DuckDBPyConnection) -> None:
    if statement.type in _READ_TYPES:
        return
    if statement.type == duckdb.StatementType.EXPLAIN:
        explained = _EXPLAIN.sub("", statement.query, count=1)
        if explained != statement.query and explained.strip():
            for inner in con.extract_statements(explained):
                _require_read_statement(inner, con=con)
            return
    kind = statement.type.name
    raise ReadOnlyQueryError(f"only read queries (SELECT, EXPLAIN) run here; {kind} is refused")
