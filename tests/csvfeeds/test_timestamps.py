"""Undeclared datetime columns read the ISO-8601 spellings real exports write, and no others."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from pitwall.csvfeeds.feeds import parse_feeds
from pitwall.csvfeeds.typing import type_feed_rows

FEED = parse_feeds(
    {
        "stamps": {
            "location": "landing/stamps/*.csv",
            "columns": {"id": "string", "at": "datetime"},
            "key": ["id"],
            "clean_table": "stamps",
        }
    }
)["stamps"]
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _typed(text: str) -> tuple[datetime | None, str | None]:
    raw = pl.LazyFrame({"id": ["a"], "at": [text], "_source_row": [1]})
    typed = type_feed_rows(raw, feed=FEED)
    staged = typed.with_reasons(typed.staged).collect()
    return staged.item(0, "__t_at"), staged.item(0, "__reason")


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01T12:00:00Z",  # RFC 3339
        "2026-03-01T12:00:00.000Z",  # JavaScript toISOString
        "2026-03-01 12:00:00+00",  # PostgreSQL timestamptz
        "2026-03-01 12:00:00+00:00",  # Python str(datetime)
        "2026-03-01T13:00:00+0100",  # basic-format offset
        "2026-03-01T07:30:00-04:30",
        "2026-03-01 12:00:00",  # naive: taken as UTC
        "2026-03-01T12:00:00",
    ],
)
def test_iso_spellings_read_as_the_same_instant(text: str) -> None:
    assert _typed(text) == (NOON, None)


@pytest.mark.parametrize(
    "text", ["01/03/2026 12:00", "2026-03-01T12:00:00+25", "noon", "2026-03-01"]
)
def test_other_spellings_are_rejected_with_the_value(text: str) -> None:
    value, reason = _typed(text)
    assert value is None
    assert reason == f"column at: cannot parse {text} as datetime"


def test_a_declared_format_is_the_only_one_read() -> None:
    declared = parse_feeds(
        {
            "stamps": {
                "location": "landing/stamps/*.csv",
                "columns": {"id": "string", "at": {"type": "datetime", "format": "%d/%m/%Y %H:%M"}},
                "key": ["id"],
                "clean_table": "stamps",
            }
        }
    )["stamps"]
    raw = pl.LazyFrame(
        {
            "id": ["a", "b"],
            "at": ["01/03/2026 12:00", "2026-03-01T12:00:00Z"],
            "_source_row": [1, 2],
        }
    )
    typed = type_feed_rows(raw, feed=declared)
    staged = typed.with_reasons(typed.staged).collect()
    assert staged.select("__t_at", "__reason").rows() == [
        (NOON, None),  # day first, as declared; naive is UTC
        (None, "column at: cannot parse 2026-03-01T12:00:00Z as datetime"),  # ISO not guessed
    ]
