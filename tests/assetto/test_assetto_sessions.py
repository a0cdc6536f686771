"""Session assignment and drivers from RAW rows (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from pitwall.assetto.sessions import assign_sessions, game_sessions, server_drivers, server_sessions

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_session(seconds: float, name: str, capture: str = "server-a", kind: int = 3) -> dict:
    return {
        "received_at": at(seconds),
        "capture_id": capture,
        "track": "monza",
        "track_config": "gp",
        "session_name": name,
        "session_type": kind,
        "server_name": "S",
        "session_index": 0,
    }


def connection(seconds: float, car: int, name: str, capture: str = "server-a") -> dict:
    return {
        "received_at": at(seconds),
        "capture_id": capture,
        "car_id": car,
        "driver_name": name,
        "driver_guid": f"g{car}",
        "car_model": "m",
        "car_skin": "s",
    }


def test_server_sessions_start_at_new_session_and_version_opens_none() -> None:
    frames = {
        "version": pl.DataFrame(
            [{"received_at": at(0), "capture_id": "server-a", "protocol_version": 4}]
        ),
        "new_session": pl.DataFrame(
            [new_session(0.001, "Qualify", kind=2), new_session(60, "Race")]
        ),
        "client_loaded": pl.DataFrame(
            [{"received_at": at(s), "capture_id": "server-a", "car_id": 1} for s in (1, 61)]
        ),
    }
    sessions = server_sessions(frames)
    assert sessions["session_id"].to_list() == ["server-a#1", "server-a#2"]
    assert sessions["session_type"].to_list() == ["qualify", "race"]
    rows = assign_sessions(frames["client_loaded"], sessions)
    assert rows["session_id"].to_list() == ["server-a#1", "server-a#2"]


def test_mid_session_start_uses_the_session_info_reply() -> None:
    info = {**new_session(0.5, "Practice", kind=1), "session_index": 0}
    frames = {
        "car_update": pl.DataFrame(
            [{"received_at": at(0.2), "capture_id": "server-b", "car_id": 0}]
        ),
        "session_info": pl.DataFrame([{**info, "capture_id": "server-b"}]),
        "new_session": pl.DataFrame([new_session(30, "Race", capture="server-b")]),
    }
    sessions = server_sessions(frames)
    assert sessions["session_name"].to_list() == ["Practice", "Race"]
    assert sessions["started_at"][0] == at(0.2)  # from the first row, described by SESSION_INFO


def test_game_sessions_cluster_handshakes_and_split_on_lap_counter_reset() -> None:
    hand = {"capture_id": "game-a", "track_name": "spa", "driver_name": "d", "car_name": "c"}
    frames = {
        "handshake_response": pl.DataFrame(
            [
                {**hand, "received_at": at(s)} for s in (0.0, 0.01, 100.0, 100.02)
            ]  # two sockets each time
        ),
        "rt_car_info": pl.DataFrame(
            [
                {"capture_id": "game-a", "received_at": at(s), "lap_count": lap}
                for s, lap in ((1, 0), (2, 1), (3, 2), (4, 0), (5, 1), (101, 0))
            ]
        ),
    }
    sessions = game_sessions(frames, handshake_cluster_s=2.0)
    assert sessions["session_id"].to_list() == ["game-a#1", "game-a#2", "game-a#3"]
    assert sessions["started_at"].to_list() == [at(0), at(4), at(100)]
    assert sessions["track"].to_list() == ["spa"] * 3 and sessions["track_config"].null_count() == 3
    rows = assign_sessions(frames["rt_car_info"], sessions)
    assert rows["session_id"].to_list() == ["game-a#1"] * 3 + ["game-a#2"] * 2 + ["game-a#3"]


def test_drivers_are_carried_into_the_next_session_until_they_leave() -> None:
    frames = {
        "new_session": pl.DataFrame([new_session(0, "Qualify"), new_session(60, "Race")]),
        "new_connection": pl.DataFrame(
            [connection(1, 0, "Ann"), connection(2, 1, "Bob"), connection(70, 1, "Cid")]
        ),
        "connection_closed": pl.DataFrame([connection(50, 1, "Bob")]),
    }
    sessions = server_sessions(frames)
    drivers = server_drivers(frames, sessions)
    by_session = {
        sid: sorted(zip(part["car_id"], part["driver_name"], strict=True))
        for (sid,), part in drivers.group_by("session_id")
    }
    assert by_session == {
        "server-a#1": [(0, "Ann"), (1, "Bob")],
        "server-a#2": [(0, "Ann"), (1, "Cid")],
    }
