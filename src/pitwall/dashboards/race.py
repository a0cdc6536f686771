"""Race and session view of server plugin data: positions and gaps by lap, collisions, map."""

from __future__ import annotations

import polars as pl

from pitwall.dashboards.formatting import format_lap_time
from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.schema import has_table

REQUIRED_TABLES: tuple[str, ...] = ("clean.ac_sessions", "clean.ac_laps")
_POSITION_TABLES = ("ac_car_positions", "ac_telemetry")
_OUTLINE_SCHEMA: dict[str, pl.DataType] = {
    "x": pl.Float64(),
    "z": pl.Float64(),
    "speed_kmh": pl.Float64(),
    "normalized_pos": pl.Float64(),
}


def read_lap_positions(con: Connection, session_id: str) -> pl.DataFrame:
    """Each car's position after each lap, with gaps, ordered by lap and position.

    Cars are ranked among those that completed the lap, by the time they crossed the line
    (``completed_at``). ``race_time_ms`` is the sum of the car's lap times (a race's first lap
    counts from the start signal), and the gaps are differences of race times: exact whatever
    the delay between the server and the capture (null for the leader's gap to the car ahead).
    """
    return fetch_frame(
        con,
        """
        SELECT lap_number, car_id, driver_name, lap_time_ms, valid, completed_at,
               CAST(rank() OVER w AS BIGINT) AS position,
               race_time_ms - first_value(race_time_ms) OVER w AS gap_to_leader_ms,
               race_time_ms - lag(race_time_ms) OVER w AS gap_to_ahead_ms,
               race_time_ms
        FROM (
            SELECT lap_number, car_id, coalesce(driver_name, 'car ' || car_id) AS driver_name,
                   lap_time_ms, valid, completed_at,
                   CAST(sum(lap_time_ms) OVER (
                       PARTITION BY car_id ORDER BY lap_number
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT
                   ) AS race_time_ms
            FROM clean.ac_laps WHERE session_id = $session_id
        ) laps
        WINDOW w AS (PARTITION BY lap_number ORDER BY completed_at NULLS LAST, car_id)
        ORDER BY lap_number, position
        """,
        {"session_id": session_id},
    )


def read_collisions(con: Connection, session_id: str) -> pl.DataFrame:
    """Collisions of a session in time order, with the drivers' names and the session time."""
    names = (
        "(SELECT car_id, max(driver_name) AS driver_name FROM clean.ac_drivers "
        "WHERE session_id = $session_id GROUP BY car_id)"
        if has_table(con, layer="clean", table="ac_drivers")
        else "(SELECT NULL::INTEGER AS car_id, NULL::VARCHAR AS driver_name WHERE false)"
    )
    start = (
        "(SELECT max(started_at) FROM clean.ac_sessions WHERE session_id = $session_id)"
        if has_table(con, layer="clean", table="ac_sessions")
        else "NULL::TIMESTAMPTZ"
    )
    return fetch_frame(
        con,
        f"""
        SELECT CAST(row_number() OVER (ORDER BY c.ts, c.car_id) AS BIGINT) AS collision_no,
               c.ts, CAST(epoch_ms(c.ts) - epoch_ms({start}) AS BIGINT) AS session_ms,
               c.kind, c.car_id, a.driver_name, c.other_car_id,
               b.driver_name AS other_driver_name, c.impact_speed,
               c.world_x, c.world_y, c.world_z
        FROM clean.ac_collisions c
        LEFT JOIN {names} a ON a.car_id = c.car_id
        LEFT JOIN {names} b ON b.car_id = c.other_car_id
        WHERE c.session_id = $session_id
        ORDER BY c.ts, c.car_id
        """,  # nosec B608
        {"session_id": session_id},
    )


