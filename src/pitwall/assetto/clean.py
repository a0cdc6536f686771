"""RAW capture rows -> CLEAN tables (pure polars functions; see ``pitwall.assetto.tables``).

Conventions: timestamps are receive times (UTC); ``gear`` is converted from AC's
0 = R, 1 = N, 2 = 1st to -1 = R, 0 = N, 1 = 1st; speeds are km/h.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from pitwall.assetto.dedupe import dedupe_by_keys, dedupe_collisions, drop_duplicate_datagrams
from pitwall.assetto.sessions import (
    arrival_order,
    assign_sessions,
    game_sessions,
    server_drivers,
    server_sessions,
)
from pitwall.assetto.tables import CLEAN_KEYS, SOURCE
from pitwall.assetto.telemetry import channel_columns
from pitwall.lake.ingest import TIMESTAMP, empty_quarantine, make_batch_id, quarantine_rows

__all__ = ["CleanParams", "build_clean"]

NO_TIME = 999_999_999
# Key columns of ac_laps / ac_drivers are never null (PostgreSQL primary keys): Remote
# Telemetry carries no GUID, and a lap whose driver the capture never saw has no name.
NO_GUID = ""
UNKNOWN_DRIVER = ""


@dataclass(frozen=True)
class CleanParams:
    handshake_cluster_s: float = 2.0
    collision_pair_window_s: float = 1.0
    collision_pair_max_distance_m: float | None = None
    duplicate_window_s: float = 0.05
    reorder_window_s: float = 0.5


def _frame(frames: dict[str, pl.DataFrame], kind: str) -> pl.DataFrame | None:
    frame = frames.get(kind)
    return frame if frame is not None and frame.height else None


def _finite(*columns: str) -> pl.Expr:
    return pl.all_horizontal([pl.col(c).is_finite() for c in columns])


def _split_bad(
    frame: pl.DataFrame, ok: pl.Expr, reason: str, quarantine: list[dict[str, Any]]
) -> pl.DataFrame:
    flagged = frame.with_columns(_ok=ok.fill_null(False))
    for row in flagged.filter(~pl.col("_ok")).drop("_ok").iter_rows(named=True):
        quarantine.append(
            {
                "source": row.get("_source"),
                "source_row": row.get("_source_row"),
                "batch_id": row.get("_batch_id"),
                "reason": reason,
                "record": {k: v for k, v in row.items() if not k.startswith("_")},
                "capture_id": row.get("capture_id"),
            }
        )
    return flagged.filter(pl.col("_ok")).drop("_ok")


# ----------------------------------------------------------------------------- game
def game_telemetry(cars: pl.DataFrame, sessions: pl.DataFrame) -> pl.DataFrame:
    """One row per RTCarInfo with lap number, distance along the lap and every channel
    (see :mod:`pitwall.assetto.telemetry` for the columns and their units)."""
    rows = assign_sessions(cars, sessions).sort("session_id", "received_at")
    speed_ms = pl.col("speed_ms").cast(pl.Float64)
    lap_s = pl.col("lap_time").cast(pl.Float64) / 1000
    step = (lap_s - lap_s.shift(1)).clip(lower_bound=0.0)
    lap = ["session_id", "lap_number"]
    return (
        rows.with_columns(lap_number=(pl.col("lap_count") + 1).cast(pl.Int64))
        .with_columns(
            _part=pl.when(pl.int_range(pl.len()).over(lap) == 0)
            .then(speed_ms * lap_s)  # since the lap started, at the first sample's speed
            .otherwise((speed_ms + speed_ms.shift(1)) / 2 * step)
            .over(lap)
        )
        .select(
            "session_id",
            pl.lit(0, pl.Int64).alias("car_id"),
            "lap_number",
            pl.col("received_at").alias("ts"),
            pl.col("lap_time").cast(pl.Int64).alias("lap_time_ms"),
            pl.col("_part").cum_sum().over(lap).alias("distance_m"),
            pl.col("car_position_normalized").cast(pl.Float64).alias("normalized_pos"),
            *channel_columns(rows),
        )
    )


def game_laps(
    telemetry: pl.DataFrame,
    laps: pl.DataFrame | None,
    sessions: pl.DataFrame,
    drivers: pl.DataFrame,
) -> pl.DataFrame:
    """Laps of the player's car from its telemetry, plus RTLap events the telemetry lacks."""
    per_lap = telemetry.group_by("session_id", "lap_number").agg(
        top_speed_kmh=pl.col("speed_kmh").max(), in_pit=pl.col("in_pit").any()
    )
    done = (
        telemetry.sort("session_id", "lap_number", "ts")  # lap order first: UDP reorders
        .with_columns(prev=pl.col("lap_number").shift(1).over("session_id"))
        .filter(pl.col("prev").is_not_null() & (pl.col("lap_number") > pl.col("prev")))
        .select(
            "session_id",
            pl.lit(0, pl.Int64).alias("car_id"),
            (pl.col("lap_number") - 1).alias("lap_number"),
            pl.col("last_lap_ms").alias("lap_time_ms"),
            pl.col("ts").alias("completed_at"),
        )
        .join(per_lap, on=["session_id", "lap_number"], how="left")
        .with_columns(valid=~pl.col("in_pit").fill_null(False) & (pl.col("lap_time_ms") > 0))
        .drop("in_pit")
    )
    frames = [done]
    if laps is not None:
        events = assign_sessions(laps, sessions).select(
            "session_id",
            pl.col("car_identifier_number").cast(pl.Int64).alias("car_id"),
            (pl.col("lap") + 1).cast(pl.Int64).alias("lap_number"),
            pl.col("time").cast(pl.Int64).alias("lap_time_ms"),
            pl.col("received_at").alias("completed_at"),
            pl.lit(None, pl.Float64).alias("top_speed_kmh"),
            pl.lit(None, pl.Boolean).alias("valid"),
            pl.col("driver_name").alias("_rt_driver"),
        )
        frames.append(events.join(done, on=["session_id", "car_id", "lap_number"], how="anti"))
    out = pl.concat(frames, how="diagonal_relaxed")
    # the player's name comes from the session's handshake (one per game session)
    names = (
        drivers.sort("session_id", "car_id")
        .group_by("session_id", "car_id", maintain_order=True)
        .agg(pl.col("driver_name").first().alias("_driver"))
    )
    out = out.join(names, on=["session_id", "car_id"], how="left")
    rt = pl.col("_rt_driver") if "_rt_driver" in out.columns else pl.lit(None, pl.String)
    return out.select(
        "session_id",
        "car_id",
        pl.lit(NO_GUID).alias("driver_guid"),  # Remote Telemetry carries no GUID
        pl.coalesce(rt, pl.col("_driver"), pl.lit(UNKNOWN_DRIVER)).alias("driver_name"),
        "lap_number",
        "lap_time_ms",
        pl.lit(None, pl.Int64).alias("cuts"),
        "valid",
        pl.col("top_speed_kmh").cast(pl.Float64),
        "completed_at",
        pl.lit("game").alias("protocol"),
    )


