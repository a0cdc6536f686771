"""The season view: every session on a circuit, per driver (and car).

Laps come from every session of both protocols. A lap the game captured *and* the server timed
(same driver, circuit and lap time, completed within ``MATCH_WINDOW_S``) counts once, as the
server's lap (which knows its cuts). A lap *counts* for best laps and consistency when it is
timed and not known to be invalid.

Per driver (:func:`season_drivers`):

- ``best_lap_ms``: the fastest counted lap;
- ``theoretical_best_ms``: the sum of the driver's best sector times over every counted lap
  with telemetry, in any session (sectors from :func:`read_circuit_sectors`);
- ``consistency_ms``: the standard deviation of the driver's *racing laps* (counted laps
  within 107 % of their best, leaving out each session's first lap: an out-lap or a standing
  start), ``spread_ms`` their range;
- ``improvement_ms``: the best lap of the driver's first session minus that of the last one
  (> 0: faster now), sessions in time order, counting sessions with a counted lap;
- ``cuts_per_100km``, ``incidents_per_100km``: track-limit cuts and collisions per 100 km
  driven in the sessions that report them (the server's), from the circuit's lap length.
"""

from __future__ import annotations

import polars as pl

from pitwall.queries.circuits import read_circuit_sectors
from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.identity import driver_laps_sql
from pitwall.queries.reference import MATCH_WINDOW_S, read_telemetry_laps
from pitwall.queries.schema import has_table
from pitwall.queries.sectors import best_sectors, read_sector_times

__all__ = [
    "CONSISTENCY_WINDOW",
    "head_to_head",
    "racing_laps",
    "read_season_circuits",
    "read_season_drivers",
    "read_season_incidents",
    "read_season_laps",
    "read_theoretical_bests",
    "season_drivers",
    "season_progress",
]

CONSISTENCY_WINDOW = 1.07  # laps slower than 107 % of the driver's best are not "racing laps"


def _circuit_filter(layout: str | None, car_model: str | None) -> tuple[str, dict[str, object]]:
    conditions: list[str] = ["track = $track"]
    params: dict[str, object] = {}
    if layout is not None:
        conditions.append("layout = $layout")
        params["layout"] = layout
    if car_model is not None:
        conditions.append("car_model = $car_model")
        params["car_model"] = car_model
    return " AND ".join(conditions), params


def read_season_circuits(con: Connection) -> pl.DataFrame:
    """The circuits and cars driven, most laps first: ``track, layout, car_model, drivers,
    sessions, laps``."""
    return fetch_frame(
        con,
        f"""
        SELECT track, layout, car_model, CAST(count(DISTINCT driver_key) AS BIGINT) AS drivers,
               CAST(count(DISTINCT session_id) AS BIGINT) AS sessions,
               CAST(count(*) AS BIGINT) AS laps
        FROM ({driver_laps_sql(con)}) laps
        WHERE track IS NOT NULL
        GROUP BY track, layout, car_model
        ORDER BY laps DESC, track, layout, car_model NULLS LAST
        """,  # nosec B608
    )


def read_season_laps(
    con: Connection, track: str, *, layout: str | None = None, car_model: str | None = None
) -> pl.DataFrame:
    """Every lap on a circuit (and car), a lap timed by both protocols once, in time order.

    Columns: those of :func:`pitwall.queries.identity.driver_laps_sql` plus ``counted``.
    """
    where, params = _circuit_filter(layout, car_model)
    return fetch_frame(
        con,
        f"""
        WITH laps AS ({driver_laps_sql(con)}),
        circuit AS (SELECT * FROM laps WHERE {where}),
        twice AS (
            SELECT DISTINCT g.session_id, g.car_id, g.lap_number
            FROM circuit g JOIN circuit s
              ON g.protocol = 'game' AND s.protocol = 'server'
             AND s.driver_key = g.driver_key AND s.lap_time_ms = g.lap_time_ms
             AND abs(EXTRACT(EPOCH FROM (s.completed_at - g.completed_at))) <= $window
        )
        SELECT c.*, (c.valid IS NOT FALSE AND c.lap_time_ms > 0) AS counted
        FROM circuit c
        WHERE NOT EXISTS (SELECT 1 FROM twice t WHERE t.session_id = c.session_id
                          AND t.car_id = c.car_id AND t.lap_number = c.lap_number)
        ORDER BY c.completed_at, c.session_id, c.car_id, c.lap_number
        """,  # nosec B608
        {"track": track, "window": MATCH_WINDOW_S, **params},
    )


