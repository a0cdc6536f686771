"""Parsing of the rows endpoint's query parameters and its opaque pagination cursor.

Only the shape is checked here; column names and values are checked against the table's schema
by ``pitwall.queries.read_rows`` (a ``QueryError`` there becomes a 422).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from pitwall.queries import FILTER_OPS, QueryError, RowFilter, SortKey
from pitwall.queries.values import Scalar, to_json_scalar

FILTER_SYNTAX = (
    "`column:op:value` with op one of "
    + ", ".join(FILTER_OPS)
    + "; `in` takes comma-separated values, `between` two (`lap_time_ms:between:80000,90000`)"
)


def parse_columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def parse_sort(text: str | None) -> list[SortKey]:
    """``-a,b``: ``a`` descending then ``b`` ascending."""
    keys = []
    for part in parse_columns(text):
        descending = part.startswith("-")
        column = part.lstrip("+-").strip()
        if not column:
            raise QueryError(f"bad sort key {part!r}")
        keys.append(SortKey(column, descending))
    return keys


def parse_filter(text: str) -> RowFilter:
    column, sep1, rest = text.partition(":")
    op, sep2, value = rest.partition(":")
    if not (sep1 and sep2 and column):
        raise QueryError(f"bad filter {text!r}: expected {FILTER_SYNTAX}")
    if op not in FILTER_OPS:
        raise QueryError(f"bad filter operator {op!r}: expected {FILTER_SYNTAX}")
    values = tuple(value.split(",")) if op in ("in", "between") else (value,)
    return RowFilter(column, op, values)  # type: ignore[arg-type]


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


def decode_cursor(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = orjson.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise QueryError("invalid cursor") from exc
    if not isinstance(payload, dict):
        raise QueryError("invalid cursor")
    return payload


def keyset_cursor(sort: str, last_key: tuple[object, ...]) -> str:
    return encode_cursor({"sort": sort, "after": [to_json_scalar(v) for v in last_key]})


def offset_cursor(offset: int) -> str:
    return encode_cursor({"offset": offset})


def page_position(
    sort: str | None, *, offset: int, cursor: str | None
) -> tuple[list[SortKey], int, list[Scalar] | None]:
    """``(sort keys, offset, after)`` of a page request: ``?sort=`` plus an offset or a cursor."""
    sort_keys = parse_sort(sort)
    if cursor is None:
        return sort_keys, offset, None
    if offset:
        raise QueryError("use either cursor or offset")
    offset, after = cursor_position(cursor, sort=sort_text(sort_keys))
    return sort_keys, offset, after


def sort_text(keys: list[SortKey]) -> str:
    """The canonical ``?sort=`` text of sort keys (what a keyset cursor is made for)."""
    return ",".join(("-" if k.descending else "") + k.column for k in keys)


def cursor_position(token: str, *, sort: str) -> tuple[int, list[Scalar] | None]:
    """``(offset, after)`` of a cursor made for this ``sort``."""
    payload = decode_cursor(token)
    if "after" in payload:
        after = payload["after"]
        if payload.get("sort") != sort or not isinstance(after, list):
            raise QueryError("the cursor was made for another sort")
        if not all(v is None or isinstance(v, str | int | float | bool) for v in after):
            raise QueryError("invalid cursor")
        return 0, after
    offset = payload.get("offset")
    if sort or not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise QueryError("the cursor was made for another sort")
    return offset, None
