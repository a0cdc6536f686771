"""Laps keyed by who drove them; no CLEAN row dropped by a dedupe without a quarantine row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import yaml

from pitwall.assetto.clean import CleanParams, build_clean
from pitwall.assetto.dedupe import dedupe_by_keys
from pitwall.assetto.tables import CLEAN_KEYS
from tests.conftest import REPO_ROOT

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CAPTURE = "server-x"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _connection(seconds: float, car: int, name: str, guid: str) -> dict:
    return {
        "received_at": at(seconds),
        "capture_id": CAPTURE,
        "car_id": car,
        "driver_name": name,
        "driver_guid": guid,
        "car_model": "ks_audi_r8_lms",
        "car_skin": "00_livery",
    }


def _lap(seconds: float, car: int, lap_time: int, board_laps: int) -> dict:
    return {
        "received_at": at(seconds),
        "capture_id": CAPTURE,
        "_source": "server/lap_completed/x-00001.parquet",
        "_source_row": int(seconds),
        "car_id": car,
        "lap_time": lap_time,
        "cuts": 0,
        "leaderboard": [{"car_id": car, "time": 0, "laps": board_laps, "has_completed": False}],
        "grip_level": 1.0,
    }


def _frames(session_type: int) -> dict[str, pl.DataFrame]:
    session = {
        "received_at": at(0),
        "capture_id": CAPTURE,
        "track": "monza",
        "track_config": "gp",
        "session_name": "Race",
        "session_type": session_type,
        "server_name": "S",
    }
    # Ann drives car 3 for two laps, hands it to Ben (the server restarts the car's lap count),
    # Ann comes back for one more lap.
    return {
        "new_session": pl.DataFrame([session]),
        "new_connection": pl.DataFrame(
            [
                _connection(1, 3, "Ann", "7656111"),
                _connection(300, 3, "Ben", "7656222"),
                _connection(600, 3, "Ann", "7656111"),
            ]
        ),
        "connection_closed": pl.DataFrame(
            [_connection(250, 3, "Ann", "7656111"), _connection(550, 3, "Ben", "7656222")]
        ),
        "lap_completed": pl.DataFrame(
            [
                _lap(100, 3, 90_000, 1),
                _lap(200, 3, 91_000, 2),
                _lap(400, 3, 92_000, 1),
                _lap(500, 3, 93_000, 2),
                _lap(700, 3, 94_000, 1),
            ]
        ),
    }


def test_a_car_changing_hands_keeps_every_lap_of_both_drivers() -> None:
    for session_type in (3, 1):  # race (leaderboard lap count) and practice (lap order)
        tables, quarantine = build_clean(_frames(session_type), CleanParams())
        laps = tables["ac_laps"].sort("completed_at")
        assert laps.select("driver_name", "driver_guid", "lap_number", "lap_time_ms").rows() == [
            ("Ann", "7656111", 1, 90_000),
            ("Ann", "7656111", 2, 91_000),
            ("Ben", "7656222", 1, 92_000),
            ("Ben", "7656222", 2, 93_000),
            # Ann's second stint: in the race the leaderboard count restarted, so her laps
            # are numbered in order within her connections to this car
            ("Ann", "7656111", 3, 94_000),
        ], session_type
        assert quarantine.is_empty()
        drivers = tables["ac_drivers"].sort("driver_name")
        assert drivers.select("car_id", "driver_name", "driver_guid").rows() == [
            (3, "Ann", "7656111"),
            (3, "Ben", "7656222"),
        ]


def test_a_key_dedupe_quarantines_what_it_drops_naming_key_and_differing_columns() -> None:
    frame = pl.DataFrame(
        {
            "session_id": ["s#1", "s#1", "s#1"],
            "car_id": [0, 0, 1],
            "lap_number": [1, 1, 1],
            "lap_time_ms": [60_000, 61_000, 62_000],
            "capture_id": ["s", "s", "s"],
        }
    )
    bad: list[dict] = []
    kept = dedupe_by_keys(frame, ("session_id", "car_id", "lap_number"), table="t", quarantine=bad)
    assert kept["lap_time_ms"].to_list() == [60_000, 62_000]
    assert len(bad) == 1
    reason = bad[0]["reason"]
    assert reason == (
        "superseded: clean.t key (session_id='s#1', car_id=0, lap_number=1) is held by an"
        " earlier row; it differs in lap_time_ms"
    )
    assert bad[0]["record"]["lap_time_ms"] == 61_000


def test_a_wide_superseded_row_gets_a_one_line_reason() -> None:
    channels = {f"ch{i}": [0.123456789, 0.987654321, 0.5] for i in range(40)}
    frame = pl.DataFrame({"session_id": ["s#1"] * 3, "ts": [1, 1, 1], **channels})
    frame = frame.with_columns(
        pl.when(pl.int_range(3) == 2).then(0.123456789).otherwise(pl.col("ch0")).alias("ch0")
    )
    bad: list[dict] = []
    dedupe_by_keys(frame, ("session_id", "ts"), table="ac_telemetry", quarantine=bad)
    reasons = [b["reason"] for b in bad]
    assert reasons[0].endswith("it differs in ch0, ch1, ch2, ch3, ch4, ch5, ch6, ch7 and 32 more")
    assert reasons[1].endswith("it differs in ch1, ch2, ch3, ch4, ch5, ch6, ch7, ch8 and 31 more")
    assert all(len(r) < 200 and "0.98" not in r for r in reasons)


def test_superseded_rows_reach_the_clean_quarantine() -> None:
    hand = {"capture_id": "game-x", "track_name": "spa", "driver_name": "Me", "car_name": "c"}
    lap = {
        "capture_id": "game-x",
        "car_identifier_number": 5,
        "lap": 3,
        "driver_name": "Other",
        "car_name": "c",
        "time": 61_000,
    }
    frames = {
        "handshake_response": pl.DataFrame([{**hand, "received_at": at(0)}]),
        # RTLap of another car reported twice: one lap, and one superseded row
        "rt_lap": pl.DataFrame([{**lap, "received_at": at(10)}, {**lap, "received_at": at(10.2)}]),
    }
    tables, quarantine = build_clean(frames, CleanParams())
    laps = tables["ac_laps"]
    assert laps.select("car_id", "driver_name", "driver_guid", "lap_number").rows() == [
        (5, "Other", "", 4)
    ]
    assert laps.height + quarantine.height == frames["rt_lap"].height
    assert quarantine["stage"].to_list() == ["clean"]
    assert quarantine["reason"][0].startswith("superseded: ")
    assert json.loads(quarantine["record"][0])["completed_at"].startswith("2026-01-01T12:00:10.2")


def test_clean_keys_and_the_mirror_keys_agree() -> None:
    conf = yaml.safe_load(Path(REPO_ROOT, "conf/base/parameters_mirror_postgres.yml").read_text())[
        "mirror_postgres"
    ]["keys"]
    for table in ("ac_sessions", "ac_drivers", "ac_laps"):
        assert tuple(conf[table]) == CLEAN_KEYS[table], table
