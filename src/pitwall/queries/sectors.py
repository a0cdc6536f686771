"""Sector times of laps with telemetry, at the circuit's sector lines.

A sector line is a fraction of the lap (AC's normalised spline position); a lap crosses it at
the lap time interpolated between the two samples around it. The last sector ends at the
official lap time, so a lap's sectors add up to it. A line the telemetry does not cover (a lap
captured late) gives no time for the sectors on either side of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame

__all__ = [
    "SECTOR_TIME_SCHEMA",
    "best_sectors",
    "read_line_crossings",
    "read_sector_times",
    "sector_times",
]

KEY = ("session_id", "car_id", "lap_number")
SECTOR_TIME_SCHEMA: dict[str, pl.DataType] = {
    "session_id": pl.String(),
    "car_id": pl.Int64(),
    "lap_number": pl.Int64(),
    "sector": pl.Int64(),
    "sector_ms": pl.Float64(),
}


# A lap's samples in clock order, the spline position unwrapped (in the lap's first quarter a
# position over 0.5 is still before the line: it counts below 0) and never going backwards: a
# line is crossed at the first sample at or past it, interpolated from the furthest position
# reached before that sample. Samples at the same lap clock are one instant.
#
# Aggregates and hash joins only (DuckDB sorts each window partition: 3x slower here). One pass
# finds, per lap and line, the first sample at or past the line and the last one short of it:
# when that one comes first, it is the sample just before the crossing. A lap that fell back
# short of a line after crossing it (a spin, a reversal) takes a second pass, over its own
# samples before the crossing. The position at the crossing sample is joined on its clock (a
# min over (clock, position) pairs is 2x slower in DuckDB). Only a row per lap and per crossing
# leaves the database.
CROSSINGS_SQL = """
WITH samples AS (
    SELECT session_id, car_id, lap_number, CAST(lap_time_ms AS DOUBLE PRECISION) AS t,
           CAST(normalized_pos AS DOUBLE PRECISION) AS pos
    FROM clean.ac_telemetry
    WHERE session_id IN ({sessions}) AND lap_time_ms IS NOT NULL AND normalized_pos IS NOT NULL
),
laps AS MATERIALIZED (
    SELECT session_id, car_id, lap_number, max(t) AS lap_ms, count(*) AS samples
    FROM samples GROUP BY session_id, car_id, lap_number
),
unwrapped AS MATERIALIZED (
    SELECT s.session_id, s.car_id, s.lap_number, s.t,
           CASE WHEN s.pos > 0.5 AND s.t < 0.25 * l.lap_ms THEN s.pos - 1 ELSE s.pos END AS u
    FROM samples s JOIN laps l
      ON l.session_id = s.session_id AND l.car_id = s.car_id AND l.lap_number = s.lap_number
),
passes AS (
    SELECT w.session_id, w.car_id, w.lap_number, x.line, x.pos,
           min(w.t) FILTER (WHERE w.u >= x.pos) AS t_at,
           max(w.t) FILTER (WHERE w.u < x.pos) AS t_short,
           max(w.u) FILTER (WHERE w.u < x.pos) AS u_short
    FROM unwrapped w CROSS JOIN (VALUES {lines}) AS x(line, pos)
    GROUP BY w.session_id, w.car_id, w.lap_number, x.line, x.pos
),
crossed AS MATERIALIZED (
    SELECT p.session_id, p.car_id, p.lap_number, p.line, p.pos, p.t_at,
           max(w.u) AS u_at, p.t_short, p.u_short
    FROM passes p JOIN unwrapped w
      ON w.session_id = p.session_id AND w.car_id = p.car_id AND w.lap_number = p.lap_number
     AND w.t = p.t_at
    GROUP BY p.session_id, p.car_id, p.lap_number, p.line, p.pos, p.t_at, p.t_short, p.u_short
),
fell_back AS (
    SELECT c.session_id, c.car_id, c.lap_number, c.line, c.pos, c.t_at, c.u_at,
           max(w.t) AS t_short, max(w.u) AS u_short
    FROM crossed c JOIN unwrapped w
      ON w.session_id = c.session_id AND w.car_id = c.car_id AND w.lap_number = c.lap_number
    WHERE c.t_short >= c.t_at AND w.t < c.t_at
    GROUP BY c.session_id, c.car_id, c.lap_number, c.line, c.pos, c.t_at, c.u_at
),
before AS (
    SELECT session_id, car_id, lap_number, line, pos, t_at, u_at, t_short, u_short
    FROM crossed WHERE t_short IS NULL OR t_short < t_at
    UNION ALL
    SELECT * FROM fell_back
)
SELECT session_id, car_id, lap_number, samples, CAST(NULL AS BIGINT) AS line,
       CAST(NULL AS DOUBLE PRECISION) AS crossed_ms