def game_drivers(
    hands: pl.DataFrame | None, laps: pl.DataFrame | None, sessions: pl.DataFrame
) -> pl.DataFrame:
    parts = []
    if hands is not None:
        parts.append(
            assign_sessions(hands, sessions).select(
                "session_id",
                pl.lit(0, pl.Int64).alias("car_id"),
                "driver_name",
                pl.lit(None, pl.String).alias("driver_guid"),
                pl.col("car_name").alias("car_model"),
                pl.lit(None, pl.String).alias("car_skin"),
            )
        )
    if laps is not None:
        parts.append(
            assign_sessions(laps, sessions).select(
                "session_id",
                pl.col("car_identifier_number").cast(pl.Int64).alias("car_id"),
                "driver_name",
                pl.lit(None, pl.String).alias("driver_guid"),
                pl.col("car_name").alias("car_model"),
                pl.lit(None, pl.String).alias("car_skin"),
            )
        )
    if not parts:
        return pl.DataFrame(schema=DRIVER_COLUMNS)
    return driver_rows(pl.concat(parts))


DRIVER_COLUMNS: dict[str, pl.DataType] = {
    "session_id": pl.String(),
    "car_id": pl.Int64(),
    "driver_guid": pl.String(),
    "driver_name": pl.String(),
    "car_model": pl.String(),
    "car_skin": pl.String(),
}