def read_season_incidents(
    con: Connection, track: str, *, layout: str | None = None, car_model: str | None = None
) -> pl.DataFrame:
    """Collisions per driver on a circuit: ``driver_key, incidents`` (a car-to-car contact
    counts for both cars)."""
    if not has_table(con, layer="clean", table="ac_collisions"):
        return pl.DataFrame(schema={"driver_key": pl.String(), "incidents": pl.Int64()})
    where, params = _circuit_filter(layout, car_model)
    return fetch_frame(
        con,
        f"""
        WITH laps AS ({driver_laps_sql(con)}),
        cars AS (SELECT DISTINCT session_id, car_id, driver_key FROM laps WHERE {where}),
        hits AS (
            SELECT session_id, car_id FROM clean.ac_collisions
            UNION ALL
            SELECT session_id, other_car_id FROM clean.ac_collisions
            WHERE other_car_id IS NOT NULL
        )
        SELECT c.driver_key, CAST(count(*) AS BIGINT) AS incidents
        FROM hits h JOIN cars c ON c.session_id = h.session_id AND c.car_id = h.car_id
        GROUP BY c.driver_key
        """,  # nosec B608
        {"track": track, **params},
    )


def read_theoretical_bests(
    con: Connection, track: str, *, layout: str | None = None, car_model: str | None = None
) -> pl.DataFrame:
    """Per driver, the best time of each sector over their counted telemetry laps in every
    session, and their sum: ``driver_key, theoretical_best_ms, sectors``."""
    laps = read_telemetry_laps(con, track=track, layout=layout, car_model=car_model)
    empty = pl.DataFrame(
        schema={
            "driver_key": pl.String(),
            "theoretical_best_ms": pl.Float64(),
            "sectors": pl.List(pl.Float64()),
        }
    )
    counted = laps.filter(pl.col("counted"))
    if counted.is_empty():
        return empty
    sectors = read_circuit_sectors(con, track, track_config=layout or None)
    lines = sectors.get_column("end_pos").to_list()[:-1]
    times = read_sector_times(con, counted, lines=lines).join(
        counted.select("session_id", "car_id", "lap_number", "driver_key"),
        on=["session_id", "car_id", "lap_number"],
    )
    best = best_sectors(times, by=["driver_key"])
    return (
        best.group_by("driver_key")
        .agg(
            pl.col("best_ms").sort_by("sector").alias("sectors"),
            pl.len().alias("_found"),
            pl.col("best_ms").sum().alias("theoretical_best_ms"),
        )
        .filter(pl.col("_found") == sectors.height)  # every sector timed at least once
        .select("driver_key", "theoretical_best_ms", "sectors")
    )


def racing_laps(laps: pl.DataFrame) -> pl.DataFrame:
    """The racing laps of :func:`read_season_laps` (see the module docstring)."""
    counted = laps.filter(pl.col("counted") & pl.col("lap_time_ms").is_not_null())
    opening = pl.col("lap_number") == pl.col("lap_number").min().over("driver_key", "session_id")
    best = pl.col("lap_time_ms").min().over("driver_key")
    return counted.filter(~opening).filter(pl.col("lap_time_ms") <= best * CONSISTENCY_WINDOW)


