"""A small hand-built lake for the season metrics, with answers worked out by hand.

Circuit ``testring`` (no layout, 1 km a lap, sector lines at 25 % and 50 % in the test conf):

- ``s1`` (server practice, day 0) and ``s2`` (server race, day 1): Alice (GUID ``g-a``, car 0)
  and Bob (``g-b``, car 1) in the ``m1`` car; Cleo (``g-c``, car 2, car ``m2``) in ``s2`` only.
- ``g1`` (game, day 1): Alice's rig, which Remote Telemetry names only "Alice" (no GUID, no
  layout). It captured the three race laps the server timed in ``s2`` (same times, completed a
  few seconds apart), with telemetry for laps 2 and 3 whose sector times are known.
- ``s3`` (server, another circuit): one lap of Bob, never counted on ``testring``.
- Collisions: Alice into the barrier in ``s1``; Alice and Bob together, Bob into the barrier in
  ``s2``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake

T0 = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")
CONF = """
circuits:
  testring:
    name: Test Ring
    length_m: 1000
    sector_lines: [0.25, 0.5]
"""
# (session, car, driver, lap -> (lap_time_ms, cuts))
SERVER_LAPS = {
    ("s1", 0, "Alice"): [(100_000, 0), (90_000, 0), (91_000, 1), (90_500, 0)],
    ("s1", 1, "Bob"): [(101_000, 0), (92_000, 0), (92_500, 0), (91_500, 0)],
    ("s2", 0, "Alice"): [(95_000, 0), (89_000, 0), (89_600, 0)],
    ("s2", 1, "Bob"): [(96_000, 0), (90_000, 2), (90_800, 0)],
    ("s2", 2, "Cleo"): [(97_000, 0), (91_000, 0)],
    ("s3", 1, "Bob"): [(60_000, 0)],
}
# the game's sector times of Alice's race laps 2 and 3 (they add up to the lap times)
GAME_SECTORS = {2: (22_000, 23_000, 44_000), 3: (21_500, 23_500, 44_600)}
# with :func:`write_practice_rig`: her rig's practice lap 2 (``g0``, the 90 s lap of ``s1``)
PRACTICE_SECTORS = {2: (21_000, 24_000, 45_000)}
STARTS = {
    "g0": T0 + timedelta(seconds=5),
    "s1": T0,
    "s2": T0 + timedelta(days=1),
    "g1": T0 + timedelta(days=1, seconds=5),
    "s3": T0 + timedelta(days=3),
}

# the answers
BEST = {"g-a": 89_000, "g-b": 90_800, "g-c": 91_000}
RACING = {"g-a": [90_000, 90_500, 89_000, 89_600], "g-b": [92_000, 92_500, 91_500, 90_800]}
THEORETICAL_ALICE = 21_500 + 23_000 + 44_000
# her best S1 from the practice, S2 and S3 from the race
THEORETICAL_ALICE_ACROSS_SESSIONS = 21_000 + 23_000 + 44_000
IMPROVEMENT = {"g-a": 90_000 - 89_000, "g-b": 91_500 - 90_800}
CUTS_PER_100KM = {"g-a": 100 * 1 / 7, "g-b": 100 * 2 / 7, "g-c": 0.0}
INCIDENTS_PER_100KM = {"g-a": 100 * 2 / 7, "g-b": 100 * 2 / 7, "g-c": 0.0}


def _completed(session: str, car: int, lap: int) -> datetime:
    return STARTS[session] + timedelta(seconds=100 * lap + car)


def sessions() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "session_id": ["s1", "s2", "g1", "s3"],
            "protocol": ["server", "server", "game", "server"],
            "track": ["testring", "testring", "testring", "othertrack"],
            "track_config": ["", "", None, ""],
            "session_name": ["Practice", "Race", None, "Race"],
            "session_type": ["practice", "race", None, "race"],
            "server_name": ["Cup", "Cup", None, "Cup"],
            "started_at": [STARTS[s] for s in ("s1", "s2", "g1", "s3")],
            "capture_id": ["cap-s", "cap-s", "cap-g", "cap-s3"],
        },
        schema_overrides={"started_at": TS},
    )


def drivers() -> pl.DataFrame:
    rows = [
        (session, car, name, None if session == "g1" else f"g-{name[0].lower()}", model)
        for session, car, name, model in (
            ("s1", 0, "Alice", "m1"),
            ("s1", 1, "Bob", "m1"),
            ("s2", 0, "Alice", "m1"),
            ("s2", 1, "Bob", "m1"),
            ("s2", 2, "Cleo", "m2"),
            ("g1", 0, "Alice", "m1"),
            ("s3", 1, "Bob", "m1"),
        )
    ]
    return pl.DataFrame(
        rows,
        schema={
            "session_id": pl.String,
            "car_id": pl.Int64,
            "driver_name": pl.String,
            "driver_guid": pl.String,
            "car_model": pl.String,
        },
        orient="row",
    ).with_columns(pl.lit("default").alias("car_skin"))


def laps() -> pl.DataFrame:
    rows = []
    for (session, car, name), times in SERVER_LAPS.items():
        for lap, (ms, cuts) in enumerate(times, start=1):
            rows.append(
                (
                    session,
                    car,
                    lap,
                    ms,
                    cuts,
                    cuts == 0,
                    _completed(session, car, lap),
                    name,
                    "server",
                )
            )
    for lap, (ms, _) in enumerate(SERVER_LAPS[("s2", 0, "Alice")], start=1):
        at = _completed("s2", 0, lap) + timedelta(seconds=3)  # the rig's capture, a bit later
        rows.append(("g1", 0, lap, ms, None, True, at, "Alice", "game"))
    return pl.DataFrame(
        rows,
        schema={
            "session_id": pl.String,
            "car_id": pl.Int64,
            "lap_number": pl.Int64,
            "lap_time_ms": pl.Int64,
            "cuts": pl.Int64,
            "valid": pl.Boolean,
            "completed_at": TS,
            "driver_name": pl.String,
            "protocol": pl.String,
        },
        orient="row",
    ).with_columns(pl.lit(None, pl.Float64).alias("top_speed_kmh"))


def telemetry(
    session: str = "g1", sectors: dict[int, tuple[int, int, int]] = GAME_SECTORS
) -> pl.DataFrame:
    """Laps 2 and 3 of ``g1``: a sample every 1 % of the lap, time piecewise linear in each
    sector, so the sector lines (25 %, 50 %) are crossed at the known times."""
    frames = []
    for lap, (s1, s2, s3) in sectors.items():
        pos = [i / 100 for i in range(100)]

        def at(p: float, s1: int = s1, s2: int = s2, s3: int = s3) -> float:
            if p <= 0.25:
                return p / 0.25 * s1
            if p <= 0.5:
                return s1 + (p - 0.25) / 0.25 * s2
            return s1 + s2 + (p - 0.5) / 0.5 * s3

        times = [round(at(p)) for p in pos]
        start = _completed(session, 0, lap - 1)
        frames.append(
            pl.DataFrame(
                {
                    "session_id": session,
                    "car_id": 0,
                    "lap_number": lap,
                    "ts": [start + timedelta(milliseconds=t) for t in times],
                    "lap_time_ms": times,
                    "distance_m": [p * 1000 for p in pos],
                    "normalized_pos": pos,
                    "speed_kmh": 150.0,
                    "throttle": 1.0,
                    "brake": 0.0,
                    "x": pos,
                    "y": 0.0,
                    "z": pos,
                },
                schema_overrides={"ts": TS, "lap_time_ms": pl.Int64, "lap_number": pl.Int64},
            )
        )
    return pl.concat(frames)


def collisions() -> pl.DataFrame:
    rows = [
        ("s1", _completed("s1", 0, 2), "env", 0, None),
        ("s2", _completed("s2", 0, 2), "car", 0, 1),
        ("s2", _completed("s2", 1, 3), "env", 1, None),
    ]
    return pl.DataFrame(
        rows,
        schema={
            "session_id": pl.String,
            "ts": TS,
            "kind": pl.String,
            "car_id": pl.Int64,
            "other_car_id": pl.Int64,
        },
        orient="row",
    ).with_columns(
        pl.lit(30.0).alias("impact_speed"),
        *(pl.lit(0.0).alias(c) for c in ("world_x", "world_y", "world_z")),
    )


def write_season_lake(lake: Lake) -> None:
    for name, frame in (
        ("ac_sessions", sessions()),
        ("ac_drivers", drivers()),
        ("ac_laps", laps()),
        ("ac_telemetry", telemetry()),
        ("ac_collisions", collisions()),
    ):
        write_table(frame, lake.table_uri("clean", name), mode="overwrite")


def write_practice_rig(lake: Lake) -> None:
    """Add ``g0``: Alice's rig in the practice ``s1`` (day 0), which captured the laps the
    server timed for her there, with telemetry for lap 2 (:data:`PRACTICE_SECTORS`)."""
    session = (
        sessions()
        .filter(pl.col("session_id") == "g1")
        .with_columns(
            session_id=pl.lit("g0"),
            started_at=pl.lit(STARTS["g0"]).cast(TS),
            capture_id=pl.lit("cap-g0"),
        )
    )
    driver = drivers().filter(pl.col("session_id") == "g1").with_columns(session_id=pl.lit("g0"))
    rows = [
        ("g0", 0, lap, ms, None, True, _completed("s1", 0, lap) + timedelta(seconds=3), "Alice")
        for lap, (ms, _) in enumerate(SERVER_LAPS[("s1", 0, "Alice")], start=1)
    ]
    laps_g0 = pl.DataFrame(
        rows,
        schema={
            "session_id": pl.String,
            "car_id": pl.Int64,
            "lap_number": pl.Int64,
            "lap_time_ms": pl.Int64,
            "cuts": pl.Int64,
            "valid": pl.Boolean,
            "completed_at": TS,
            "driver_name": pl.String,
        },
        orient="row",
    ).with_columns(protocol=pl.lit("game"), top_speed_kmh=pl.lit(None, pl.Float64))
    for name, frame in (
        ("ac_sessions", session),
        ("ac_drivers", driver),
        ("ac_laps", laps_g0),
        ("ac_telemetry", telemetry("g0", PRACTICE_SECTORS)),
    ):
        write_table(frame, lake.table_uri("clean", name), mode="append")
