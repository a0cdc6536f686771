"""A demo-like Assetto Corsa lake following the CLEAN contract of the brief.

- ``hotlap-1`` (protocol ``game``, track ``pitwall_ring``): car 0 driven by Dana, an out-lap
  (lap 0, telemetry only) and laps 1-4 with telemetry at 20 Hz; lap 3 is the fastest, lap 2
  is invalid, lap 4 holds the best first sector (so the theoretical best beats lap 3).
- ``hotlap-2`` (game, an hour later, same track and car): Eve, laps 1-3, all slower than
  Dana's best; her lap 3 holds her best third sector.
- ``race-1`` (protocol ``server``): cars 0-3 race 6 laps; car positions, a leaderboard
  snapshot after every lap, two car/car collisions and one with the wall.
- ``raw.ingestion_log`` with three batches of two sources and ``quarantine.csv_lap_times``.

The track is a closed curve of about 1.9 km; speed follows its curvature so the traces and
the map look like a real lap. All numbers are deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from pitwall.lake.delta import write_table
from pitwall.lake.ingest import BatchOutcome, quarantine_rows
from pitwall.lake.layout import Lake
from pitwall.lake.records import write_ingestion_log, write_quarantine

T0 = datetime(2025, 6, 1, 14, 0, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")
HOTLAP = "hotlap-1"
RACE = "race-1"
# lap -> (pace, sector driven 4% faster): lap 3 is the fastest, lap 4 has the best sector 1
HOTLAP_PACES: dict[int, tuple[float, int | None]] = {
    0: (0.8, None),
    1: (0.97, None),
    2: (0.99, None),
    3: (1.0, None),
    4: (0.985, 0),
}
HOTLAP_INVALID = {2}
HOTLAP2 = "hotlap-2"
HOTLAP2_PACES: dict[int, tuple[float, int | None]] = {
    1: (0.95, None),
    2: (0.97, None),
    3: (0.96, 2),
}
RACE_DRIVERS = {0: "Ana", 1: "Ben", 2: "Cleo", 3: "Dev"}
RACE_PACE = {0: 1.0, 1: 0.985, 2: 0.97, 3: 0.955}
RACE_TREND = {0: -0.004, 1: 0.0, 2: 0.0, 3: 0.012}  # pace change per lap: Dev climbs the order
RACE_LAPS = 6
SAMPLE_HZ = 20


@dataclass(frozen=True)
class Track:
    s: np.ndarray  # distance along the lap at each vertex
    x: np.ndarray
    z: np.ndarray
    speed: np.ndarray  # m/s at full pace
    length: float

    def at(self, distance: np.ndarray) -> dict[str, np.ndarray]:
        d = np.mod(distance, self.length)
        return {
            "x": np.interp(d, self.s, self.x),
            "z": np.interp(d, self.s, self.z),
            "speed": np.interp(d, self.s, self.speed),
        }


def make_track(length_m: float = 1900.0) -> Track:
    theta = np.linspace(0.0, 2 * math.pi, 2001)
    x = np.cos(theta) + 0.25 * np.cos(2 * theta)
    z = 0.55 * np.sin(theta) + 0.2 * np.sin(3 * theta)
    seg = np.hypot(np.diff(x), np.diff(z))
    scale = length_m / seg.sum()
    x, z = x * scale, z * scale
    s = np.concatenate(([0.0], np.cumsum(seg * scale)))
    dx, dz = np.gradient(x), np.gradient(z)
    ddx, ddz = np.gradient(dx), np.gradient(dz)
    curvature = np.abs(dx * ddz - dz * ddx) / np.power(dx * dx + dz * dz, 1.5)
    speed = np.minimum(70.0, np.sqrt(2.0 * 9.81 / np.maximum(curvature, 1e-6)))
    speed = np.convolve(np.pad(speed, 40, mode="wrap"), np.ones(81) / 81, mode="valid")
    return Track(s=s, x=x, z=z, speed=speed, length=float(s[-1]))


def drive_lap(
    track: Track, *, pace: float, fast_sector: int | None = None, hz: int = SAMPLE_HZ
) -> dict[str, np.ndarray]:
    """Samples of one lap at ``pace`` (4% faster in third ``fast_sector``): time (ms),
    distance and the car's state."""
    fine = np.linspace(0.0, track.length, 4000)
    profile = np.full(fine.shape, pace)
    if fast_sector is not None:
        third = track.length / 3
        profile[(fine >= fast_sector * third) & (fine < (fast_sector + 1) * third)] += 0.04
    v = np.interp(fine, track.s, track.speed) * profile
    dt = np.diff(fine) / ((v[:-1] + v[1:]) / 2)
    t = np.concatenate(([0.0], np.cumsum(dt)))
    times = np.arange(0.0, t[-1], 1.0 / hz)
    distance = np.interp(times, t, fine)
    state = track.at(distance)
    speed = state["speed"] * np.interp(distance, fine, profile)
    accel = np.gradient(speed, times)
    heading = np.unwrap(np.arctan2(np.gradient(state["z"]), np.gradient(state["x"])))
    yaw_rate = np.gradient(heading, times)
    return {
        "t_ms": np.round(times * 1000).astype(np.int64),
        "distance": distance,
        "x": state["x"],
        "z": state["z"],
        "speed_kmh": speed * 3.6,
        "throttle": np.clip(0.4 + accel / 6, 0, 1),
        "brake": np.clip(-accel / 10, 0, 1),
        "steer": np.clip(np.gradient(heading) * 25, -1, 1),
        "gear": np.clip((speed * 3.6 // 45).astype(np.int64) + 2, 2, 7),
        "rpm": 3000 + (speed * 3.6 % 45) / 45 * 4500,
        "g_lateral": speed * yaw_rate / 9.81,
        "g_longitudinal": accel / 9.81,
        "lap_time_ms": round(float(t[-1]) * 1000),
    }


def hotlap_frames(
    track: Track,
    *,
    session: str = HOTLAP,
    driver: str = "Dana",
    paces: dict[int, tuple[float, int | None]] = HOTLAP_PACES,
    invalid: set[int] = HOTLAP_INVALID,
    start: datetime = T0,
) -> dict[str, pl.DataFrame]:
    telemetry, laps = [], []
    for lap, (pace, fast_sector) in paces.items():
        run = drive_lap(track, pace=pace, fast_sector=fast_sector)
        n = len(run["t_ms"])
        ts = [start + timedelta(milliseconds=int(ms)) for ms in run["t_ms"]]
        telemetry.append(
            pl.DataFrame(
                {
                    "session_id": session,
                    "car_id": 0,
                    "lap_number": lap,
                    "ts": ts,
                    "lap_time_ms": run["t_ms"],
                    "distance_m": run["distance"],
                    "normalized_pos": run["distance"] / track.length,
                    "speed_kmh": run["speed_kmh"],
                    "throttle": run["throttle"],
                    "brake": run["brake"],
                    "clutch": np.ones(n),
                    "steer": run["steer"],
                    "gear": run["gear"],
                    "rpm": run["rpm"],
                    "g_lateral": run["g_lateral"],
                    "g_longitudinal": run["g_longitudinal"],
                    "x": run["x"],
                    "y": np.zeros(n),
                    "z": run["z"],
                },
                schema_overrides={"ts": TS},
            )
        )
        start += timedelta(milliseconds=run["lap_time_ms"])
        if lap > 0:
            laps.append(
                {
                    "session_id": session,
                    "car_id": 0,
                    "lap_number": lap,
                    "lap_time_ms": run["lap_time_ms"],
                    "cuts": None,
                    "valid": lap not in invalid,
                    "top_speed_kmh": None,
                    "completed_at": start,
                    "driver_name": driver,
                    "protocol": "game",
                }
            )
    return {
        "ac_telemetry": pl.concat(telemetry).with_columns(
            pl.col("car_id", "lap_number", "gear").cast(pl.Int32)
        ),
        "ac_laps": pl.DataFrame(laps, schema=LAP_SCHEMA),
    }


LAP_SCHEMA: dict[str, pl.DataType] = {
    "session_id": pl.String(),
    "car_id": pl.Int32(),
    "lap_number": pl.Int32(),
    "lap_time_ms": pl.Int64(),
    "cuts": pl.Int32(),
    "valid": pl.Boolean(),
    "top_speed_kmh": pl.Float64(),
    "completed_at": TS,
    "driver_name": pl.String(),
    "protocol": pl.String(),
}


def race_frames(track: Track) -> dict[str, pl.DataFrame]:
    race_start = T0 + timedelta(hours=2)
    laps, positions = [], []
    crossings: dict[int, list[datetime]] = {}
    for car, pace in RACE_PACE.items():
        clock = race_start + timedelta(seconds=car * 0.8)  # staggered grid
        crossings[car] = []
        for lap in range(1, RACE_LAPS + 1):
            lap_pace = pace + RACE_TREND[car] * lap - 0.003 * ((lap * (car + 1)) % 3)
            run = drive_lap(track, pace=lap_pace, hz=2)
            positions.append(
                pl.DataFrame(
                    {
                        "session_id": RACE,
                        "car_id": car,
                        "ts": [clock + timedelta(milliseconds=int(ms)) for ms in run["t_ms"]],
                        "x": run["x"],
                        "y": 0.0,
                        "z": run["z"],
                        "speed_kmh": run["speed_kmh"],
                        "gear": run["gear"],
                        "rpm": run["rpm"],
                        "normalized_pos": run["distance"] / track.length,
                    },
                    schema_overrides={"ts": TS},
                )
            )
            clock += timedelta(milliseconds=run["lap_time_ms"])
            crossings[car].append(clock)
            laps.append(
                {
                    "session_id": RACE,
                    "car_id": car,
                    "lap_number": lap,
                    "lap_time_ms": run["lap_time_ms"],
                    "cuts": 1 if (car, lap) == (2, 3) else 0,
                    "valid": (car, lap) != (2, 3),
                    "top_speed_kmh": float(run["speed_kmh"].max()),
                    "completed_at": clock,
                    "driver_name": RACE_DRIVERS[car],
                    "protocol": "server",
                }
            )
    board = []
    for lap in range(1, RACE_LAPS + 1):
        at = max(crossings[c][lap - 1] for c in RACE_PACE)
        order = sorted(RACE_PACE, key=lambda c: crossings[c][lap - 1])
        for position, car in enumerate(order, start=1):
            elapsed = crossings[car][lap - 1] - race_start
            board.append(
                {
                    "session_id": RACE,
                    "ts": at,
                    "position": position,
                    "car_id": car,
                    "time_ms": int(elapsed.total_seconds() * 1000),
                    "laps": lap,
                    "has_completed": lap == RACE_LAPS,
                }
            )
    where = track.at(np.array([300.0, 950.0, 1500.0]))
    collisions = pl.DataFrame(
        {
            "session_id": RACE,
            "ts": [race_start + timedelta(seconds=s) for s in (20, 150, 260)],
            "kind": ["car", "env", "car"],
            "car_id": [1, 2, 3],
            "other_car_id": [0, None, 2],
            "impact_speed": [23.5, 61.0, 12.25],
            "world_x": where["x"],
            "world_y": 0.0,
            "world_z": where["z"],
        },
        schema_overrides={"ts": TS, "car_id": pl.Int32, "other_car_id": pl.Int32},
    )
    return {
        "ac_laps": pl.DataFrame(laps, schema=LAP_SCHEMA),
        "ac_car_positions": pl.concat(positions).with_columns(
            pl.col("car_id", "gear").cast(pl.Int32)
        ),
        "ac_leaderboard": pl.DataFrame(
            board,
            schema_overrides={"ts": TS, "position": pl.Int32, "car_id": pl.Int32},
        ),
        "ac_collisions": collisions,
    }


def sessions_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "session_id": [HOTLAP, HOTLAP2, RACE],
            "protocol": ["game", "game", "server"],
            "track": ["pitwall_ring"] * 3,
            "track_config": ["", None, "gp"],
            "session_name": [None, None, "Sunday Race"],
            "session_type": ["hotlap", "hotlap", "race"],
            "server_name": [None, None, "Pitwall Cup"],
            "started_at": [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)],
            "capture_id": ["cap-game", "cap-game-2", "cap-server"],
        },
        schema_overrides={"started_at": TS},
    )


