"""Tables listing and the rows endpoint over HTTP: formats, pagination, safety."""

from __future__ import annotations

import io

import httpx
import polars as pl
import pytest
from pydantic import TypeAdapter

from api.models import RowsPagePublic, TablePublic
from tests.queries.ac_lake import GAME_LAP1_SAMPLES, GAME_LAP2_SAMPLES, LAPS

TELEMETRY_ROWS = GAME_LAP1_SAMPLES + GAME_LAP2_SAMPLES


def test_table_list(client: httpx.Client) -> None:
    response = client.get("/tables")
    assert response.status_code == 200
    tables = TypeAdapter(list[TablePublic]).validate_json(response.content)
    by_name = {(t.layer, t.name): t for t in tables}
    assert by_name["clean", "ac_telemetry"].rows == TELEMETRY_ROWS
    assert by_name["quarantine", "csv_laps"].version == 1
    assert "lap_time_ms" in [c.name for c in by_name["clean", "ac_laps"].columns]


def test_describe_table(client: httpx.Client) -> None:
    table = TablePublic.model_validate_json(client.get("/tables/clean/ac_laps").content)
    assert (table.layer, table.name, table.rows) == ("clean", "ac_laps", len(LAPS))
    assert client.get("/tables/clean/nope").status_code == 404


def test_table_list_as_csv_and_parquet(client: httpx.Client) -> None:
    csv = client.get("/tables", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pl.read_csv(io.BytesIO(csv.content))
    assert "ac_laps" in frame.get_column("name").to_list()
    parquet = client.get("/tables", headers={"Accept": "application/vnd.apache.parquet"})
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert pl.read_parquet(io.BytesIO(parquet.content)).height == 7


def rows(client: httpx.Client, table: str = "ac_laps", **params: object) -> RowsPagePublic:
    response = client.get(f"/tables/clean/{table}/rows", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return RowsPagePublic.model_validate_json(response.content)


def test_rows_selection_filter_sort(client: httpx.Client) -> None:
    page = rows(
        client,
        columns="driver_name,lap_time_ms",
        filter=["session_id:eq:srv-1", "lap_time_ms:between:90000,92000"],
        sort="-lap_time_ms",
    )
    assert page.columns == ["driver_name", "lap_time_ms"]
    assert [(r["driver_name"], r["lap_time_ms"]) for r in page.items] == [
        ("Bob", 92_000),
        ("Alice", 91_000),
        ("Alice", 90_100),
        ("Bob", 90_000),
    ]
    assert page.next_cursor is None


def test_rows_in_and_comparison_filters(client: httpx.Client) -> None:
    page = rows(client, filter=["driver_name:in:Carol,Bob", "valid:eq:true", "lap_number:gt:1"])
    # Carol's game laps have valid = NULL: neither true nor false
    assert sorted((r["driver_name"], r["lap_number"]) for r in page.items) == [
        ("Bob", 2),
        ("Bob", 3),
    ]
    assert rows(client, filter=["completed_at:lt:2024-05-02T00:00:00Z"]).items[0]["session_id"] == (
        "game-1"
    )


@pytest.mark.parametrize("sort", [None, "ts", "-speed_kmh,ts"])
def test_rows_cursor_walks_the_whole_table(client: httpx.Client, sort: str | None) -> None:
    seen: list[str] = []
    params: dict[str, object] = {"limit": 400, "columns": "ts,lap_number"}
    if sort:
        params["sort"] = sort
    for _ in range(10):
        page = rows(client, "ac_telemetry", **params)
        seen += [f"{r['lap_number']}@{r['ts']}" for r in page.items]
        if page.next_cursor is None:
            break
        params["cursor"] = page.next_cursor
    assert len(seen) == len(set(seen)) == TELEMETRY_ROWS


def test_rows_offset_pagination(client: httpx.Client) -> None:
    first = rows(client, limit=3)
    second = rows(client, limit=3, offset=3)
    third = rows(client, limit=3, offset=6)
    everything = rows(client, limit=100)
    assert first.items + second.items + third.items == everything.items
    assert third.next_cursor is None


def test_rows_csv_carries_the_next_cursor(client: httpx.Client) -> None:
    response = client.get(
        "/tables/clean/ac_laps/rows", params={"format": "csv", "limit": 5, "sort": "lap_time_ms"}
    )
    assert response.status_code == 200
    first = pl.read_csv(io.BytesIO(response.content))
    assert first.height == 5
    next_url = response.links["next"]["url"]
    assert "sort=lap_time_ms" in next_url
    rest = pl.read_csv(io.BytesIO(client.get(next_url).content))
    times = first.get_column("lap_time_ms").to_list() + rest.get_column("lap_time_ms").to_list()
    assert times == sorted(ms for *_, ms, _cuts, _valid, _top in LAPS)


def test_rows_parquet(client: httpx.Client) -> None:
    response = client.get("/tables/clean/ac_telemetry/rows", params={"format": "parquet"})
    frame = pl.read_parquet(io.BytesIO(response.content))
    assert frame.height == 100
    assert frame.schema["ts"] == pl.Datetime("us", "UTC")


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "lap_time_ms:lt:1 OR 1=1"},
        {"filter": "lap_time_ms;DROP TABLE x:eq:1"},
        {"filter": 'session_id" OR "1"="1:eq:x'},
        {"filter": "session_id:like:%"},
        {"filter": "session_id"},
        {"columns": "session_id,(SELECT 1)"},
        {"sort": "lap_time_ms; DROP TABLE clean.ac_laps"},
        {"limit": 1001},
        {"limit": 0},
        {"cursor": "not-a-cursor"},
        {"cursor": "eyJhZnRlciI6WzFdLCJzb3J0IjoiLWxhcF90aW1lX21zIn0", "sort": "car_id"},
        {"cursor": "eyJvZmZzZXQiOjN9", "offset": 2},
    ],
)
def test_rows_bad_requests_are_problems(client: httpx.Client, params: dict) -> None:
    response = client.get("/tables/clean/ac_laps/rows", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert rows(client, limit=1000).items.__len__() == len(LAPS)


def test_injected_values_match_nothing(client: httpx.Client) -> None:
    for value in ("' OR '1'='1", "srv-1' --", 'srv-1"; DROP TABLE clean.ac_laps; --'):
        assert rows(client, filter=[f"session_id:eq:{value}"]).items == []
    assert len(rows(client).items) == len(LAPS)


@pytest.mark.parametrize("path", ["/tables/clean/nope/rows", "/tables/raw/ac_laps/rows"])
def test_unknown_table_is_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_unknown_layer_is_422(client: httpx.Client) -> None:
    assert client.get("/tables/secret/ac_laps/rows").status_code == 422


def test_a_single_valued_parameter_given_twice_is_a_problem(client: httpx.Client) -> None:
    response = client.get("/tables/clean/ac_laps/rows", params=[("limit", 1), ("limit", 2)])
    assert response.status_code == 422, response.text
    assert "limit" in response.json()["detail"]
    repeatable = [("filter", "car_id:gt:-1"), ("filter", "car_id:lt:99"), ("limit", 1000)]
    response = client.get("/tables/clean/ac_laps/rows", params=repeatable)
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == len(LAPS)
