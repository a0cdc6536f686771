"""Pages -> RAW columns: each record's JSON as received (canonical for snapshot endpoints),
its hash, its cursor value; and "already in RAW" decided on canonical JSON, also for rows an
earlier version stored canonical."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from pitwall.lake.ingest import METADATA_COLUMNS
from pitwall.rest.client import FetchedPage
from pitwall.rest.decoding import PageDecoder
from pitwall.rest.records import (
    RAW_SCHEMA,
    RawPage,
    canonical_hash,
    canonical_json,
    keep_new,
    raw_page,
    raw_rows,
    record_rows,
)
from pitwall.rest.state import latest_cursor

T0 = datetime(2025, 3, 1, tzinfo=UTC)
AT = "2025-03-01T10:00:00Z"
SENT = [
    b'{"id": "a", "updated_at": "2025-03-01T10:00:00Z", "z": 1, "b": {"y": [1, 2], "x": null}}',
    b'{"updated_at":"2025-03-01T10:00:00Z","id":"b","text":"quote \\" and \\\\ and },{"}',
    b'{"id":"c","updated_at":17,"name":"Zo\\u00eb \xe2\x98\x83","f":1.5e-7}',
    b'{"id":"d","updated_at":null}',
    b'{"id":"e"}',
    b"{}",
]


def old_definition(text: bytes) -> tuple[str, str]:
    """What RAW held for a record before: sorted-keys orjson text and its blake2b-96 hex."""
    canonical = orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS)
    return canonical.decode(), hashlib.blake2b(canonical, digest_size=12).hexdigest()


def test_incremental_rows_keep_the_json_as_received() -> None:
    cursors = ["x", None, "17", None, None, None]
    rows = record_rows(SENT, cursors, canonical=False)
    assert rows.schema == {k: RAW_SCHEMA[k] for k in ("record", "record_hash", "cursor_value")}
    assert rows["record"].to_list() == [t.decode() for t in SENT]
    assert rows["record_hash"].to_list() == [
        hashlib.blake2b(t, digest_size=12).hexdigest() for t in SENT
    ]
    assert rows["cursor_value"].to_list() == cursors


def test_snapshot_rows_keep_canonical_json_hashed_as_before() -> None:
    rows = record_rows(SENT, None, canonical=True)
    assert list(zip(rows["record"], rows["record_hash"], strict=True)) == [
        old_definition(t) for t in SENT
    ]
    assert rows["cursor_value"].null_count() == len(SENT)


def test_canonical_hash_ignores_key_order_and_spacing() -> None:
    a, b = b'{"a": 1, "b": [1, {"d": 2, "c": 3}]}', b'{"b":[1,{"c":3,"d":2}],"a":1}'
    assert canonical_json(a) == canonical_json(b) == b'{"a":1,"b":[1,{"c":3,"d":2}]}'
    assert canonical_hash(a) == canonical_hash(b.decode()) == old_definition(a)[1]
    assert canonical_hash(a) != canonical_hash(b'{"a": 2, "b": [1, {"d": 2, "c": 3}]}')


def test_empty_page() -> None:
    rows = record_rows([], [], canonical=False)
    assert rows.height == 0
    assert rows.schema == {k: RAW_SCHEMA[k] for k in ("record", "record_hash", "cursor_value")}


def page(number: int, texts: list[bytes], *, cursor_field: str | None = "updated_at") -> RawPage:
    body = b'{"data": [%s]}' % b",".join(texts)
    decoded = PageDecoder("data", cursor_field=cursor_field).decode(body)
    fetched = FetchedPage(
        "src",
        "ep",
        number,
        f"http://127.0.0.1/v1/ep?page={number}",
        T0 + timedelta(seconds=number),
        decoded.records,
        endpoint_url="http://127.0.0.1/v1/ep",
        cursor_field=cursor_field,
        cursors=decoded.cursors,
    )
    return raw_page(fetched)


def test_fetched_page_records_decode_on_use() -> None:
    fetched = FetchedPage("s", "e", 1, "u", T0, SENT[:2])
    assert fetched.records == [orjson.loads(t) for t in SENT[:2]]


def test_raw_page_picks_the_form_by_endpoint_kind() -> None:
    incremental = page(1, SENT)
    assert incremental.rows["record"].to_list() == [t.decode() for t in SENT]
    assert incremental.rows["cursor_value"].to_list()[:3] == [AT, AT, "17"]
    snapshot = page(1, SENT, cursor_field=None)
    assert snapshot.rows["record"].to_list() == [old_definition(t)[0] for t in SENT]


def test_incremental_keep_new_drops_records_held_at_the_cursor() -> None:
    p = page(1, SENT)
    # held: records a and b (at the cursor), b stored by an earlier run in another key order
    b_reordered = orjson.dumps(dict(reversed(orjson.loads(SENT[1]).items())))
    assert b_reordered != SENT[1]
    landed = {canonical_hash(SENT[0]), canonical_hash(b_reordered)}
    kept = keep_new(p, landed, cursor=AT)
    assert kept.rows["record"].to_list() == [t.decode() for t in SENT[2:]]
    assert (kept.number, kept.url, kept.requested_at) == (p.number, p.url, p.requested_at)
    assert keep_new(p, set(), cursor=AT) is p
    assert keep_new(p, {"not-a-hash"}, cursor=AT) is p
    # only records at the cursor value can be held: others are new whatever the hashes say
    assert keep_new(p, {canonical_hash(SENT[2])}, cursor=AT) is p


def test_snapshot_keep_new_compares_every_record() -> None:
    p = page(1, SENT, cursor_field=None)
    hashes = p.rows["record_hash"].to_list()
    kept = keep_new(p, {hashes[0], hashes[3]}, cursor=None)
    expected = [h for i, h in enumerate(hashes) if i not in (0, 3)]
    assert kept.rows["record_hash"].to_list() == expected
    assert keep_new(p, set(hashes), cursor=None).size == 0


def records(n: int, start: int = 0, **extra: Any) -> list[bytes]:
    return [
        orjson.dumps({"id": i, "updated_at": f"2025-03-01T10:00:{i:02d}Z", **extra})
        for i in range(start, start + n)
    ]


def test_raw_rows_spread_page_metadata_and_reach_the_last_cursor() -> None:
    first = records(3)
    second = [*records(1, start=3), b'{"id": 4}']
    pages = [page(1, first), page(2, second)]
    ingested = T0 + timedelta(hours=1)
    chunk = raw_rows(pages, source_url="http://127.0.0.1/v1/ep", ingested_at=ingested)
    rows = chunk.rows
    assert list(rows.schema.items()) == [
        *RAW_SCHEMA.items(),
        *((c, rows.schema[c]) for c in METADATA_COLUMNS if c != "_batch_seq"),
    ]  # _batch_seq is stamped by the RAW commit
    assert rows["endpoint"].to_list() == ["ep"] * 5
    assert rows["page"].to_list() == [1, 1, 1, 2, 2]
    assert rows["page_url"].to_list()[2:4] == [pages[0].url, pages[1].url]
    assert (
        rows["requested_at"].to_list() == [pages[0].requested_at] * 3 + [pages[1].requested_at] * 2
    )
    assert rows["_source_row"].to_list() == [1, 2, 3, 4, 5]
    assert rows["_batch_id"].unique().to_list() == [chunk.batch_id]
    assert rows["_ingested_at"].unique().to_list() == [ingested]
    assert rows["record"].to_list() == [t.decode() for t in first + second]
    # the last record has no cursor: the chunk reaches the last one that has
    assert latest_cursor(rows["cursor_value"].drop_nulls().to_list()) == "2025-03-01T10:00:03Z"
    again = raw_rows(pages, source_url="http://127.0.0.1/v1/ep", ingested_at=T0)
    assert again.batch_id == chunk.batch_id  # deterministic: a re-landed batch is recognised
    other = raw_rows(pages[:1], source_url="http://127.0.0.1/v1/ep", ingested_at=ingested)
    assert other.batch_id != chunk.batch_id


def test_raw_rows_without_cursor_values() -> None:
    chunk = raw_rows(
        [page(1, [b'{"id":1}', b'{"id":2}'], cursor_field=None)],
        source_url="http://x/v1/ep",
        ingested_at=T0,
    )
    assert chunk.rows["cursor_value"].null_count() == 2
    assert chunk.rows["record"].to_list() == ['{"id":1}', '{"id":2}']


@pytest.mark.parametrize("canonical", [False, True])
def test_hash_is_the_hash_of_the_stored_text(canonical: bool) -> None:
    rows = record_rows(SENT, None, canonical=canonical)
    assert rows["record_hash"].to_list() == [
        hashlib.blake2b(t.encode(), digest_size=12).hexdigest() for t in rows["record"]
    ]