def drivers_frame() -> pl.DataFrame:
    cars = [(HOTLAP, 0, "Dana", "ks_mazda_mx5_cup"), (HOTLAP2, 0, "Eve", "ks_mazda_mx5_cup")] + [
        (RACE, car, name, ["ks_bmw_m4_gt3", "ks_audi_r8_gt3"][car % 2])
        for car, name in RACE_DRIVERS.items()
    ]
    return pl.DataFrame(
        {
            "session_id": [c[0] for c in cars],
            "car_id": [c[1] for c in cars],
            "driver_name": [c[2] for c in cars],
            "driver_guid": [f"guid-{c[2].lower()}" for c in cars],
            "car_model": [c[3] for c in cars],
            "car_skin": ["default"] * len(cars),
        },
        schema_overrides={"car_id": pl.Int32},
    )


def write_fixture_lake(lake: Lake, *, with_bookkeeping: bool = True) -> None:
    """Write every AC CLEAN table (and the bookkeeping tables) into ``lake``."""
    track = make_track()
    hot, race = hotlap_frames(track), race_frames(track)
    eve = hotlap_frames(
        track,
        session=HOTLAP2,
        driver="Eve",
        paces=HOTLAP2_PACES,
        invalid=set(),
        start=T0 + timedelta(hours=1),
    )
    tables = {
        "ac_sessions": sessions_frame(),
        "ac_drivers": drivers_frame(),
        "ac_laps": pl.concat([hot["ac_laps"], eve["ac_laps"], race["ac_laps"]]),
        "ac_telemetry": pl.concat([hot["ac_telemetry"], eve["ac_telemetry"]]),
        "ac_car_positions": race["ac_car_positions"],
        "ac_collisions": race["ac_collisions"],
        "ac_leaderboard": race["ac_leaderboard"],
    }
    for name, frame in tables.items():
        write_table(frame, lake.table_uri("clean", name), mode="overwrite")
    if with_bookkeeping:
        write_bookkeeping(lake)