def read_track_outline(con: Connection, session_id: str, *, points: int = 800) -> pl.DataFrame:
    """At most ``points`` positions (x, z) spread over the track, ordered along the lap: the
    earliest sample in each ``1/points`` of the lap (by ``normalized_pos``).

    They come from the car positions (server) and telemetry (game) of every session on the same
    track as ``session_id`` (a layout, ``track_config``, matches when equal or unknown on either
    side), so a short race still gets a full outline. Empty when there are none.
    """
    if points < 1:
        raise ValueError("points must be positive")
    tables = [t for t in _POSITION_TABLES if has_table(con, layer="clean", table=t)]
    if not tables:
        return pl.DataFrame(schema=_OUTLINE_SCHEMA)
    sessions = "session_id = $session_id"
    if has_table(con, layer="clean", table="ac_sessions"):
        sessions = """(session_id = $session_id OR session_id IN (
            SELECT o.session_id FROM clean.ac_sessions o JOIN clean.ac_sessions s
              ON s.session_id = $session_id AND o.track = s.track
             AND (o.track_config IS NULL OR s.track_config IS NULL
                  OR o.track_config = s.track_config)))"""
    # tables come from _POSITION_TABLES, values are bound parameters
    samples = " UNION ALL ".join(
        f"SELECT x, z, speed_kmh, normalized_pos, ts FROM clean.{t} WHERE {sessions} "  # nosec B608
        "AND x IS NOT NULL AND z IS NOT NULL"
        for t in tables
    )
    # one sample per 1/points of the lap (the earliest): a hash aggregate, where ordering
    # every sample of the circuit's season by position cost a sort of millions of rows
    return fetch_frame(
        con,
        f"""
        SELECT s.x, s.z, s.speed_kmh, s.normalized_pos FROM (
            SELECT arg_min({{'x': x, 'z': z, 'speed_kmh': speed_kmh,
                             'normalized_pos': normalized_pos}}, ts) AS s
            FROM ({samples}) samples
            WHERE normalized_pos IS NOT NULL
            GROUP BY least(CAST(floor(normalized_pos * $points) AS BIGINT), $points - 1)
        )
        ORDER BY s.normalized_pos
        """,  # nosec B608
        {"session_id": session_id, "points": points},
    ).cast(_OUTLINE_SCHEMA)  # type: ignore[arg-type]


def leaderboard_table(leaderboard: pl.DataFrame) -> pl.DataFrame:
    """The standing for display: position, driver, their team (when the reference data gives
    anyone one), car, time as m:ss.mmm, laps, finished, and the penalty applied (``+5.000 s``,
    ``DSQ``, dropped places), if any."""
    if leaderboard.is_empty():
        return leaderboard
    teams = (
        [pl.col("team_id").fill_null("").alias("team")]
        if "team_id" in leaderboard.columns
        and leaderboard.get_column("team_id").is_not_null().any()
        else []
    )
    penalty = (
        pl.when(pl.col("status") == "DSQ")
        .then(pl.lit("DSQ"))
        .when(pl.col("penalty_ms") > 0)
        .then(pl.format("+{} s", (pl.col("penalty_ms") / 1000).round(3)))
        .otherwise(pl.lit(""))
        if "status" in leaderboard.columns
        else pl.lit("")
    )
    return leaderboard.select(
        pl.col("position").alias("pos"),
        pl.coalesce("driver_name", pl.lit("car ") + pl.col("car_id").cast(pl.String)).alias(
            "driver"
        ),
        *teams,
        pl.col("car_model").alias("car"),
        pl.col("time_ms")
        .map_elements(format_lap_time, return_dtype=pl.String)
        .fill_null("—")
        .alias("time"),
        "laps",
        pl.col("has_completed")
        .replace_strict({True: "yes", False: ""}, default="", return_dtype=pl.String)
        .alias("finished"),
        penalty.alias("penalty"),
    )


def collisions_table(collisions: pl.DataFrame) -> pl.DataFrame:
    """Collisions for display: number, session time, kind, drivers, impact speed."""
    return collisions.select(
        pl.col("collision_no").alias("#"),
        pl.col("session_ms")
        .map_elements(format_lap_time, return_dtype=pl.String)
        .fill_null("—")
        .alias("at"),
        "kind",
        pl.col("driver_name").alias("driver"),
        pl.col("other_driver_name").fill_null("barrier").alias("with"),
        pl.col("impact_speed").round(0).cast(pl.Int64).alias("km/h"),
    )


def session_facts(session: pl.DataFrame) -> dict[str, str]:
    """Label -> text of one ``read_sessions`` row, for the session info panel."""
    if session.is_empty():
        return {}
    row = session.row(0, named=True)
    started = row.get("started_at")
    track = " / ".join(str(p) for p in (row.get("track"), row.get("track_config")) if p)
    kind = " · ".join(str(p) for p in (row.get("session_name"), row.get("session_type")) if p)
    return {
        "Track": track or "—",
        "Session": kind or "—",
        "Server": str(row.get("server_name") or "—"),
        "Started": started.strftime("%Y-%m-%d %H:%M UTC") if started else "—",
        "Cars": str(row.get("cars", 0)),
        "Laps": str(row.get("laps", 0)),
        "Best lap": format_lap_time(row.get("best_lap_ms")),
    }
