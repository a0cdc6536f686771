"""Lake tables: the listing, one table's description, and pages of its rows."""

from __future__ import annotations

from contextlib import closing
from functools import partial
from typing import Annotated

import duckdb
import orjson
import polars as pl
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from api.deps import Format, LakeCursor, LayerCursor, LayerSnapshot, Reader, ReadersDep
from api.formats import MEDIA_TYPES, frame_bytes, frame_response, row_response, tabular_content
from api.models import Layer, RowsPagePublic, TablePublic
from api.params import (
    FILTER_SYNTAX,
    keyset_cursor,
    offset_cursor,
    page_position,
    parse_columns,
    parse_filter,
    sort_text,
)
from api.problems import AUTH_PROBLEMS, problem_responses
from api.readers import Readers
from api.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from pitwall.lake.timetravel import VersionUnavailableError, parse_as_of
from pitwall.queries import QueryError, read_rows, read_table_list

router = APIRouter(prefix="/tables", tags=["tables"], responses=AUTH_PROBLEMS)
TableName = Annotated[str, Path(min_length=1, max_length=200, description="table name")]
_PROBLEMS = problem_responses(404)


@router.get(
    "",
    response_model=list[TablePublic],
    responses={200: {"content": tabular_content()}, **_PROBLEMS},
    summary="List the lake tables",
)
def list_tables(_: Reader, db: LakeCursor, readers: ReadersDep, fmt: Format) -> Response:
    """Every table of every layer with its schema, row count, Delta version and last update."""
    return frame_response(read_table_list(db, lake=readers.lake.lake), fmt=fmt)


@router.get(
    "/{layer}/{name}",
    response_model=TablePublic,
    responses=_PROBLEMS,
    summary="Describe one table",
)
def describe_table(
    _: Reader, db: LakeCursor, readers: ReadersDep, layer: Layer, name: TableName
) -> Response:
    tables = read_table_list(db, lake=readers.lake.lake)
    match = tables.filter((pl.col("layer") == layer) & (pl.col("name") == name))
    if match.is_empty():
        raise HTTPException(404, f"table {layer}.{name} does not exist")
    return row_response(match)


@router.get(
    "/{layer}/{name}/rows",
    response_model=RowsPagePublic,
    responses={
        200: {
            "content": tabular_content(),
            "description": "A page of rows; for CSV/Parquet the next cursor is in `Link`.",
        },
        **_PROBLEMS,
        **problem_responses(410),
    },
    summary="Read a page of rows",
)
def read_table_rows(
    _: Reader,
    db: LayerCursor,
    snapshot: LayerSnapshot,
    readers: ReadersDep,
    request: Request,
    fmt: Format,
    layer: Layer,
    name: TableName,
    columns: Annotated[
        str | None, Query(max_length=4000, description="comma-separated columns; all if absent")
    ] = None,
    filter: Annotated[
        list[str], Query(max_length=20, description=f"repeatable filter: {FILTER_SYNTAX}")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    sort: Annotated[
        str | None,
        Query(max_length=2000, description="comma-separated columns, `-` for descending"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    cursor: Annotated[
        str | None, Query(max_length=8000, description="`next_cursor` of the previous page")
    ] = None,
    as_of: Annotated[
        str | None,
        Query(
            max_length=64,
            description="time travel: a Delta version number or an ISO 8601 timestamp "
            "(410 when that version was vacuumed away)",
        ),
    ] = None,
) -> Response:
    """Rows of one table: select columns, filter, sort, paginate (never raw SQL).

    Without `sort`, pages follow table order and the cursor carries an offset; with `sort`,
    pagination is by keyset (the cursor carries the last row's sort key), stable under
    concurrent appends. With `as_of`, the table is read as of that version or time, always
    from the lake.
    """
    sort_keys, offset, after = page_position(sort, offset=offset, cursor=cursor)
    read_page = partial(
        read_rows,
        layer=layer,
        table=name,
        columns=parse_columns(columns),
        filters=[parse_filter(f) for f in filter],
        sort=sort_keys,
        limit=limit,
        offset=offset,
        after=after,
    )
    if as_of is None:
        page = read_page(db, schema=snapshot.columns(layer, name))
    else:
        with closing(_connect_as_of(readers, layer=layer, name=name, as_of=as_of)) as past:
            page = read_page(past)
    next_cursor = None
    if page.has_more:
        if sort_keys and page.last_key is not None:
            next_cursor = keyset_cursor(sort_text(sort_keys), page.last_key)
        else:
            next_cursor = offset_cursor(offset + limit)
    if fmt != "json":
        headers = None
        if next_cursor:
            url = request.url.remove_query_params("offset").include_query_params(cursor=next_cursor)
            headers = {"X-Next-Cursor": next_cursor, "Link": f'<{url}>; rel="next"'}
        return frame_response(page.rows, fmt=fmt, headers=headers)
    envelope = orjson.dumps(
        {
            "layer": layer,
            "table": name,
            "columns": page.rows.columns,
            "limit": limit,
            "offset": offset,
            "next_cursor": next_cursor,
        }
    )
    body = envelope[:-1] + b',"items":' + frame_bytes(page.rows, fmt="json") + b"}"
    return Response(body, media_type=MEDIA_TYPES["json"])


def _connect_as_of(
    readers: Readers, *, layer: str, name: str, as_of: str
) -> duckdb.DuckDBPyConnection:
    """One table as of ``as_of``: 422 when it does not parse, 410 when it was vacuumed away,
    404 when the table has no such version."""
    try:
        moment = parse_as_of(as_of)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
    try:
        return readers.lake.connect_as_of(layer, name, as_of=moment)
    except VersionUnavailableError as exc:
        raise HTTPException(410 if exc.gone else 404, str(exc)) from exc
