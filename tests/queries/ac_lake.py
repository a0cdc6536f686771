"""A small Assetto Corsa lake following the CLEAN contract, plus bookkeeping tables.

Two sessions:
- ``srv-1`` (protocol server, monza, newest): cars 0 and 1, three laps each (one invalid),
  two leaderboard snapshots (the later one has car 1 first);
- ``game-1`` (protocol game, spa): car 0, laps 1-2; lap 1 has 1000 telemetry samples,
  lap 2 has 7; no leaderboard snapshot.
Plus ``raw.ingestion_log`` (3 batches) and ``quarantine.csv_laps`` (3 rows, 2 reasons).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from pitwall.lake.delta import write_table
from pitwall.lake.ingest import BatchOutcome, quarantine_rows
from pitwall.lake.layout import Lake
from pitwall.lake.records import write_ingestion_log, write_quarantine

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")
GAME_LAP1_SAMPLES = 1000
GAME_LAP2_SAMPLES = 7

# (session, car, lap, driver, lap_time_ms, cuts, valid, top_speed)
LAPS = [
    ("srv-1", 0, 1, "Alice", 91_000, 0, True, 301.5),
    ("srv-1", 0, 2, "Alice", 89_500, 2, False, 305.0),
    ("srv-1", 0, 3, "Alice", 90_100, 0, True, 303.0),
    ("srv-1", 1, 1, "Bob", 92_000, 0, True, 299.0),
    ("srv-1", 1, 2, "Bob", 90_000, 0, True, 300.0),
    ("srv-1", 1, 3, "Bob", 93_000, 1, True, 298.0),
    # the game protocol tells neither cuts nor validity
    ("game-1", 0, 1, "Carol", 140_000, None, None, None),
    ("game-1", 0, 2, "Carol", 138_500, None, None, None),
]


def sessions_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "session_id": ["srv-1", "game-1"],
            "protocol": ["server", "game"],
            "track": ["monza", "spa"],
            "track_config": ["", ""],
            "session_name": ["Race", None],
            "session_type": ["race", "hotlap"],
            "server_name": ["Pitwall Cup", None],
            "started_at": [T0 + timedelta(days=1), T0],
            "capture_id": ["cap-srv", "cap-game"],
        },
        schema_overrides={"started_at": TS},
    )


def drivers_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "session_id": ["srv-1", "srv-1", "game-1"],
            "car_id": [0, 1, 0],
            "driver_name": ["Alice", "Bob", "Carol"],
            "driver_guid": ["g-a", "g-b", "g-c"],
            "car_model": ["ferrari_458", "bmw_m3", "ks_mazda_mx5"],
            "car_skin": ["red", "blue", "white"],
        },
        schema_overrides={"car_id": pl.Int32},
    )


def laps_frame() -> pl.DataFrame:
    rows = []
    for i, (session, car, lap, driver, ms, cuts, valid, top) in enumerate(LAPS):
        base = T0 + timedelta(days=1) if session == "srv-1" else T0
        rows.append(
            {
                "session_id": session,
                "car_id": car,
                "lap_number": lap,
                "lap_time_ms": ms,
                "cuts": cuts,
                "valid": valid,
                "top_speed_kmh": top,
                "completed_at": base + timedelta(minutes=lap * 2, seconds=car * 5 + i),
                "driver_name": driver,
                "protocol": "server" if session == "srv-1" else "game",
            }
        )
    return pl.DataFrame(
        rows,
        schema_overrides={
            "car_id": pl.Int32,
            "lap_number": pl.Int32,
            "lap_time_ms": pl.Int64,
            "cuts": pl.Int32,
            "top_speed_kmh": pl.Float64,
            "completed_at": TS,
        },
    )


def telemetry_frame() -> pl.DataFrame:
    parts = []
    for lap, n in ((1, GAME_LAP1_SAMPLES), (2, GAME_LAP2_SAMPLES)):
        i = pl.int_range(0, n, eager=True)
        start = T0 + timedelta(minutes=lap * 3)
        parts.append(
            pl.DataFrame(
                {
                    "session_id": "game-1",
                    "car_id": 0,
                    "lap_number": lap,
                    "ts": pl.datetime_range(
                        start, start + timedelta(milliseconds=10 * (n - 1)), "10ms", eager=True
                    ),
                    "lap_time_ms": i * 10,
                    "distance_m": i.cast(pl.Float64) * 5.0,
                    "normalized_pos": i.cast(pl.Float64) / n,
                    "speed_kmh": 100.0 + i.cast(pl.Float64) % 50,
                    "throttle": 0.5,
                    "brake": 0.0,
                    "clutch": 1.0,
                    "steer": 0.0,
                    "gear": 3,
                    "rpm": 6000.0,
                    "x": i.cast(pl.Float64),
                    "y": 0.0,
                    "z": 0.0,
                }
            )
        )
    # shuffled so that time order must come from the query
    frame = pl.concat(parts).sample(fraction=1.0, shuffle=True, seed=7)
    return frame.with_columns(
        pl.col("ts").dt.replace_time_zone("UTC").dt.cast_time_unit("us"),
        pl.col("car_id").cast(pl.Int32),
        pl.col("lap_number").cast(pl.Int32),
        pl.col("gear").cast(pl.Int32),
    )


def leaderboard_frame() -> pl.DataFrame:
    early, late = T0 + timedelta(days=1, minutes=3), T0 + timedelta(days=1, minutes=7)
    return pl.DataFrame(
        {
            "session_id": ["srv-1"] * 4,
            "ts": [early, early, late, late],
            "position": [1, 2, 1, 2],
            "car_id": [0, 1, 1, 0],
            "time_ms": [91_000, 92_000, 90_000, 90_100],
            "laps": [1, 1, 3, 3],
            "has_completed": [False, False, True, True],
        },
        schema_overrides={"ts": TS, "car_id": pl.Int32, "position": pl.Int32},
    )


def write_ac_lake(lake: Lake) -> None:
    """Write the AC CLEAN tables and the bookkeeping tables into ``lake``."""
    for name, frame in (
        ("ac_sessions", sessions_frame()),
        ("ac_drivers", drivers_frame()),
        ("ac_laps", laps_frame()),
        ("ac_telemetry", telemetry_frame()),
        ("ac_leaderboard", leaderboard_frame()),
    ):
        write_table(frame, lake.table_uri("clean", name), mode="overwrite")
    write_bookkeeping(lake)


def write_bookkeeping(lake: Lake) -> None:
    outcomes = [
        BatchOutcome(
            batch_id=f"b{i}",
            source=f"file:///landing/laps_{i}.csv",
            pipeline="ingest_csv",
            started_at=T0 + timedelta(hours=i),
            rows_in=10,
            rows_landed=10 - q,
            rows_quarantined=q,
            status="ok" if q == 0 else "partial",
            finished_at=T0 + timedelta(hours=i, minutes=1),
        )
        for i, q in ((1, 0), (2, 2), (3, 1))
    ]
    write_ingestion_log(outcomes, lake=lake)
    for batch, reasons in (("b2", ["bad float", "missing key"]), ("b3", ["bad float"])):
        rows = [
            {"source_row": n + 1, "reason": r, "record": {"lap_time": "x"}}
            for n, r in enumerate(reasons)
        ]
        write_quarantine(
            quarantine_rows(
                rows,
                batch_id=batch,
                source=f"file:///landing/{batch}.csv",
                ingested_at=T0 + timedelta(hours=int(batch[1:])),
                stage="parse",
            ),
            "csv_laps",
            lake=lake,
        )