def write_bookkeeping(lake: Lake) -> None:
    """Three batches of two sources (one with quarantined rows) and their quarantine rows."""
    outcomes = [
        BatchOutcome(
            batch_id=f"batch-{i}",
            source=source,
            pipeline=pipeline,
            started_at=T0 + timedelta(hours=i),
            rows_in=rows_in,
            rows_landed=rows_in - quarantined,
            rows_quarantined=quarantined,
            status="ok" if quarantined == 0 else "partial",
            finished_at=T0 + timedelta(hours=i, minutes=1),
        )
        for i, source, pipeline, rows_in, quarantined in (
            (1, "file:///landing/csv/lap_times/round1.csv", "ingest_csv", 120, 3),
            (2, "file:///landing/csv/lap_times/round2.csv", "ingest_csv", 80, 0),
            (3, "capture://rig-1/hotlap-1", "ingest_assetto", 2000, 0),
        )
    ]
    write_ingestion_log(outcomes, lake=lake)
    rows = [
        {"source_row": 7, "reason": "lap_time_s: not a float ('1:32.4')", "record": "7,r1,..."},
        {"source_row": 19, "reason": "missing key entry_id", "record": ",r1,..."},
        {"source_row": 44, "reason": "lap_time_s: not a float ('DNF')", "record": "44,r1,..."},
    ]
    write_quarantine(
        quarantine_rows(
            rows,
            batch_id="batch-1",
            source="file:///landing/csv/lap_times/round1.csv",
            ingested_at=T0 + timedelta(hours=1),
            stage="validate",
        ),
        "csv_lap_times",
        lake=lake,
    )
