"""SQL over the lake with DuckDB."""

from pitwall.sql.catalog import RegisteredTable, connect, register_lake_views

__all__ = ["RegisteredTable", "connect", "register_lake_views"]
