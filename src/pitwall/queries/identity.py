"""Who drove a lap, and where: the lap rows the cross-session queries share.

A lap is identified by ``(session_id, car_id, driver_key, lap_number)``, a driver by
``driver_key``: the Steam GUID when the server sent one (also for the same name in a game
capture, when the name belongs to exactly one GUID), else the name. A circuit is ``track`` and
``layout``: the session's ``track_config``, or for a game session (Remote Telemetry does not
send the layout) the one layout the servers reported for that track.
"""

from __future__ import annotations

from pitwall.queries.frames import Connection
from pitwall.queries.schema import has_table, read_columns

__all__ = ["COUNTED", "driver_laps_sql"]

# A lap that counts for best times and consistency: timed and not known to be invalid.
COUNTED = "(valid IS NOT FALSE AND lap_time_ms > 0)"


def driver_laps_sql(con: Connection) -> str:
    """A SELECT of every lap of ``clean.ac_laps`` with its driver, circuit and car.

    Columns: ``session_id, car_id, lap_number, driver_key, driver_name, driver_guid,
    car_model, lap_time_ms, cuts, valid, completed_at, protocol, track, layout, started_at,
    session_name, session_type``. Works whether or not ``ac_laps`` has a ``driver_guid``
    column and whether or not ``ac_drivers`` exists.
    """
    lap_columns = {c.name for c in read_columns(con, layer="clean", table="ac_laps")}
    own_guid = "l.driver_guid" if "driver_guid" in lap_columns else "CAST(NULL AS VARCHAR)"
    if has_table(con, layer="clean", table="ac_drivers"):
        # a game capture sends no GUID: its rows hold '' (not NULL), which must not win
        guid = f"coalesce(nullif({own_guid}, ''), nullif(g.driver_guid, ''))"
        joins = """
        LEFT JOIN (SELECT session_id, car_id, driver_name, max(driver_guid) AS driver_guid,
                          max(car_model) AS car_model
                   FROM clean.ac_drivers GROUP BY session_id, car_id, driver_name) g
          ON g.session_id = l.session_id AND g.car_id = l.car_id
         AND g.driver_name = l.driver_name
        LEFT JOIN (SELECT session_id, car_id, max(car_model) AS car_model
                   FROM clean.ac_drivers GROUP BY session_id, car_id) c
          ON c.session_id = l.session_id AND c.car_id = l.car_id
        LEFT JOIN (SELECT driver_name, min(driver_guid) AS driver_guid
                   FROM clean.ac_drivers WHERE driver_guid IS NOT NULL AND driver_guid <> ''
                   GROUP BY driver_name HAVING count(DISTINCT driver_guid) = 1) n
          ON n.driver_name = l.driver_name"""
        car_model = "coalesce(g.car_model, c.car_model)"
        known_guid = f"coalesce({guid}, n.driver_guid)"
    else:
        joins, car_model, known_guid = "", "CAST(NULL AS VARCHAR)", own_guid
    return f"""
        SELECT l.session_id, l.car_id, l.lap_number,
               coalesce(nullif({known_guid}, ''), l.driver_name, 'car ' || l.car_id)
                   AS driver_key,
               l.driver_name, nullif({known_guid}, '') AS driver_guid, {car_model} AS car_model,
               l.lap_time_ms, l.cuts, l.valid, l.completed_at, l.protocol,
               s.track, coalesce(nullif(s.track_config, ''), lay.layout, '') AS layout,
               s.started_at, s.session_name, s.session_type
        FROM clean.ac_laps l
        JOIN clean.ac_sessions s ON s.session_id = l.session_id
        LEFT JOIN (SELECT track, min(track_config) AS layout FROM clean.ac_sessions
                   WHERE track_config IS NOT NULL AND track_config <> ''
                   GROUP BY track HAVING count(DISTINCT track_config) = 1) lay
          ON lay.track = s.track AND (s.track_config IS NULL OR s.track_config = '')
        {joins}
    """  # nosec B608
