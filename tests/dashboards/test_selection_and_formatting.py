"""Selections feeding downstream cells, and the labels the apps show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from pitwall import dashboards as dash

FRAME = pl.DataFrame({"driver_name": ["Ana", "Ben", "Ana", None], "lap": [1, 1, 2, 3]})


def test_filter_by_selection_keeps_matching_rows() -> None:
    picked = pl.DataFrame({"driver_name": ["Ana"], "other": [0]})
    assert dash.filter_by_selection(FRAME, picked, columns=["driver_name"])["lap"].to_list() == [
        1,
        2,
    ]
    assert dash.filter_by_selection(FRAME, pl.DataFrame(), columns=["driver_name"]).equals(FRAME)
    assert dash.filter_by_selection(FRAME, None, columns=["driver_name"]).equals(FRAME)
    wrong = pl.DataFrame({"unrelated": [1]})
    assert dash.filter_by_selection(FRAME, wrong, columns=["driver_name"]).equals(FRAME)


def test_selected_row_needs_exactly_one_combination() -> None:
    one = pl.DataFrame({"table": ["t", "t"], "reason": ["r", "r"], "rows": [1, 2]})
    assert dash.selected_row(one, columns=["table", "reason"]) == {"table": "t", "reason": "r"}
    assert dash.selected_value(one, column="table") == "t"
    assert dash.selected_value(one, column="rows") is None  # two different values
    assert dash.selected_row(pl.DataFrame(), columns=["table"]) is None
    assert dash.selected_value(one, column="absent") is None


def test_lap_time_and_age_labels() -> None:
    assert dash.format_lap_time(91_234) == "1:31.234"
    assert dash.format_lap_time(59_999.6) == "1:00.000"
    assert dash.format_lap_time(-238.7) == "-0:00.239"
    assert dash.format_lap_time(None) == "—"
    assert dash.format_age(timedelta(seconds=42)) == "42 s"
    assert dash.format_age(timedelta(minutes=5, seconds=59)) == "5 min"
    assert dash.format_age(timedelta(hours=3)) == "3 h"
    assert dash.format_age(timedelta(days=2, hours=23)) == "2 d"
    assert dash.format_age(timedelta(seconds=-5)) == "0 s"
    assert dash.format_age(None) == "never"


def test_session_labels() -> None:
    at = datetime(2025, 6, 1, 14, 0, tzinfo=UTC)
    assert dash.session_label("s1", track="monza", started_at=at) == "2025-06-01 14:00 · monza · s1"
    assert dash.session_label("s2", track=None, started_at=None) == "undated · unknown track · s2"
    sessions = pl.DataFrame(
        {"session_id": ["s1", "s2"], "track": ["monza", None], "started_at": [at, None]}
    )
    assert list(dash.session_choices(sessions).values()) == ["s1", "s2"]
