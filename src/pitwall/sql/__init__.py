"""SQL over the lake with DuckDB, sandboxed for users."""

from pitwall.sql.catalog import RegisteredTable, connect, lake_paths, register_lake_views
from pitwall.sql.sandboxing import (
    ReadOnlyQueryError,
    SandboxLimits,
    is_sandboxed,
    require_read_only,
    sandbox,
)

__all__ = [
    "ReadOnlyQueryError",
    "RegisteredTable",
    "SandboxLimits",
    "connect",
    "is_sandboxed",
    "lake_paths",
    "register_lake_views",
    "require_read_only",
    "sandbox",
]
