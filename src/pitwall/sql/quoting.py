"""SQL quoting for the few statements that cannot use bound parameters (DDL, table functions)."""

from __future__ import annotations

from collections.abc import Iterable


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A single-quoted SQL string literal (embedded quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def quote_list(values: Iterable[str]) -> str:
    """A DuckDB list literal of strings: ``['a', 'b']``."""
    return "[" + ", ".join(quote_literal(v) for v in values) + "]"
