"""CLEAN building blocks: collisions, telemetry distance, leaderboard, Delta types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from pitwall.assetto.clean import game_telemetry, leaderboard
from pitwall.assetto.dedupe import dedupe_collisions
from pitwall.assetto.land import delta_compatible

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event(seconds: float, kind: str, car: int, other: int | None, x: float = 0.0) -> dict:
    return {
        "session_id": "s#1",
        "ts": at(seconds),
        "kind": kind,
        "car_id": car,
        "other_car_id": other,
        "impact_speed": 30.0,
        "world_x": x,
        "world_y": 0.0,
        "world_z": 0.0,
    }


def test_car_contacts_reported_twice_are_kept_once() -> None:
    events = pl.DataFrame(
        [
            event(0.0, "car", 1, 2),
            event(0.001, "car", 2, 1, x=9.0),  # the same contact from car 2, 9 m away
            event(0.5, "env", 3, None),
            event(10.0, "car", 1, 2, x=50),  # a new contact, same cars
            event(10.0005, "car", 2, 1, x=50.5),
            event(20.0, "car", 4, 5),  # reported once only: kept
            event(21.5, "car", 5, 4),  # outside the window: a different contact
            event(30.0, "car", 6, 7),
            event(30.1, "car", 8, 6),  # another pair in the window: a different contact
        ]
    )
    kept = dedupe_collisions(events, window_s=1.0)
    assert kept.select("ts", "car_id", "other_car_id", "reports").rows() == [
        (at(0.0), 1, 2, 2),
        (at(0.5), 3, None, 1),
        (at(10.0), 1, 2, 2),
        (at(20.0), 4, 5, 1),
        (at(21.5), 5, 4, 1),
        (at(30.0), 6, 7, 1),
        (at(30.1), 8, 6, 1),
    ]
    assert kept["reports"].sum() == events.height  # every report accounted for


def test_contact_pairs_match_by_time_and_distance_only_rules_out() -> None:
    # car 1 and car 2 touch twice in quick succession: each report pairs with its nearest
    # counterpart in time; a distance limit, when set, only forbids far-apart pairs
    events = pl.DataFrame(
        [
            event(0.0, "car", 1, 2),
            event(0.01, "car", 2, 1, x=9.0),
            event(0.3, "car", 1, 2, x=20.0),
            event(0.31, "car", 2, 1, x=400.0),
        ]
    )
    loose = dedupe_collisions(events, window_s=1.0)
    assert loose.select("ts", "reports").rows() == [(at(0.0), 2), (at(0.3), 2)]
    strict = dedupe_collisions(events, window_s=1.0, max_distance_m=50.0)
    assert strict.select("ts", "reports").rows() == [(at(0.0), 2), (at(0.3), 1), (at(0.31), 1)]


def test_telemetry_distance_integrates_speed_over_lap_time_and_restarts_each_lap() -> None:
    rows = []
    for i in range(11):  # lap 1: 10 s at 20 m/s, sampled every second
        rows.append((i, 0, i * 1000, 20.0))
    for i in range(3):  # lap 2 starts 0.5 s after the line
        rows.append((11 + i, 1, 500 + i * 1000, 10.0))
    cars = pl.DataFrame(
        [
            {
                "capture_id": "g",
                "received_at": at(t),
                "lap_count": lap,
                "lap_time": ms,
                "last_lap": 0,
                "speed_ms": v,
                "speed_kmh": v * 3.6,
                "car_position_normalized": 0.1,
                "gas": 1.0,
                "brake": 0.0,
                "clutch": 1.0,
                "steer": 0.0,
                "gear": 4,
                "engine_rpm": 5000.0,
                "car_coordinates": [1.0, 2.0, 3.0],
                "is_in_pit": False,
            }
            for t, lap, ms, v in rows
        ]
    )
    sessions = pl.DataFrame({"capture_id": ["g"], "started_at": [at(0)], "session_id": ["g#1"]})
    telemetry = game_telemetry(cars, sessions)
    lap1 = telemetry.filter(pl.col("lap_number") == 1)
    lap2 = telemetry.filter(pl.col("lap_number") == 2)
    assert lap1["distance_m"].to_list() == pytest.approx([20.0 * i for i in range(11)])
    assert lap2["distance_m"].to_list() == pytest.approx([5.0, 15.0, 25.0])
    assert telemetry["gear"].unique().to_list() == [3]  # AC 4 = 3rd gear
    assert telemetry.select("x", "y", "z").row(0) == (1.0, 2.0, 3.0)


def test_leaderboard_rows_drop_empty_slots_and_no_time() -> None:
    board = [
        {"car_id": 1, "time": 60000, "laps": 1, "has_completed": False},
        {"car_id": 0, "time": 999999999, "laps": 0, "has_completed": False},
        {"car_id": 7, "time": 999999999, "laps": 0, "has_completed": False},  # empty slot
    ]
    completed = pl.DataFrame([{"capture_id": "s", "received_at": at(5), "leaderboard": board}])
    sessions = pl.DataFrame({"capture_id": ["s"], "started_at": [at(0)], "session_id": ["s#1"]})
    known = pl.DataFrame({"session_id": ["s#1", "s#1"], "car_id": [0, 1]})
    rows = leaderboard(completed, sessions, known)
    assert rows.select("position", "car_id", "time_ms", "laps").rows() == [
        (1, 1, 60000, 1),
        (2, 0, None, 0),
    ]


def test_delta_compatible_widens_unsigned_and_fixed_arrays() -> None:
    frame = pl.DataFrame(
        {
            "a": pl.Series([255], dtype=pl.UInt8),
            "b": pl.Series([65535], dtype=pl.UInt16),
            "c": pl.Series([4294967295], dtype=pl.UInt32),
            "v": pl.Series([[1.0, 2.0, 3.0]], dtype=pl.Array(pl.Float32, 3)),
            "board": pl.Series(
                [[{"car_id": 3, "laps": 2}]],
                dtype=pl.List(pl.Struct({"car_id": pl.UInt8, "laps": pl.UInt16})),
            ),
        }
    )
    out = delta_compatible(frame)
    assert out.schema == {
        "a": pl.Int16,
        "b": pl.Int32,
        "c": pl.Int64,
        "v": pl.List(pl.Float32),
        "board": pl.List(pl.Struct({"car_id": pl.Int16, "laps": pl.Int32})),
    }
    assert out.row(0) == (255, 65535, 4294967295, [1.0, 2.0, 3.0], [{"car_id": 3, "laps": 2}])