def driver_rows(sightings: pl.DataFrame) -> pl.DataFrame:
    """One row per driver of a car in a session (``CLEAN_KEYS['ac_drivers']``) from every
    sighting of them (handshakes, RTLap events, connections): an aggregation, not a dedupe,
    so no input record is lost; a missing GUID or name becomes ``''`` (key columns)."""
    keys = list(CLEAN_KEYS["ac_drivers"])
    if "connected_at" in sightings.columns:
        sightings = sightings.sort("connected_at", maintain_order=True)
    return (
        sightings.with_columns(
            pl.col("driver_guid").fill_null(NO_GUID),
            pl.col("driver_name").fill_null(UNKNOWN_DRIVER),
        )
        .group_by(keys, maintain_order=True)
        .agg(pl.col("car_model").drop_nulls().first(), pl.col("car_skin").drop_nulls().first())
        .select(list(DRIVER_COLUMNS))
        .cast(DRIVER_COLUMNS)  # type: ignore[arg-type]
    )


# ----------------------------------------------------------------------------- server
def car_positions(updates: pl.DataFrame, sessions: pl.DataFrame) -> pl.DataFrame:
    pos, vel = pl.col("pos"), pl.col("velocity")
    return assign_sessions(updates, sessions).select(
        "session_id",
        pl.col("car_id").cast(pl.Int64),
        pl.col("received_at").alias("ts"),
        pos.list.get(0).cast(pl.Float64).alias("x"),
        pos.list.get(1).cast(pl.Float64).alias("y"),
        pos.list.get(2).cast(pl.Float64).alias("z"),
        # SM's convention: horizontal speed, |(vx, vz)| in km/h
        (
            (vel.list.get(0).cast(pl.Float64) ** 2 + vel.list.get(2).cast(pl.Float64) ** 2).sqrt()
            * 3.6
        ).alias("speed_kmh"),
        (pl.col("gear") - 1).cast(pl.Int64).alias("gear"),
        pl.col("engine_rpm").cast(pl.Float64).alias("rpm"),
        pl.col("normalized_spline_pos").cast(pl.Float64).alias("normalized_pos"),
    )


def server_laps(
    completed: pl.DataFrame, positions: pl.DataFrame, sessions: pl.DataFrame, drivers: pl.DataFrame
) -> pl.DataFrame:
    """LAP_COMPLETED rows, each attributed to the connection that drove it (the driver
    connected to the car slot when the lap completed: ``drivers`` holds one row per
    connection, see ``server_drivers``).

    ``lap_number`` is the lap's order within that connection (driver GUID + name + car slot +
    session): a slot changing hands restarts it, as acServer restarts the car's lap count. In a
    race the leaderboard's lap count is used instead while it rises lap after lap within the
    connection (it numbers laps completed before the capture started too). Validity comes from
    cuts, top speed from the car's updates since its previous lap."""
    rows = (
        assign_sessions(completed, sessions)
        .join(sessions.select("session_id", "session_type"), on="session_id", how="left")
        .sort("received_at")
        .with_columns(car_id=pl.col("car_id").cast(pl.Int64))
        .with_row_index("_lap")
    )
    own = (
        rows.explode("leaderboard")
        .filter(pl.col("leaderboard").struct.field("car_id").cast(pl.Int64) == pl.col("car_id"))
        .select("_lap", pl.col("leaderboard").struct.field("laps").cast(pl.Int64).alias("_entry"))
    )
    who = drivers.select("session_id", "car_id", "driver_guid", "driver_name", "connected_at").sort(
        "connected_at"
    )
    rows = (
        rows.join(own, on="_lap", how="left")
        .sort("received_at")
        .join_asof(
            who,
            left_on="received_at",
            right_on="connected_at",
            by=["session_id", "car_id"],
            strategy="backward",
            check_sortedness=False,
        )
        .sort("received_at")
        .with_columns(
            pl.col("driver_guid").fill_null(NO_GUID),
            pl.col("driver_name").fill_null(UNKNOWN_DRIVER),
        )
    )
    connection = ["session_id", "car_id", "driver_guid", "driver_name"]
    entry = pl.col("_entry")
    rising = (entry.is_not_null() & (entry.diff().fill_null(1) > 0)).all().over(connection)
    rows = rows.with_columns(
        lap_number=pl.when((pl.col("session_type") == "race") & rising)
        .then(entry)
        .otherwise(pl.int_range(1, pl.len() + 1).over(connection))
        .cast(pl.Int64),
        _prev=pl.col("received_at").shift(1).over("session_id", "car_id"),
    )
    speeds = (
        rows.select("_lap", "session_id", "car_id", "_prev", "received_at")
        .join(
            positions.select("session_id", "car_id", "ts", "speed_kmh"),
            on=["session_id", "car_id"],
            how="inner",
        )
        .filter(
            (pl.col("ts") <= pl.col("received_at"))
            & (pl.col("_prev").is_null() | (pl.col("ts") > pl.col("_prev")))
        )
        .group_by("_lap")
        .agg(top_speed_kmh=pl.col("speed_kmh").max())
    )
    return rows.join(speeds, on="_lap", how="left").select(
        "session_id",
        "car_id",
        "driver_guid",
        "driver_name",
        "lap_number",
        pl.col("lap_time").cast(pl.Int64).alias("lap_time_ms"),
        pl.col("cuts").cast(pl.Int64),
        (pl.col("cuts") == 0).alias("valid"),
        pl.col("top_speed_kmh").cast(pl.Float64),
        pl.col("received_at").alias("completed_at"),
        pl.lit("server").alias("protocol"),
    )


