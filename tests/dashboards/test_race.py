"""Race view: positions and gaps by lap, collisions with names, track outline, session facts."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pitwall import dashboards as dash
from pitwall.queries import read_sessions
from tests.dashboards.fixture_lake import HOTLAP, RACE, RACE_LAPS


def test_positions_follow_the_crossing_order_of_each_lap(con: duckdb.DuckDBPyConnection) -> None:
    positions = dash.read_lap_positions(con, RACE)
    assert positions.height == 4 * RACE_LAPS
    for (lap,), part in positions.partition_by("lap_number", as_dict=True).items():
        part = part.sort("position")
        assert part["position"].to_list() == [1, 2, 3, 4], lap
        assert part["completed_at"].is_sorted()
        # gaps are differences of race times (sums of lap times), not of receive times
        race = part["race_time_ms"]
        assert part["gap_to_leader_ms"].to_list() == (race - race[0]).to_list()
        assert part["gap_to_ahead_ms"].to_list()[1:] == race.diff().to_list()[1:]
        assert part["gap_to_ahead_ms"][0] is None
    dev = positions.filter(pl.col("driver_name") == "Dev").sort("lap_number")
    assert dev["position"].to_list() == [4, 4, 4, 3, 3, 2]  # the fixture's climber
    assert dev["race_time_ms"].to_list() == dev["lap_time_ms"].cum_sum().to_list()


def test_positions_agree_with_the_server_leaderboard(con: duckdb.DuckDBPyConnection) -> None:
    positions = dash.read_lap_positions(con, RACE).select(
        pl.col("lap_number").cast(pl.Int64).alias("laps"),
        pl.col("car_id").cast(pl.Int64),
        "position",
    )
    board = con.sql(
        "SELECT CAST(laps AS BIGINT) AS laps, CAST(car_id AS BIGINT) AS car_id, "
        "CAST(position AS BIGINT) AS position FROM clean.ac_leaderboard"
    ).pl()
    assert positions.sort("laps", "car_id").equals(board.sort("laps", "car_id"))


def test_collisions_carry_names_and_session_time(con: duckdb.DuckDBPyConnection) -> None:
    collisions = dash.read_collisions(con, RACE)
    assert collisions.select(
        "collision_no", "session_ms", "kind", "driver_name", "other_driver_name"
    ).rows() == [
        (1, 20_000, "car", "Ben", "Ana"),
        (2, 150_000, "env", "Cleo", None),
        (3, 260_000, "car", "Dev", "Cleo"),
    ]
    assert dash.read_collisions(con, HOTLAP).is_empty()


def test_track_outline_is_capped_and_ordered(con: duckdb.DuckDBPyConnection) -> None:
    outline = dash.read_track_outline(con, RACE, points=100)
    assert 50 <= outline.height <= 100
    assert outline["normalized_pos"].is_sorted()
    from_telemetry = dash.read_track_outline(con, HOTLAP, points=100)
    assert 50 <= from_telemetry.height <= 100
    assert dash.read_track_outline(con, "no-such-session").columns == [
        "x",
        "z",
        "speed_kmh",
        "normalized_pos",
    ]
    with pytest.raises(ValueError, match="points"):
        dash.read_track_outline(con, RACE, points=0)


def test_session_facts(con: duckdb.DuckDBPyConnection) -> None:
    facts = dash.session_facts(read_sessions(con, session_id=RACE))
    best = con.sql(
        "SELECT min(lap_time_ms) FROM clean.ac_laps WHERE session_id = $s AND valid",
        params={"s": RACE},
    ).fetchall()[0][0]
    assert facts == {
        "Track": "pitwall_ring / gp",
        "Session": "Sunday Race · race",
        "Server": "Pitwall Cup",
        "Started": "2025-06-01 16:00 UTC",
        "Cars": "4",
        "Laps": str(4 * RACE_LAPS),
        "Best lap": dash.format_lap_time(best),
    }
    assert dash.session_facts(pl.DataFrame()) == {}
