"""The AC domain queries against a lake following the CLEAN contract."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import polars as pl
import pytest

from pitwall.lake.delta import write_table
from pitwall.lake.layout import get_lake
from pitwall.queries import (
    TRACE_COLUMNS,
    TableNotFoundError,
    read_lap_records,
    read_lap_trace,
    read_session_laps,
    read_session_leaderboard,
    read_sessions,
)
from pitwall.sql import connect
from tests.queries.ac_lake import GAME_LAP1_SAMPLES, GAME_LAP2_SAMPLES, T0, sessions_frame


def test_sessions_newest_first_with_lap_stats(con: duckdb.DuckDBPyConnection) -> None:
    frame = read_sessions(con)
    assert frame.get_column("session_id").to_list() == ["srv-1", "game-1"]
    srv = frame.row(0, named=True)
    # 6 laps by 2 cars; Alice's 89.5 s lap is invalid, so Bob's 90.0 s is the best
    assert (srv["laps"], srv["cars"], srv["best_lap_ms"]) == (6, 2, 90_000)
    assert srv["started_at"] == T0 + timedelta(days=1)


def test_sessions_filters(con: duckdb.DuckDBPyConnection) -> None:
    assert read_sessions(con, protocol="game").get_column("session_id").to_list() == ["game-1"]
    assert read_sessions(con, track="monza").get_column("session_id").to_list() == ["srv-1"]
    assert read_sessions(con, session_id="nope").is_empty()
    assert read_sessions(con, limit=1).height == 1


def test_sessions_without_laps_table(tmp_path: pytest.TempPathFactory) -> None:
    lake = get_lake(str(tmp_path))
    write_table(sessions_frame(), lake.table_uri("clean", "ac_sessions"))
    frame = read_sessions(connect(lake))
    assert frame.get_column("laps").to_list() == [0, 0]
    assert frame.get_column("best_lap_ms").to_list() == [None, None]


def test_missing_table_is_reported(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(TableNotFoundError, match="ac_sessions"):
        read_sessions(connect(get_lake(str(tmp_path))))


def test_laps_in_completion_order_with_car_model(con: duckdb.DuckDBPyConnection) -> None:
    laps = read_session_laps(con, "srv-1")
    assert laps.select("car_id", "lap_number").rows() == [
        (0, 1), (1, 1), (0, 2), (1, 2), (0, 3), (1, 3)
    ]  # fmt: skip
    assert set(laps.filter(pl.col("car_id") == 1).get_column("car_model")) == {"bmw_m3"}


def test_laps_filters(con: duckdb.DuckDBPyConnection) -> None:
    assert read_session_laps(con, "srv-1", car_id=0).height == 3
    invalid = read_session_laps(con, "srv-1", valid=False)
    assert invalid.select("car_id", "lap_number", "cuts").rows() == [(0, 2, 2)]
    assert read_session_laps(con, "unknown").is_empty()


def test_trace_is_in_time_order(con: duckdb.DuckDBPyConnection) -> None:
    trace = read_lap_trace(con, "game-1", car_id=0, lap_number=1)
    assert trace.columns == list(TRACE_COLUMNS)
    assert trace.height == GAME_LAP1_SAMPLES
    assert trace.get_column("ts").is_sorted()
    assert trace.get_column("lap_time_ms").to_list() == list(range(0, 10 * GAME_LAP1_SAMPLES, 10))


@pytest.mark.parametrize("points", [2, 10, 333, 999])
def test_trace_downsampled_evenly(con: duckdb.DuckDBPyConnection, points: int) -> None:
    trace = read_lap_trace(con, "game-1", car_id=0, lap_number=1, points=points)
    assert trace.height == points
    # sample i of the lap has lap_time_ms == 10 * i; kept samples start each of `points` runs
    kept = [v // 10 for v in trace.get_column("lap_time_ms").to_list()]
    expected = [-(-k * GAME_LAP1_SAMPLES // points) for k in range(points)]
    assert kept == expected


def test_trace_shorter_than_points_comes_whole(con: duckdb.DuckDBPyConnection) -> None:
    trace = read_lap_trace(con, "game-1", car_id=0, lap_number=2, points=100)
    assert trace.height == GAME_LAP2_SAMPLES
    assert read_lap_trace(con, "game-1", car_id=0, lap_number=9, points=100).is_empty()


def test_session_leaderboard_uses_latest_snapshot(con: duckdb.DuckDBPyConnection) -> None:
    board = read_session_leaderboard(con, "srv-1")
    assert board.select("position", "car_id", "driver_name", "time_ms").rows() == [
        (1, 1, "Bob", 90_000),
        (2, 0, "Alice", 90_100),
    ]
    assert board.get_column("has_completed").to_list() == [True, True]


def test_session_leaderboard_from_laps_without_snapshot(con: duckdb.DuckDBPyConnection) -> None:
    board = read_session_leaderboard(con, "game-1")
    assert board.select("position", "car_id", "driver_name", "time_ms", "laps").rows() == [
        (1, 0, "Carol", 138_500, 2)
    ]
    assert board.get_column("car_model").to_list() == ["ks_mazda_mx5"]


def test_lap_records_best_valid_lap_per_driver(con: duckdb.DuckDBPyConnection) -> None:
    records = read_lap_records(con)
    assert records.select("driver_name", "lap_time_ms", "lap_number").rows() == [
        ("Bob", 90_000, 2),
        ("Alice", 90_100, 3),  # her 89.5 s lap 2 was invalid
        ("Carol", 138_500, 2),
    ]
    assert read_lap_records(con, track="spa").get_column("driver_name").to_list() == ["Carol"]
    assert read_lap_records(con, limit=1).height == 1
