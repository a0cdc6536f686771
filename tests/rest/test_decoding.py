"""Page decoding: each record's JSON exactly as received, the paginator's values, the cursor
values (as the per-record definition gives them), and malformed pages refused."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from pitwall.rest.decoding import PageDecoder
from pitwall.rest.errors import MalformedPageError
from pitwall.rest.selector import MISSING, select

# spacing, key order and escapes as a partner might send them
SENT = [
    b'{"id": 1, "updated_at": "2025-03-01T10:00:00Z", "n": {"at": "2025-03-02"}}',
    b'{ "updated_at":17,\n  "id":2, "text":"quote \\" and \\\\ and },{ [",'
    b' "name":"Zo\\u00eb \\u2603 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x8f\x81" }',
    b'{"id":3,"updated_at":null,"big":12345678901234567890123,"f":1.5e-7}',
    b'{"id":4,"flag":true}',
    b'{"id":5,"updated_at":true,"empty":{},"list":[{"a":[]}]}',
    b'{"id":6,"updated_at":2.5,"n":"not an object"}',
]


def page(records: list[bytes], *, key: str = "data", extra: bytes = b"") -> bytes:
    return b'{"meta": {"total_pages": 3, "x": [1]}, "%s": [%s]%s}' % (
        key.encode(),
        b", ".join(records),
        extra,
    )


def old_cursor(record: dict[str, Any], field: str) -> str | None:
    """The per-record definition RAW's cursor_value has always had."""
    value = select(record, field)
    return None if value is None or value is MISSING else str(value)


def test_records_are_the_bytes_received() -> None:
    decoded = PageDecoder("data").decode(page(SENT))
    assert decoded.records == SENT
    assert decoded.cursors is None


@pytest.mark.parametrize("field", ["updated_at", "n.at", "id", "missing"])
def test_cursor_values_follow_the_per_record_definition(field: str) -> None:
    decoded = PageDecoder("data", cursor_field=field).decode(page(SENT))
    expected = [old_cursor(orjson.loads(t), field) for t in SENT]
    assert decoded.cursors == expected
    if field == "updated_at":
        assert expected == ["2025-03-01T10:00:00Z", "17", None, None, "True", "2.5"]


def test_paginator_values_and_their_absence() -> None:
    paths = ["meta.total_pages", "links.next", "next_cursor"]
    body = (
        PageDecoder("data", body_paths=paths)
        .decode(page(SENT[:1], extra=b', "next_cursor": "c2"'))
        .body
    )
    assert select(body, "meta.total_pages") == 3
    assert select(body, "next_cursor") == "c2"
    assert select(body, "links.next") is MISSING


def test_nested_record_path_beside_a_paginator_value() -> None:
    content = b'{"count": 2, "result": {"next": "c2", "items": [%s]}}' % b",".join(SENT[:2])
    decoder = PageDecoder("$.result.items", body_paths=["result.next", "count"])
    decoded = decoder.decode(content)
    assert decoded.records == SENT[:2]
    assert decoded.body == {"count": 2, "result": {"next": "c2"}}


def test_body_that_is_the_record_list() -> None:
    decoded = PageDecoder("$", cursor_field="id").decode(b"[%s]" % b" ,\n".join(SENT))
    assert decoded.records == SENT
    assert decoded.cursors == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.parametrize(
    ("records", "paths", "content"),
    [
        ("pages.0.items", [], b'{"pages": [{"items": [{"id": 1, "updated_at": "a"}]}]}'),
        ("$", ["meta.total"], b'[{"id": 1, "updated_at": "a"}]'),
        ("data", ["data.0.id"], b'{"data": [{"id": 1, "updated_at": "a"}]}'),
    ],
)
def test_paths_msgspec_cannot_express_decode_everything(
    records: str, paths: list[str], content: bytes
) -> None:
    decoded = PageDecoder(records, body_paths=paths, cursor_field="updated_at").decode(content)
    assert [orjson.loads(r) for r in decoded.records] == [{"id": 1, "updated_at": "a"}]
    assert decoded.cursors == ["a"]
    assert decoded.body == orjson.loads(content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"data": [{"event_id": "evt-0', "not valid JSON"),
        (b'{"data": [{"a": 1}]} trailing', "not valid JSON"),
        (b'{"data": [{"a": "\xff"}]}', "not valid JSON"),  # invalid UTF-8 inside a record
        (b'{"data": [{"a": NaN}]}', "not valid JSON"),
        (b'{"error": "upstream glitch"}', "no record list at 'data'"),
        (b'{"data": {"a": 1}}', "no record list at 'data'"),
        (b"[]", "no record list at 'data'"),
        (b'{"data": [{"a": 1}, 2]}', "not all objects"),
        (b'{"data": [[{"a": 1}]]}', "not all objects"),
    ],
)
def test_malformed_pages_are_refused(content: bytes, message: str) -> None:
    for cursor in (None, "a"):
        with pytest.raises(MalformedPageError, match=message):
            PageDecoder("data", cursor_field=cursor).decode(content)


def test_empty_record_list() -> None:
    decoded = PageDecoder("data", cursor_field="updated_at").decode(b'{"data": []}')
    assert decoded.records == [] and decoded.cursors == []
