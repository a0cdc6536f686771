"""One page of a table's rows from the list parameters (filters, sort, keyset cursor), as the
rows endpoint and the reference lists serve them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import polars as pl
from fastapi import Query

from api.params import (
    FILTER_SYNTAX,
    keyset_cursor,
    offset_cursor,
    page_position,
    parse_filter,
    sort_text,
)
from api.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from pitwall.queries import read_rows
from pitwall.queries.frames import Connection
from pitwall.queries.schema import Column

FilterParam = Annotated[
    list[str], Query(max_length=20, description=f"repeatable filter: {FILTER_SYNTAX}")
]
SortParam = Annotated[
    str | None, Query(max_length=2000, description="comma-separated columns, `-` for descending")
]
LimitParam = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
CursorParam = Annotated[
    str | None, Query(max_length=8000, description="`next_cursor` of the previous page")
]
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class Page:
    rows: pl.DataFrame
    offset: int
    next_cursor: str | None


def read_page(
    db: Connection,
    *,
    layer: str,
    table: str,
    columns: Sequence[str] = (),
    filters: Sequence[str] = (),
    sort: str | None = None,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
    schema: Sequence[Column] | None = None,
) -> Page:
    """Without ``sort`` pages carry an offset; with it, pages go by keyset (the cursor holds
    the last row's sort key), stable under concurrent appends.

    Raises:
        QueryError: bad parameters or a cursor made for another sort.
    """
    sort_keys, offset, after = page_position(sort, offset=offset, cursor=cursor)
    page = read_rows(
        db,
        layer=layer,
        table=table,
        columns=columns,
        filters=[parse_filter(f) for f in filters],
        sort=sort_keys,
        limit=limit,
        offset=offset,
        after=after,
        schema=schema,
    )
    next_cursor = None
    if page.has_more:
        if sort_keys and page.last_key is not None:
            next_cursor = keyset_cursor(sort_text(sort_keys), page.last_key)
        else:
            next_cursor = offset_cursor(offset + limit)
    return Page(page.rows, offset, next_cursor)
