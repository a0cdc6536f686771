"""A page of rows of any catalog table: column selection, filters, sorting, pagination.

Safe by construction: identifiers are checked against the table's schema and quoted, values are
parsed to the column's type and bound as parameters. No caller text reaches the SQL verbatim.

Pagination:
- without a sort, rows come in table order (DuckDB preserves insertion order) with ``offset``;
- with a sort, the order is made total by appending every other scalar column as a
  tie-breaker, and ``after`` (the key of the last row seen) pages by keyset. Rows identical in
  all scalar columns cannot be told apart; lake tables do not hold such rows (RAW rows carry
  their batch and source row, CLEAN rows are deduplicated by natural key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame, quote_ident, table_ref
from pitwall.queries.schema import Column, read_columns
from pitwall.queries.values import QueryError, Scalar, parse_value

FilterOp = Literal["eq", "lt", "gt", "in", "between"]
FILTER_OPS: tuple[FilterOp, ...] = get_args(FilterOp)
MAX_IN_VALUES = 100
MAX_FILTERS = 20
_ARITY: dict[FilterOp, tuple[int, int]] = {
    "eq": (1, 1),
    "lt": (1, 1),
    "gt": (1, 1),
    "in": (1, MAX_IN_VALUES),
    "between": (2, 2),
}
_COMPARATOR = {"eq": "=", "lt": "<", "gt": ">"}


@dataclass(frozen=True)
class RowFilter:
    """``column op values``; values are raw text (query string) or JSON scalars."""

    column: str
    op: FilterOp
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class SortKey:
    column: str
    descending: bool = False


@dataclass(frozen=True)
class RowsPage:
    """One page: its rows, whether more follow, and the keyset key of its last row.

    ``order`` is the complete order used (the requested sort plus tie-breakers); ``last_key``
    holds the last row's values of those columns, to pass back as ``after``.
    """

    rows: pl.DataFrame
    has_more: bool
    order: tuple[SortKey, ...]
    last_key: tuple[object, ...] | None


class _Params:
    """Collects bound parameters under generated names."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def add(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def read_rows(
    con: Connection,
    *,
    layer: str,
    table: str,
    columns: Sequence[str] = (),
    filters: Sequence[RowFilter] = (),
    sort: Sequence[SortKey] = (),
    limit: int = 100,
    offset: int = 0,
    after: Sequence[Scalar] | None = None,
    schema: Sequence[Column] | None = None,
) -> RowsPage:
    """A page of ``layer.table``.

    Args:
        con: DuckDB connection/cursor (or a frame-reader adapter).
        layer: ``raw``, ``clean`` or ``quarantine``.
        table: table name within the layer.
        columns: columns to return, all when empty.
        filters: conditions, all of which must hold.
        sort: requested order; switches on keyset pagination.
        limit: page size.
        offset: rows to skip (after the keyset position when ``after`` is given).
        after: the ``last_key`` of the previous page, for keyset pagination.
        schema: the table's columns if the caller has them cached (else they are read).

    Raises:
        TableNotFoundError: unknown table.
        QueryError: unknown column, non-scalar column in a filter/sort, bad value or arity.
    """
    if limit < 1 or offset < 0:
        raise QueryError("limit must be positive and offset non-negative")
    known = {c.name: c for c in (schema or read_columns(con, layer=layer, table=table))}
    selected = _select(columns, known)
    params = _Params()
    where = [_condition(f, known, params) for f in _checked_filters(filters)]
    order = _total_order(sort, known) if (sort or after is not None) else ()
    if after is not None:
        where.append(_after_condition(order, after, known, params))
    fetched = selected + [k.column for k in order if k.column not in selected]

    # `*` when every column is wanted in table order: DuckDB binds it faster than a list
    projection = "*" if fetched == list(known) else ", ".join(quote_ident(c) for c in fetched)
    sql = f"SELECT {projection} FROM {table_ref(layer, table)}"  # nosec B608
    if where:
        sql += " WHERE " + " AND ".join(where)
    if order:
        sql += " ORDER BY " + ", ".join(
            f"{quote_ident(k.column)} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in order
        )
    sql += f" LIMIT {params.add(limit + 1)} OFFSET {params.add(offset)}"
    frame = fetch_frame(con, sql, params.values)

    has_more = frame.height > limit
    frame = frame.head(limit)
    last_key = None
    if order and frame.height:
        last = frame.row(frame.height - 1, named=True)
        last_key = tuple(last[k.column] for k in order)
    if frame.columns != selected:
        frame = frame.select(selected)
    return RowsPage(frame, has_more, order, last_key)


