"""What real captures throw at CLEAN: duplicated and reordered datagrams, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from pitwall.assetto.clean import CleanParams, build_clean
from pitwall.assetto.dedupe import drop_duplicate_datagrams
from pitwall.assetto.sessions import arrival_order, assign_sessions, game_sessions

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _lap(seconds: float, car: int, lap_time: int, row: int) -> dict:
    return {
        "received_at": at(seconds),
        "source": "10.0.0.1:11000",
        "capture_id": "srv",
        "_source": "server/lap_completed/srv-00001.parquet",
        "_source_row": row,
        "car_id": car,
        "lap_time": lap_time,
        "cuts": 0,
        "leaderboard": [{"car_id": car, "time": 999999999, "laps": 0, "has_completed": False}],
        "grip_level": 1.0,
    }


def test_a_datagram_delivered_twice_counts_once_and_the_copy_is_quarantined() -> None:
    session = {
        "received_at": at(0),
        "source": "10.0.0.1:11000",
        "capture_id": "srv",
        "track": "monza",
        "track_config": "gp",
        "session_name": "Practice",
        "session_type": 1,
        "server_name": "S",
    }
    laps = [
        _lap(60, 2, 90_000, 1),
        _lap(60.0004, 2, 90_000, 2),  # the network's copy
        _lap(150, 2, 90_000, 3),  # the same lap time a lap later: a real lap
    ]
    frames = {"new_session": pl.DataFrame([session]), "lap_completed": pl.DataFrame(laps)}
    tables, quarantine = build_clean(frames, CleanParams())
    assert tables["ac_laps"].sort("completed_at")["lap_number"].to_list() == [1, 2]
    assert quarantine.select("_source_row", "stage").rows() == [(2, "clean")]
    reason = quarantine["reason"].item()
    assert reason.startswith("superseded: duplicate lap_completed datagram, identical to the row")
    assert "srv-00001.parquet row 1" in reason
    assert "(received 0.400 ms earlier," in reason  # to the microsecond, never a raw float


def test_duplicates_need_every_field_equal_and_a_short_gap() -> None:
    rows = [
        {"received_at": at(0), "source": "a", "capture_id": "c", "car_id": 1, "_source_row": 1},
        {"received_at": at(0.01), "source": "a", "capture_id": "c", "car_id": 1, "_source_row": 2},
        {"received_at": at(0.02), "source": "a", "capture_id": "c", "car_id": 1, "_source_row": 3},
        {"received_at": at(0.02), "source": "b", "capture_id": "c", "car_id": 1, "_source_row": 4},
        {"received_at": at(0.02), "source": "a", "capture_id": "c", "car_id": 2, "_source_row": 5},
        {"received_at": at(9.0), "source": "a", "capture_id": "c", "car_id": 1, "_source_row": 6},
    ]
    bad: list[dict] = []
    out = drop_duplicate_datagrams(
        {"client_loaded": pl.DataFrame(rows)}, window_s=0.05, quarantine=bad
    )
    assert sorted(out["client_loaded"]["_source_row"]) == [1, 4, 5, 6]
    assert [b["source_row"] for b in bad] == [2, 3]
    assert all("row 1)" in b["reason"] for b in bad)  # a triplicate points at the first
    # RTCarInfo (identical samples of a paused game) and handshake responses (one per game
    # socket) are real when identical: all kept
    for kind in ("rt_car_info", "handshake_response"):
        kept = drop_duplicate_datagrams({kind: pl.DataFrame(rows)}, window_s=1, quarantine=bad)
        assert kept[kind].height == len(rows)
    assert len(bad) == 2


def _cars(samples: list[tuple[float, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"capture_id": "g", "received_at": at(s), "lap_count": lap} for s, lap in samples]
    )


def test_a_late_datagram_across_the_line_is_no_restart_but_a_reset_is() -> None:
    hand = {"capture_id": "g", "received_at": at(0), "track_name": "spa"}
    late = [(1.0, 4), (1.003, 5), (1.004, 4), (1.006, 5), (1.009, 5)]  # lap 4's last, late
    sessions = game_sessions(
        {"handshake_response": pl.DataFrame([hand]), "rt_car_info": _cars(late)},
        handshake_cluster_s=2.0,
    )
    assert sessions["session_id"].to_list() == ["g#1"]
    reset = [*late, (50.0, 0), (50.003, 0), (50.006, 1)]  # restarted: the count stays down
    sessions = game_sessions(
        {"handshake_response": pl.DataFrame([hand]), "rt_car_info": _cars(reset)},
        handshake_cluster_s=2.0,
    )
    assert sessions.select("session_id", "started_at").rows() == [("g#1", at(0)), ("g#2", at(50))]


def test_a_restart_stamped_like_the_last_lap_row_keeps_that_row_in_its_session() -> None:
    """A burst stamps two datagrams alike: the arrival order (file, row) decides, and the
    later one is moved 1 us on, so the lap's last row stays in the session it belongs to."""
    hand = {"capture_id": "g", "received_at": at(0), "track_name": "spa"}
    tied = at(3.0)
    samples = [(at(1.0), 2, 1), (at(2.0), 2, 2), (tied, 2, 3), (tied, 0, 4), (at(3.5), 0, 5)]
    cars = pl.DataFrame(
        [
            {
                "capture_id": "g",
                "received_at": stamp,
                "lap_count": lap,
                "_source": "game/rt_car_info/g-00001.parquet",
                "_source_row": row,
            }
            for stamp, lap, row in reversed(samples)  # rows as a scan may give them
        ]
    )
    ordered = arrival_order(cars)
    assert ordered["_source_row"].to_list() == [1, 2, 3, 4, 5]
    assert ordered["received_at"][3] == tied + timedelta(microseconds=1)
    assert ordered["received_at"].is_unique().all()
    sessions = game_sessions(
        {"handshake_response": pl.DataFrame([hand]), "rt_car_info": ordered},
        handshake_cluster_s=2.0,
    )
    assert sessions["session_id"].to_list() == ["g#1", "g#2"]
    placed = assign_sessions(ordered, sessions).sort("_source_row")
    assert placed["session_id"].to_list() == ["g#1", "g#1", "g#1", "g#2", "g#2"]
