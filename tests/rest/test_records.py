"""Pages -> RAW columns: the per-page columns equal the per-record definitions that RAW tables
already hold (canonical JSON, blake2b hash, cursor text), so earlier lakes stay comparable."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import polars as pl
import pytest

from pitwall.lake.ingest import METADATA_COLUMNS
from pitwall.rest.client import FetchedPage
from pitwall.rest.records import (
    RAW_SCHEMA,
    RawPage,
    cursor_value,
    keep_new,
    raw_page,
    raw_rows,
    record_rows,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)
TRICKY: list[dict[str, Any]] = [
    {"id": "a", "updated_at": "2025-03-01T10:00:00Z", "z": 1, "b": {"y": [1, 2], "x": None}},
    {"updated_at": "2025-03-01T10:00:00Z", "id": "b", "text": 'quote " and \\ and },{'},
    {"id": "c", "updated_at": 17, "name": "Zoë ☃ 東京", "emoji": "🏁", "ctrl": "a\nb\t\u0001"},
    {"id": "d", "updated_at": None, "big": 12345678901234567890, "f": 1.5e-7},
    {"id": "e", "flag": True, "nested": {"at": "2025-03-02"}},  # no cursor field
    {"id": "f", "updated_at": True, "empty": {}, "list": []},
    {},
]


def reference(records: list[dict[str, Any]], field: str | None) -> dict[str, list[Any]]:
    """RAW's per-record definitions: sorted-keys orjson text, blake2b-96 hex, str(cursor)."""
    texts = [orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in records]
    return {
        "record": [t.decode() for t in texts],
        "record_hash": [hashlib.blake2b(t, digest_size=12).hexdigest() for t in texts],
        "cursor_value": [cursor_value(r, field) for r in records],
    }


@pytest.mark.parametrize("field", ["updated_at", "nested.at", None])
def test_record_rows_equal_the_per_record_definitions(field: str | None) -> None:
    rows = record_rows(TRICKY, cursor_field=field)
    assert rows.schema == {k: RAW_SCHEMA[k] for k in ("record", "record_hash", "cursor_value")}
    assert rows.to_dict(as_series=False) == reference(TRICKY, field)


def test_cursor_text_of_each_json_type() -> None:
    values = record_rows(TRICKY, cursor_field="updated_at")["cursor_value"].to_list()
    at = "2025-03-01T10:00:00Z"
    assert values == [at, at, "17", None, None, "True", None]
    nested = record_rows(TRICKY, cursor_field="nested.at")["cursor_value"].to_list()
    assert nested == [None, None, None, None, "2025-03-02", None, None]


def test_record_text_is_canonical() -> None:
    same = record_rows([{"a": 1, "b": 2}, {"b": 2, "a": 1}], cursor_field=None)
    assert same["record"].to_list() == ['{"a":1,"b":2}'] * 2
    assert same["record_hash"].n_unique() == 1
    assert same["record_hash"].str.len_chars().to_list() == [24, 24]


def test_empty_page() -> None:
    rows = record_rows([], cursor_field="updated_at")
    assert rows.height == 0
    assert rows.schema == {k: RAW_SCHEMA[k] for k in ("record", "record_hash", "cursor_value")}


def page(number: int, records: list[dict[str, Any]]) -> RawPage:
    fetched = FetchedPage(
        "src",
        "ep",
        number,
        f"http://127.0.0.1/v1/ep?page={number}",
        T0 + timedelta(seconds=number),
        records,
        endpoint_url="http://127.0.0.1/v1/ep",
        cursor_field="updated_at",
    )
    return raw_page(fetched)


def test_keep_new_drops_known_hashes_and_keeps_order() -> None:
    p = page(1, TRICKY)
    hashes = p.rows["record_hash"].to_list()
    assert keep_new(p, set()) is p
    assert keep_new(p, {"not-a-hash"}) is p
    kept = keep_new(p, {hashes[0], hashes[3]})
    expected = [h for i, h in enumerate(hashes) if i not in (0, 3)]
    assert kept.rows["record_hash"].to_list() == expected
    assert (kept.number, kept.url, kept.requested_at) == (p.number, p.url, p.requested_at)
    assert keep_new(p, set(hashes)).size == 0


def test_raw_rows_spread_page_metadata_and_reach_the_last_cursor() -> None:
    first = [{"id": i, "updated_at": f"2025-03-01T10:00:0{i}Z"} for i in range(3)]
    second = [{"id": 3, "updated_at": "2025-03-01T10:00:05Z"}, {"id": 4}]
    pages = [page(1, first), page(2, second)]
    ingested = T0 + timedelta(hours=1)
    chunk = raw_rows(pages, source_url="http://127.0.0.1/v1/ep", ingested_at=ingested)
    rows = chunk.rows
    assert list(rows.schema.items()) == [
        *RAW_SCHEMA.items(),
        *((c, rows.schema[c]) for c in METADATA_COLUMNS),
    ]
    assert rows["endpoint"].to_list() == ["ep"] * 5
    assert rows["page"].to_list() == [1, 1, 1, 2, 2]
    assert rows["page_url"].to_list()[2:4] == [pages[0].url, pages[1].url]
    assert (
        rows["requested_at"].to_list() == [pages[0].requested_at] * 3 + [pages[1].requested_at] * 2
    )
    assert rows["_source_row"].to_list() == [1, 2, 3, 4, 5]
    assert rows["_batch_id"].unique().to_list() == [chunk.batch_id]
    assert rows["_ingested_at"].unique().to_list() == [ingested]
    assert rows.select("record", "record_hash", "cursor_value").to_dict(
        as_series=False
    ) == reference(first + second, "updated_at")
    # the last record has no cursor: the chunk reaches the last one that has
    assert chunk.cursor == "2025-03-01T10:00:05Z"
    again = raw_rows(pages, source_url="http://127.0.0.1/v1/ep", ingested_at=T0)
    assert again.batch_id == chunk.batch_id  # deterministic: a re-landed batch is recognised
    other = raw_rows(pages[:1], source_url="http://127.0.0.1/v1/ep", ingested_at=ingested)
    assert other.batch_id != chunk.batch_id


def test_raw_rows_without_cursor_values() -> None:
    chunk = raw_rows([page(1, [{"id": 1}, {"id": 2}])], source_url="http://x/v1/ep", ingested_at=T0)
    assert chunk.cursor is None
    assert chunk.rows["cursor_value"].null_count() == 2
    assert pl.Series(chunk.rows["record"]).to_list() == ['{"id":1}', '{"id":2}']