FROM laps
UNION ALL
SELECT session_id, car_id, lap_number, CAST(NULL AS BIGINT), line,
       CASE WHEN u_at = pos THEN t_at
            WHEN t_short IS NULL THEN NULL
            ELSE t_short + (pos - u_short) * (t_at - t_short) / (u_at - u_short) END
FROM before
"""


def read_line_crossings(
    con: Connection, session_ids: Sequence[str], *, lines: Sequence[float]
) -> pl.DataFrame:
    """When each lap with telemetry in some sessions crossed each line: one row per lap with
    no ``line`` (its ``samples``), and one per line crossed (``line`` from 1, ``crossed_ms``:
    the lap clock then). A line before the first sample or after the last is not crossed."""
    schema = {
        **{k: SECTOR_TIME_SCHEMA[k] for k in KEY},
        "samples": pl.Int64(),
        "line": pl.Int64(),
        "crossed_ms": pl.Float64(),
    }
    if not session_ids:
        return pl.DataFrame(schema=schema)
    params: dict[str, object] = {f"s{i}": sid for i, sid in enumerate(dict.fromkeys(session_ids))}
    sessions = ", ".join(f"${name}" for name in params)
    params |= {f"l{i}": float(pos) for i, pos in enumerate(lines, start=1)}
    values = ", ".join(f"({i}, CAST($l{i} AS DOUBLE PRECISION))" for i in range(1, len(lines) + 1))
    # no line: none crossed
    values = values or "(CAST(NULL AS BIGINT), CAST(NULL AS DOUBLE PRECISION))"
    sql = CROSSINGS_SQL.format(sessions=sessions, lines=values)
    frame = fetch_frame(con, sql, params)  # nosec B608: placeholders only, values bound
    return frame.select(pl.col(c).cast(t) for c, t in schema.items())


def sector_times(
    crossings: pl.DataFrame, laps: pl.DataFrame, *, lines: Sequence[float]
) -> pl.DataFrame:
    """Times of each lap's sectors (``SECTOR_TIME_SCHEMA``, sectors numbered from 1).

    Args:
        crossings: :func:`read_line_crossings` of the laps' sessions.
        laps: the laps to time: the lap key and the official ``lap_time_ms``.
        lines: where sectors end, as fractions of the lap (increasing, in (0, 1)).
    """
    timed = (
        crossings.filter(pl.col("line").is_null() & (pl.col("samples") >= 2))
        .select(*KEY)
        .join(laps.select(*KEY, "lap_time_ms").drop_nulls("lap_time_ms"), on=list(KEY))
    )
    count = len(lines) + 1
    marks = timed.join(pl.DataFrame({"mark": range(count + 1)}), how="cross").join(
        crossings.drop_nulls("line").select(*KEY, pl.col("line").alias("mark"), "crossed_ms"),
        on=[*KEY, "mark"],
        how="left",
    )
    at = (
        pl.when(pl.col("mark") == 0)
        .then(0.0)
        .when(pl.col("mark") == count)
        .then(pl.col("lap_time_ms").cast(pl.Float64))
        .otherwise(pl.col("crossed_ms"))
    )
    return (
        marks.with_columns(at.alias("at"))
        .sort(*KEY, "mark")
        .with_columns((pl.col("at") - pl.col("at").shift(1).over(KEY)).alias("sector_ms"))
        .filter(pl.col("mark") > 0)
        .select(*KEY, pl.col("mark").cast(pl.Int64).alias("sector"), "sector_ms")
        .cast(SECTOR_TIME_SCHEMA)  # type: ignore[arg-type]
    )


def read_sector_times(
    con: Connection, laps: pl.DataFrame, *, lines: Sequence[float]
) -> pl.DataFrame:
    """:func:`sector_times` of some laps, their crossings read from the lake."""
    sessions = laps.get_column("session_id").unique().to_list()
    return sector_times(read_line_crossings(con, sessions, lines=lines), laps, lines=lines)


def best_sectors(times: pl.DataFrame, *, by: Sequence[str] = ()) -> pl.DataFrame:
    """The best time of each sector (per ``by`` group) and the lap it came from."""
    return (
        times.drop_nulls("sector_ms")
        .sort("sector_ms", *KEY)
        .group_by(*by, "sector", maintain_order=True)
        .first()
        .select(*by, "sector", pl.col("sector_ms").alias("best_ms"), *KEY)
        .sort(*by, "sector")
    )
