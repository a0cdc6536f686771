"""Lake tables: the listing, one table's description, and pages of its rows."""

from __future__ import annotations

from typing import Annotated

import orjson
import polars as pl
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from api.deps import Format, LakeCursor, LayerCursor, LayerSnapshot, Reader, ReadersDep
from api.formats import MEDIA_TYPES, frame_bytes, frame_response, row_response, tabular_content
from api.models import Layer, RowsPagePublic, TablePublic
from api.paging import (
    DEFAULT_LIMIT,
    CursorParam,
    FilterParam,
    LimitParam,
    SortParam,
    read_page,
)
from api.params import parse_columns
from api.problems import AUTH_PROBLEMS, problem_responses
from pitwall.queries import read_table_list

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
    },
    summary="Read a page of rows",
)
def read_table_rows(
    _: Reader,
    db: LayerCursor,
    snapshot: LayerSnapshot,
    request: Request,
    fmt: Format,
    layer: Layer,
    name: TableName,
    columns: Annotated[
        str | None, Query(max_length=4000, description="comma-separated columns; all if absent")
    ] = None,
    filter: FilterParam = [],  # noqa: B006 - FastAPI copies query defaults
    sort: SortParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    cursor: CursorParam = None,
) -> Response:
    """Rows of one table: select columns, filter, sort, paginate (never raw SQL).

    Without `sort`, pages follow table order and the cursor carries an offset; with `sort`,
    pagination is by keyset (the cursor carries the last row's sort key), stable under
    concurrent appends.
    """
    page = read_page(
        db,
        layer=layer,
        table=name,
        columns=parse_columns(columns),
        filters=filter,
        sort=sort,
        limit=limit,
        offset=offset,
        cursor=cursor,
        schema=snapshot.columns(layer, name),
    )
    next_cursor = page.next_cursor
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
            "offset": page.offset,
            "next_cursor": next_cursor,
        }
    )
    body = envelope[:-1] + b',"items":' + frame_bytes(page.rows, fmt="json") + b"}"
    return Response(body, media_type=MEDIA_TYPES["json"])