def leaderboard(
    completed: pl.DataFrame, sessions: pl.DataFrame, known: pl.DataFrame
) -> pl.DataFrame:
    """Every LAP_COMPLETED leaderboard, one row per position, for cars seen in the session
    (empty slots dropped); ``time_ms`` is null for "no time" (999999999, or 0 laps)."""
    rows = (
        assign_sessions(completed, sessions)
        .select("session_id", pl.col("received_at").alias("ts"), "leaderboard")
        .with_columns(
            pl.col("leaderboard").list.eval(
                pl.element().struct.with_fields(position=pl.int_range(1, pl.len() + 1))
            )
        )
        .explode("leaderboard")
        .unnest("leaderboard")
        .with_columns(pl.col("car_id").cast(pl.Int64))
        .join(known, on=["session_id", "car_id"], how="semi")
    )
    no_time = (pl.col("time") == NO_TIME) | (pl.col("laps") == 0) & (pl.col("time") == 0)
    return rows.select(
        "session_id",
        "ts",
        pl.col("position").cast(pl.Int64),
        "car_id",
        pl.when(no_time).then(None).otherwise(pl.col("time")).cast(pl.Int64).alias("time_ms"),
        pl.col("laps").cast(pl.Int64),
        pl.col("has_completed"),
    )


def collisions(
    client_events: pl.DataFrame, sessions: pl.DataFrame, params: CleanParams
) -> pl.DataFrame:
    world = pl.col("world_pos")
    events = assign_sessions(client_events, sessions).select(
        "session_id",
        pl.col("received_at").alias("ts"),
        pl.when(pl.col("event_type") == 10)
        .then(pl.lit("car"))
        .otherwise(pl.lit("env"))
        .alias("kind"),
        pl.col("car_id").cast(pl.Int64),
        pl.col("other_car_id").cast(pl.Int64),
        pl.col("impact_speed").cast(pl.Float64),
        world.list.get(0).cast(pl.Float64).alias("world_x"),
        world.list.get(1).cast(pl.Float64).alias("world_y"),
        world.list.get(2).cast(pl.Float64).alias("world_z"),
    )
    return dedupe_collisions(
        events,
        window_s=params.collision_pair_window_s,
        max_distance_m=params.collision_pair_max_distance_m,
    )


