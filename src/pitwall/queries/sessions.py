"""Assetto Corsa sessions with their lap counts and best lap."""

from __future__ import annotations

from typing import Literal

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.laps import COUNTED_LAP
from pitwall.queries.schema import has_table

Protocol = Literal["game", "server"]

_LAP_STATS = f"""
    SELECT session_id, count(*) AS laps, count(DISTINCT car_id) AS cars,
           min(CASE WHEN {COUNTED_LAP} THEN lap_time_ms END) AS best_lap_ms
    FROM clean.ac_laps GROUP BY session_id
"""  # nosec B608
_NO_LAP_STATS = """
    SELECT CAST(NULL AS VARCHAR) AS session_id, CAST(0 AS BIGINT) AS laps,
           CAST(0 AS BIGINT) AS cars, CAST(NULL AS BIGINT) AS best_lap_ms
    WHERE 1 = 0
"""


def read_sessions(
    con: Connection,
    *,
    session_id: str | None = None,
    protocol: Protocol | None = None,
    track: str | None = None,
    limit: int = 100,
) -> pl.DataFrame:
    """Sessions, newest first: ``clean.ac_sessions`` with ``laps``, ``cars``, ``best_lap_ms``.

    ``best_lap_ms`` is the best lap not known to be invalid; ``cars`` counts cars that
    completed a lap.
    """
    conditions, params = ["1 = 1"], {"limit": limit}
    for column, value in (("session_id", session_id), ("protocol", protocol), ("track", track)):
        if value is not None:
            conditions.append(f"s.{column} = ${column}")
            params[column] = value
    laps = _LAP_STATS if has_table(con, layer="clean", table="ac_laps") else _NO_LAP_STATS
    sql = f"""
        SELECT s.session_id, s.protocol, s.track, s.track_config, s.session_name,
               s.session_type, s.server_name, s.started_at, s.capture_id,
               CAST(coalesce(l.laps, 0) AS BIGINT) AS laps,
               CAST(coalesce(l.cars, 0) AS BIGINT) AS cars,
               CAST(l.best_lap_ms AS BIGINT) AS best_lap_ms
        FROM clean.ac_sessions s LEFT JOIN ({laps}) l ON l.session_id = s.session_id
        WHERE {" AND ".join(conditions)}
        ORDER BY s.started_at DESC NULLS LAST, s.session_id
        LIMIT $limit
    """  # nosec B608
    return fetch_frame(con, sql, params)