def season_drivers(
    laps: pl.DataFrame,
    *,
    incidents: pl.DataFrame,
    theoretical: pl.DataFrame,
    length_m: float | None,
) -> pl.DataFrame:
    """One row per driver with the season metrics of the module docstring, fastest first."""
    counted = pl.col("counted") & pl.col("lap_time_ms").is_not_null()
    best = pl.col("lap_time_ms").filter(counted).min()
    timed_cuts = pl.col("cuts").is_not_null() & (pl.col("lap_time_ms") > 0)
    per_session = season_progress(laps)
    trend = (
        per_session.drop_nulls("best_ms")
        .sort("started_at", "session_id")
        .group_by("driver_key")
        .agg(
            (pl.col("best_ms").first() - pl.col("best_ms").last()).alias("improvement_ms"),
            pl.len().alias("timed_sessions"),
        )
    )
    consistency = (
        racing_laps(laps)
        .group_by("driver_key")
        .agg(
            pl.col("lap_time_ms").std().alias("consistency_ms"),
            (pl.col("lap_time_ms").max() - pl.col("lap_time_ms").min())
            .cast(pl.Float64)
            .alias("spread_ms"),
            pl.len().cast(pl.Int64).alias("racing_laps"),
        )
    )
    km = (length_m or 0) / 1000
    drivers = (
        laps.sort("completed_at")
        .group_by("driver_key")
        .agg(
            pl.col("driver_name").drop_nulls().last(),
            pl.col("session_id").n_unique().alias("sessions"),
            (pl.col("lap_time_ms") > 0).sum().cast(pl.Int64).alias("laps"),
            counted.sum().cast(pl.Int64).alias("counted_laps"),
            best.alias("best_lap_ms"),
            pl.col("cuts").filter(timed_cuts).sum().cast(pl.Int64).alias("cuts"),
            timed_cuts.sum().cast(pl.Int64).alias("_laps_reporting"),
        )
        .join(consistency, on="driver_key", how="left")
        .join(trend, on="driver_key", how="left")
        .join(theoretical.select("driver_key", "theoretical_best_ms"), on="driver_key", how="left")
        .join(incidents, on="driver_key", how="left")
        .with_columns(pl.col("incidents").fill_null(0))
    )
    distance = pl.col("_laps_reporting") * km
    reported = (distance > 0) & pl.lit(km > 0)
    return (
        drivers.with_columns(
            (pl.col("best_lap_ms") - pl.col("best_lap_ms").min()).alias("gap_ms"),
            pl.when(reported).then(pl.col("cuts") / distance * 100).alias("cuts_per_100km"),
            pl.when(reported)
            .then(pl.col("incidents") / distance * 100)
            .alias("incidents_per_100km"),
            distance.alias("reported_km"),
        )
        .drop("_laps_reporting")
        .sort("best_lap_ms", "driver_key", nulls_last=True)
    )


def season_progress(laps: pl.DataFrame) -> pl.DataFrame:
    """Per driver and session, in time order: the best counted lap and the counted laps' mean
    (``driver_key, driver_name, session_id, session_name, started_at, laps, best_ms,
    mean_ms``)."""
    counted = pl.col("counted") & pl.col("lap_time_ms").is_not_null()
    return (
        laps.group_by("driver_key", "session_id")
        .agg(
            pl.col("driver_name").drop_nulls().last(),
            pl.col("session_name").first(),
            pl.col("started_at").first(),
            counted.sum().cast(pl.Int64).alias("laps"),
            pl.col("lap_time_ms").filter(counted).min().alias("best_ms"),
            pl.col("lap_time_ms").filter(counted).mean().alias("mean_ms"),
        )
        .sort("driver_key", "started_at", "session_id")
    )


def head_to_head(laps: pl.DataFrame, *, driver: str, rival: str) -> pl.DataFrame:
    """``driver`` against ``rival`` (driver keys) in every session both set a counted lap in:
    ``session_id, session_name, started_at, driver_ms, rival_ms, gap_ms`` (> 0: the driver
    was slower), in time order."""
    progress = season_progress(laps).drop_nulls("best_ms")
    mine = progress.filter(pl.col("driver_key") == driver).select(
        "session_id", "session_name", "started_at", pl.col("best_ms").alias("driver_ms")
    )
    theirs = progress.filter(pl.col("driver_key") == rival).select(
        "session_id", pl.col("best_ms").alias("rival_ms")
    )
    return (
        mine.join(theirs, on="session_id")
        .with_columns((pl.col("driver_ms") - pl.col("rival_ms")).alias("gap_ms"))
        .sort("started_at", "session_id")
    )


def read_season_drivers(
    con: Connection, track: str, *, layout: str | None = None, car_model: str | None = None
) -> pl.DataFrame:
    """:func:`season_drivers` for a circuit (and car), read from the lake."""
    laps = read_season_laps(con, track, layout=layout, car_model=car_model)
    length = read_circuit_sectors(con, track, track_config=layout or None).get_column("length_m")
    return season_drivers(
        laps,
        incidents=read_season_incidents(con, track, layout=layout, car_model=car_model),
        theoretical=read_theoretical_bests(con, track, layout=layout, car_model=car_model),
        length_m=length[0],
    )