# ----------------------------------------------------------------------------- all
def build_clean(
    frames: dict[str, pl.DataFrame], params: CleanParams
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """CLEAN tables for the given captures' RAW rows, and the rows quarantined on the way."""
    bad: list[dict[str, Any]] = []
    frames = drop_duplicate_datagrams(frames, window_s=params.duplicate_window_s, quarantine=bad)
    if "rt_car_info" in frames:  # the stream whose lap counter tells restarts
        frames = {**frames, "rt_car_info": arrival_order(frames["rt_car_info"])}
    sessions = pl.concat(
        [
            server_sessions(frames),
            game_sessions(
                frames,
                handshake_cluster_s=params.handshake_cluster_s,
                reorder_window_s=params.reorder_window_s,
            ),
        ]
    ).unique("session_id", keep="first", maintain_order=True)
    tables: dict[str, pl.DataFrame] = {}

    cars = _frame(frames, "rt_car_info")
    rt_laps = _frame(frames, "rt_lap")
    g_drivers = game_drivers(_frame(frames, "handshake_response"), rt_laps, sessions)
    parts_laps = []
    if cars is not None:
        cars = _split_bad(
            cars,
            _finite("speed_kmh", "speed_ms") & (pl.col("lap_time") >= 0),
            "non-finite speed or negative lap time",
            bad,
        )
        cars = _split_bad(
            cars,
            pl.col("car_coordinates").list.eval(pl.element().is_finite()).list.all(),
            "non-finite coordinates",
            bad,
        )
        telemetry = game_telemetry(cars, sessions)
        parts_laps.append(game_laps(telemetry, rt_laps, sessions, g_drivers))
        tables["ac_telemetry"] = telemetry
    elif rt_laps is not None:
        empty = pl.DataFrame(
            schema={
                "session_id": pl.String(),
                "lap_number": pl.Int64(),
                "speed_kmh": pl.Float64(),
                "in_pit": pl.Boolean(),
                "ts": TIMESTAMP,
                "last_lap_ms": pl.Int64(),
            }
        )
        parts_laps.append(game_laps(empty, rt_laps, sessions, g_drivers))

    s_drivers = server_drivers(frames, sessions)
    updates = _frame(frames, "car_update")
    positions = pl.DataFrame()
    if updates is not None:
        updates = _split_bad(
            updates,
            pl.col("pos").list.eval(pl.element().is_finite()).list.all()
            & pl.col("velocity").list.eval(pl.element().is_finite()).list.all(),
            "non-finite position or velocity",
            bad,
        )
        positions = car_positions(updates, sessions)
        tables["ac_car_positions"] = positions
    completed = _frame(frames, "lap_completed")
    if completed is not None:
        completed = _split_bad(completed, pl.col("lap_time") > 0, "lap_time must be > 0", bad)
        pos_for_laps = (
            positions
            if positions.height
            else pl.DataFrame(
                schema={
                    "session_id": pl.String(),
                    "car_id": pl.Int64(),
                    "ts": TIMESTAMP,
                    "speed_kmh": pl.Float64(),
                }
            )
        )
        parts_laps.append(server_laps(completed, pos_for_laps, sessions, s_drivers))
    events = _frame(frames, "client_event")
    if events is not None:
        events = _split_bad(
            events,
            _finite("impact_speed")
            & pl.col("world_pos").list.eval(pl.element().is_finite()).list.all(),
            "non-finite collision values",
            bad,
        )
        tables["ac_collisions"] = collisions(events, sessions, params)

    drivers = pl.concat([g_drivers, driver_rows(s_drivers)])
    tables["ac_drivers"] = drivers
    if parts_laps:
        tables["ac_laps"] = pl.concat(parts_laps, how="diagonal_relaxed")
    if completed is not None:
        seen = [drivers.select("session_id", "car_id")]
        if "ac_laps" in tables:
            seen.append(tables["ac_laps"].select("session_id", "car_id"))
        if positions.height:
            seen.append(positions.select("session_id", "car_id"))
        tables["ac_leaderboard"] = leaderboard(completed, sessions, pl.concat(seen).unique())
    tables["ac_sessions"] = sessions
    capture = pl.col("session_id").str.replace(r"#\d+$", "")
    for name, keys in CLEAN_KEYS.items():
        if name in tables:
            frame = tables[name]
            if "capture_id" not in frame.columns:
                frame = frame.with_columns(capture.alias("capture_id"))
            tables[name] = dedupe_by_keys(frame, keys, table=name, quarantine=bad)
    return tables, _quarantine(bad)


def capture_batch_id(capture: str) -> str:
    """The batch CLEAN-stage quarantine rows of a capture's derived rows belong to (rows that
    come from no single RAW row, e.g. a lap superseded by another with the same key)."""
    return make_batch_id(f"{SOURCE}-clean", fingerprint=capture)


def _quarantine(bad: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows unfit for CLEAN, each under the RAW batch it came from (its capture's otherwise)."""
    if not bad:
        return empty_quarantine()
    from pitwall.lake.ingest import utc_now

    now = utc_now()
    frames = []
    by_batch: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in bad:
        capture = str(row.pop("capture_id"))
        batch = row.pop("batch_id", None) or capture_batch_id(capture)
        by_batch.setdefault((str(batch), capture), []).append(row)
    for (batch, capture), rows in by_batch.items():
        frames.append(
            quarantine_rows(rows, batch_id=batch, source=capture, ingested_at=now, stage="clean")
        )
    return pl.concat(frames)
