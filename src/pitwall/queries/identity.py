"""Who drove a lap, and where: the lap rows the cross-session queries share.

A lap is identified by ``(session_id, car_id, driver_key, lap_number)``, a driver by
``driver_key``: the person (``person_id`` of ``clean.ref_people``) when reference data maps one
of the driver's identities to one, else the Steam GUID when the server sent one (also for the
same name in a game capture, when the name belongs to exactly one GUID), else the name.

This module is the one place that resolves identities (:func:`person_sql`, :func:`team_sql`):
``clean.ref_identities`` maps an AC GUID, an in-game name, a partner driver id or a scraped
spelling to a person, ``clean.ref_memberships`` a person to a team on a date. Tombstoned
reference rows do not count. A circuit is ``track`` and
``layout``: the session's ``track_config``, or for a game session (Remote Telemetry does not
send the layout) the one layout the servers reported for that track.
"""

from __future__ import annotations

from pitwall.queries.frames import Connection
from pitwall.queries.schema import has_table, read_columns

__all__ = ["COUNTED", "driver_laps_sql", "person_name_sql", "person_sql", "struck_sql", "team_sql"]

# A lap that counts for best times and consistency: timed and not known to be invalid.
COUNTED = "(valid IS NOT FALSE AND lap_time_ms > 0)"


NAME_KINDS = ("ingame_name", "scraped_name", "partner_driver_id")
# The SQL below is put together from this module's own aliases and expressions (never caller
# text): values are compared column to column, and callers bind theirs as parameters.


def _lookup(kind_in: str, value: str) -> str:
    return f"""(SELECT min(i.person_id) FROM clean.ref_identities i
                WHERE NOT i.deleted AND i.kind IN ({kind_in}) AND i.value = {value})"""  # nosec B608 - aliases and expressions from code


def person_sql(con: Connection, *, guid: str, name: str) -> str:
    """A SQL expression: the ``person_id`` of the driver whose GUID and name are the SQL
    expressions ``guid`` and ``name`` (the GUID's mapping wins), or NULL."""
    if not has_table(con, layer="clean", table="ref_identities"):
        return "CAST(NULL AS VARCHAR)"
    names = ", ".join(f"'{k}'" for k in NAME_KINDS)
    by_guid = _lookup("'ac_guid'", guid)
    return f"coalesce({by_guid}, {_lookup(names, name)})"


def person_name_sql(con: Connection, *, person: str) -> str:
    """A SQL expression: the name of the person ``person`` (an expression), or NULL."""
    if not has_table(con, layer="clean", table="ref_people"):
        return "CAST(NULL AS VARCHAR)"
    return f"""(SELECT min(p.name) FROM clean.ref_people p
                WHERE NOT p.deleted AND p.person_id = {person})"""  # nosec B608 - aliases and expressions from code


def team_sql(con: Connection, *, person: str, at: str) -> str:
    """A SQL expression: the team of the person ``person`` on the day of timestamp ``at``."""
    if not has_table(con, layer="clean", table="ref_memberships"):
        return "CAST(NULL AS VARCHAR)"
    return f"""(SELECT min(m.team_id) FROM clean.ref_memberships m
                WHERE NOT m.deleted AND m.person_id = {person}
                  AND m.valid_from <= CAST({at} AS DATE)
                  AND (m.valid_to IS NULL OR CAST({at} AS DATE) <= m.valid_to))"""  # nosec B608 - aliases and expressions from code


def struck_sql(
    con: Connection,
    *,
    lap: str,
    drivers: tuple[str, ...] = ("person_id", "driver_key", "driver_name"),
) -> str:
    """A SQL condition: the lap (alias ``lap``, with ``session_id, lap_number`` and the
    ``drivers`` columns a penalty may name the driver by) was struck by a penalty."""
    if not has_table(con, layer="clean", table="ref_penalties"):
        return "FALSE"
    named = ", ".join(f"{lap}.{column}" for column in drivers)
    return f"""EXISTS (SELECT 1 FROM clean.ref_penalties p
                WHERE NOT p.deleted AND p.kind = 'struck_lap'
                  AND p.session_id = {lap}.session_id AND p.lap_number = {lap}.lap_number
                  AND p.driver IN ({named}))"""  # nosec B608 - aliases and expressions from code


def driver_laps_sql(con: Connection) -> str:
    """A SELECT of every lap of ``clean.ac_laps`` with its driver, circuit and car.

    Columns: ``session_id, car_id, lap_number, driver_key, driver_name, driver_guid,
    car_model, lap_time_ms, cuts, valid, completed_at, protocol, track, layout, started_at,
    session_name, session_type, person_id, team_id``. With reference data, ``driver_key`` is
    the person, ``driver_name`` the person's name, and a lap struck by a penalty is not
    ``valid``. Works whether or not ``ac_laps`` has a ``driver_guid`` column and whether or not
    ``ac_drivers`` and the reference tables exist.
    """
    base = _server_laps_sql(con)
    person = person_sql(con, guid="b.driver_guid", name="b.driver_name")
    return f"""
        SELECT r.session_id, r.car_id, r.lap_number,
               coalesce(r.person_id, r.driver_key) AS driver_key,
               coalesce({person_name_sql(con, person="r.person_id")}, r.driver_name)
                   AS driver_name,
               r.driver_guid, r.car_model, r.lap_time_ms, r.cuts,
               CASE WHEN {struck_sql(con, lap="r")} THEN FALSE ELSE r.valid END AS valid,
               r.completed_at, r.protocol, r.track, r.layout, r.started_at, r.session_name,
               r.session_type, r.person_id,
               {team_sql(con, person="r.person_id", at="r.started_at")} AS team_id
        FROM (SELECT b.*, {person} AS person_id FROM ({base}) b) r
    """  # nosec B608


def _server_laps_sql(con: Connection) -> str:
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
