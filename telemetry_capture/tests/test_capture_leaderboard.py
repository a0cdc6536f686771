"""Leaderboard rules of LAP_COMPLETED (reference B.4) as the fake server computes them."""

from __future__ import annotations

from telemetry_capture.fake_server import compute_leaderboard
from telemetry_capture.server_protocol import NO_TIME


def test_qualify_uses_best_cut_free_lap_and_counts_only_clean_laps() -> None:
    laps = {0: [(61000, 0), (59000, 2)], 1: [(60500, 0), (60700, 0)], 2: [(58000, 1)]}
    board = compute_leaderboard(laps, slots=4, session_type=2, finished=set())
    assert [e["car_id"] for e in board] == [1, 0, 2, 3]
    by_car = {e["car_id"]: e for e in board}
    assert by_car[0] == {"car_id": 0, "time": 61000, "laps": 1, "has_completed": False}
    assert by_car[1]["time"] == 60500 and by_car[1]["laps"] == 2
    assert by_car[2]["time"] == NO_TIME and by_car[2]["laps"] == 0  # only a cut lap
    assert by_car[3]["time"] == NO_TIME  # empty slot still listed


def test_race_sorts_by_laps_then_cumulative_time() -> None:
    laps = {0: [(60000, 0), (61000, 0)], 1: [(59000, 3), (60000, 0)], 2: [(58000, 0)]}
    board = compute_leaderboard(laps, slots=5, session_type=3, finished={1})
    assert [e["car_id"] for e in board] == [1, 0, 2, 3, 4]
    assert board[0] == {"car_id": 1, "time": 119000, "laps": 2, "has_completed": True}
    assert board[1]["time"] == 121000
    assert board[3] == {"car_id": 3, "time": 0, "laps": 0, "has_completed": False}


def test_one_entry_per_slot() -> None:
    assert len(compute_leaderboard({}, slots=24, session_type=1, finished=set())) == 24
