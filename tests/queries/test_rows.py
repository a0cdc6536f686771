"""Generic paging of any table: selection, filters, sorting, keyset/offset pagination, safety."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from pitwall.lake.delta import write_table
from pitwall.lake.layout import get_lake
from pitwall.queries import (
    QueryError,
    RowFilter,
    SortKey,
    TableNotFoundError,
    read_rows,
    to_json_scalar,
)
from pitwall.sql import connect

N = 57
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def paging_frame() -> pl.DataFrame:
    """Ties and NULLs in every sortable column but ``id``; a nested column."""
    return pl.DataFrame(
        {
            "id": list(range(N)),
            "grp": [None if i % 7 == 0 else f"g{i % 4}" for i in range(N)],
            "score": [None if i % 5 == 0 else float(i % 6) for i in range(N)],
            "at": [T0 + timedelta(hours=i % 3) for i in range(N)],
            "flag": [i % 2 == 0 for i in range(N)],
            "tags": [[f"t{i}"] for i in range(N)],
        },
        schema_overrides={"id": pl.Int64, "at": pl.Datetime("us", "UTC")},
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    lake = get_lake(str(tmp_path_factory.mktemp("paging")))
    write_table(paging_frame(), lake.table_uri("clean", "paging"))
    con = connect(lake)
    yield con
    con.close()


def ids(frame: pl.DataFrame) -> list[int]:
    return frame.get_column("id").to_list()


def page_through(con: duckdb.DuckDBPyConnection, *, sort: list[SortKey], size: int) -> list[int]:
    seen: list[int] = []
    after = None
    for _ in range(N + 1):  # bounded
        page = read_rows(con, layer="clean", table="paging", sort=sort, limit=size, after=after)
        seen += ids(page.rows)
        if not page.has_more:
            return seen
        assert page.last_key is not None
        after = [to_json_scalar(v) for v in page.last_key]  # as a cursor would carry it
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize(
    "sort",
    [
        [SortKey("score", descending=True), SortKey("grp")],
        [SortKey("grp", descending=True)],
        [SortKey("at"), SortKey("flag", descending=True)],
        [SortKey("id", descending=True)],
    ],
)
@pytest.mark.parametrize("size", [1, 7, 100])
def test_keyset_pages_cover_every_row_once_in_order(
    db: duckdb.DuckDBPyConnection, sort: list[SortKey], size: int
) -> None:
    seen = page_through(db, sort=sort, size=size)
    expected = paging_frame().sort(
        [k.column for k in sort] + ["id"],
        descending=[k.descending for k in sort] + [False],
        nulls_last=True,
    )
    # the tie-breakers after the requested keys are the other columns in table order
    assert sorted(seen) == list(range(N))
    assert len(seen) == N
    got = paging_frame().join(pl.DataFrame({"id": seen}).with_row_index("pos"), on="id")
    got = got.sort("pos")
    for key in sort:
        assert got.get_column(key.column).to_list() == expected.get_column(key.column).to_list()


def test_offset_pages_follow_table_order(db: duckdb.DuckDBPyConnection) -> None:
    seen = []
    for offset in range(0, N, 10):
        page = read_rows(db, layer="clean", table="paging", limit=10, offset=offset)
        seen += ids(page.rows)
        assert page.has_more == (offset + 10 < N)
        assert page.last_key is None
    assert seen == list(range(N))


def test_column_selection_keeps_requested_order(db: duckdb.DuckDBPyConnection) -> None:
    page = read_rows(db, layer="clean", table="paging", columns=["score", "id"], limit=3)
    assert page.rows.columns == ["score", "id"]
    sorted_page = read_rows(
        db, layer="clean", table="paging", columns=["grp"], sort=[SortKey("id")], limit=2
    )
    assert sorted_page.rows.columns == ["grp"]  # sort columns fetched but not returned
    assert sorted_page.last_key is not None and sorted_page.last_key[0] == 1


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (RowFilter("id", "eq", ("3",)), [3]),
        (RowFilter("id", "lt", ("3",)), [0, 1, 2]),
        (RowFilter("id", "gt", ("54",)), [55, 56]),
        (RowFilter("id", "in", ("5", "1", "99")), [1, 5]),
        (RowFilter("id", "between", ("10", "12")), [10, 11, 12]),
        (RowFilter("grp", "eq", ("g1",)), [i for i in range(N) if i % 4 == 1 and i % 7]),
        (RowFilter("flag", "eq", ("true",)), list(range(0, N, 2))),
        (RowFilter("score", "gt", ("4.5",)), [i for i in range(N) if i % 6 == 5 and i % 5]),
        (
            RowFilter("at", "eq", ("2024-01-01T02:00:00+00:00",)),
            [i for i in range(N) if i % 3 == 2],
        ),
        (RowFilter("at", "lt", ("2024-01-01T01:00:00",)), list(range(0, N, 3))),
    ],
)
def test_filters(db: duckdb.DuckDBPyConnection, flt: RowFilter, expected: list[int]) -> None:
    page = read_rows(db, layer="clean", table="paging", filters=[flt], limit=1000)
    assert sorted(ids(page.rows)) == expected


def test_filters_combine_with_and(db: duckdb.DuckDBPyConnection) -> None:
    filters = [RowFilter("id", "lt", ("20",)), RowFilter("flag", "eq", ("false",))]
    page = read_rows(db, layer="clean", table="paging", filters=filters, limit=100)
    assert ids(page.rows) == list(range(1, 20, 2))


INJECTIONS = [
    "' OR '1'='1",
    "g1'; DROP TABLE clean.paging; --",
    'g1" OR 1=1 --',
    "g1\\' OR 1=1",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_values_are_bound_not_spliced(db: duckdb.DuckDBPyConnection, value: str) -> None:
    page = read_rows(db, layer="clean", table="paging", filters=[RowFilter("grp", "eq", (value,))])
    assert page.rows.is_empty()
    assert read_rows(db, layer="clean", table="paging", limit=1000).rows.height == N


@pytest.mark.parametrize(
    "kwargs",
    [
        {"columns": ['id", (SELECT 1) AS "x']},
        {"columns": ["id; DROP TABLE clean.paging"]},
        {"filters": [RowFilter('grp" = "grp" OR "1', "eq", ("x",))]},
        {"filters": [RowFilter("id", "eq", ("1 OR 1=1",))]},
        {"filters": [RowFilter("id", "in", ("1", "2) OR (1=1"))]},
        {"filters": [RowFilter("score", "lt", ("nan",))]},
        {"filters": [RowFilter("id", "eq", ("99999999999999999999999",))]},
        {"filters": [RowFilter("grp", "eq", ("a\x00b",))]},
        {"filters": [RowFilter("tags", "eq", ("t1",))]},  # nested: not filterable
        {"filters": [RowFilter("id", "between", ("1",))]},
        {"filters": [RowFilter("id", "like", ("1",))]},  # type: ignore[arg-type]
        {"sort": [SortKey("id DESC; --")]},
        {"sort": [SortKey("tags")]},
        {"sort": [SortKey("id"), SortKey("id")]},
        {"sort": [SortKey("id")], "after": ["1"]},  # wrong key length
        {"sort": [SortKey("id")], "after": ["x", None, None, None, None]},
        {"limit": 0},
    ],
)
def test_bad_requests_are_refused(db: duckdb.DuckDBPyConnection, kwargs: dict) -> None:
    with pytest.raises(QueryError):
        read_rows(db, layer="clean", table="paging", **kwargs)
    assert read_rows(db, layer="clean", table="paging", limit=1000).rows.height == N


@pytest.mark.parametrize(
    ("layer", "table"),
    [("clean", 'paging"; DROP TABLE clean.paging; --'), ('clean"."paging', "x"), ("raw", "paging")],
)
def test_unknown_tables(db: duckdb.DuckDBPyConnection, layer: str, table: str) -> None:
    with pytest.raises(TableNotFoundError):
        read_rows(db, layer=layer, table=table)
