"""One lap's telemetry trace, optionally downsampled to N evenly spaced samples."""

from __future__ import annotations

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame

TRACE_COLUMNS: tuple[str, ...] = (
    "ts",
    "lap_time_ms",
    "distance_m",
    "normalized_pos",
    "speed_kmh",
    "throttle",
    "brake",
    "clutch",
    "steer",
    "gear",
    "rpm",
    "x",
    "y",
    "z",
)


def read_lap_trace(
    con: Connection,
    session_id: str,
    *,
    car_id: int,
    lap_number: int,
    points: int | None = None,
) -> pl.DataFrame:
    """Samples of one lap in time order (``TRACE_COLUMNS``).

    With ``points``, a lap of n > points samples is cut into ``points`` equal runs of
    consecutive samples and the first sample of each run is kept (so exactly ``points`` rows,
    spread evenly over the lap); shorter laps come back whole.
    """
    columns = ", ".join(TRACE_COLUMNS)
    params: dict[str, object] = {"session_id": session_id, "car_id": car_id, "lap": lap_number}
    keep = ""
    if points is not None:
        if points < 1:
            raise ValueError("points must be positive")
        params["points"] = points
        keep = """
          AND (n <= $points OR rn = 1
               OR floor(CAST((rn - 1) * $points AS DOUBLE PRECISION) / n)
                  > floor(CAST((rn - 2) * $points AS DOUBLE PRECISION) / n))
        """
    sql = f"""
        SELECT {columns} FROM (
            SELECT {columns}, row_number() OVER (ORDER BY ts) AS rn, count(*) OVER () AS n
            FROM clean.ac_telemetry
            WHERE session_id = $session_id AND car_id = $car_id AND lap_number = $lap
        ) samples
        WHERE 1 = 1 {keep}
        ORDER BY ts
    """  # nosec B608
    return fetch_frame(con, sql, params)