def _select(columns: Sequence[str], schema: dict[str, Column]) -> list[str]:
    if not columns:
        return list(schema)
    unknown = [c for c in columns if c not in schema]
    if unknown:
        raise QueryError(f"unknown columns {unknown}; the table has {list(schema)}")
    return list(dict.fromkeys(columns))


def _scalar_column(name: str, schema: dict[str, Column], *, purpose: str) -> Column:
    column = schema.get(name)
    if column is None:
        raise QueryError(f"unknown column {name!r} in {purpose}")
    if column.kind is None:
        raise QueryError(f"column {name!r} ({column.sql_type}) cannot be used in {purpose}")
    return column


def _checked_filters(filters: Sequence[RowFilter]) -> Sequence[RowFilter]:
    if len(filters) > MAX_FILTERS:
        raise QueryError(f"at most {MAX_FILTERS} filters")
    return filters


def _condition(flt: RowFilter, schema: dict[str, Column], params: _Params) -> str:
    column = _scalar_column(flt.column, schema, purpose="a filter")
    if flt.op not in _ARITY:
        raise QueryError(f"unknown operator {flt.op!r}; use one of {FILTER_OPS}")
    low, high = _ARITY[flt.op]
    if not low <= len(flt.values) <= high:
        raise QueryError(f"operator {flt.op!r} takes {low}..{high} values")
    values = [parse_value(v, column) for v in flt.values]
    if any(v is None for v in values):
        raise QueryError("filter values cannot be null")
    ident = quote_ident(column.name)
    if flt.op == "in":
        return f"{ident} IN ({', '.join(params.add(v) for v in values)})"
    if flt.op == "between":
        return f"{ident} BETWEEN {params.add(values[0])} AND {params.add(values[1])}"
    return f"{ident} {_COMPARATOR[flt.op]} {params.add(values[0])}"


def _total_order(sort: Sequence[SortKey], schema: dict[str, Column]) -> tuple[SortKey, ...]:
    seen: set[str] = set()
    order: list[SortKey] = []
    for key in sort:
        _scalar_column(key.column, schema, purpose="a sort")
        if key.column in seen:
            raise QueryError(f"column {key.column!r} appears twice in the sort")
        seen.add(key.column)
        order.append(key)
    order += [SortKey(c.name) for c in schema.values() if c.kind and c.name not in seen]
    return tuple(order)


def _after_condition(
    order: Sequence[SortKey], after: Sequence[Scalar], schema: dict[str, Column], params: _Params
) -> str:
    """Rows strictly after the key ``after`` in ``order`` (NULLS LAST in both directions)."""
    if len(after) != len(order):
        raise QueryError("the cursor does not match this table's sort")
    values = [parse_value(v, schema[k.column]) for k, v in zip(order, after, strict=True)]
    alternatives: list[str] = []
    equal_so_far: list[str] = []
    for key, value in zip(order, values, strict=True):
        ident = quote_ident(key.column)
        if value is None:
            # Nothing sorts after NULL within this key (NULLS LAST): only ties continue.
            equal_so_far.append(f"{ident} IS NULL")
            continue
        placeholder = params.add(value)
        beyond = f"({ident} {'<' if key.descending else '>'} {placeholder} OR {ident} IS NULL)"
        alternatives.append("(" + " AND ".join([*equal_so_far, beyond]) + ")")
        equal_so_far.append(f"{ident} = {placeholder}")
    return "(" + (" OR ".join(alternatives) or "1 = 0") + ")"
