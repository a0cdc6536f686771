"""The laps of one session."""

from __future__ import annotations

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.schema import has_table

# A lap that counts for best times: not known invalid (the game protocol cannot tell, so its
# laps have valid = NULL) and timed.
COUNTED_LAP = "(valid IS NOT FALSE AND lap_time_ms > 0)"


def car_model_join(con: Connection, *, alias: str) -> tuple[str, str]:
    """``(select expression, join clause)`` adding ``car_model`` from ``clean.ac_drivers``
    when that table exists (``alias`` names the table holding session_id and car_id)."""
    if not has_table(con, layer="clean", table="ac_drivers"):
        return "CAST(NULL AS VARCHAR) AS car_model", ""
    join = (
        "LEFT JOIN (SELECT session_id, car_id, max(car_model) AS car_model "
        "FROM clean.ac_drivers GROUP BY session_id, car_id) d "
        f"ON d.session_id = {alias}.session_id AND d.car_id = {alias}.car_id"  # nosec B608
    )
    return "d.car_model", join


def read_session_laps(
    con: Connection,
    session_id: str,
    *,
    car_id: int | None = None,
    valid: bool | None = None,
) -> pl.DataFrame:
    """Laps of ``session_id`` in completion order, optionally of one car / only (in)valid ones."""
    conditions, params = ["l.session_id = $session_id"], {"session_id": session_id}
    if car_id is not None:
        conditions.append("l.car_id = $car_id")
        params["car_id"] = car_id
    if valid is not None:
        conditions.append("l.valid = $valid")
        params["valid"] = valid
    car_model, join = car_model_join(con, alias="l")
    sql = f"""
        SELECT l.session_id, l.car_id, l.lap_number, l.driver_name, {car_model},
               l.lap_time_ms, l.cuts, l.valid, l.top_speed_kmh, l.completed_at, l.protocol
        FROM clean.ac_laps l {join}
        WHERE {" AND ".join(conditions)}
        ORDER BY l.completed_at NULLS LAST, l.car_id, l.lap_number
    """  # nosec B608
    return fetch_frame(con, sql, params)
