"""Leaderboards: the standing of one session, and best laps per track across sessions."""

from __future__ import annotations

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.identity import person_name_sql, person_sql, struck_sql, team_sql
from pitwall.queries.laps import COUNTED_LAP, car_model_join
from pitwall.queries.penalties import apply_penalties, read_penalties
from pitwall.queries.schema import has_table


def read_session_leaderboard(con: Connection, session_id: str) -> pl.DataFrame:
    """The latest standing of a session, drivers resolved to people and penalties applied.

    From the server's last ``clean.ac_leaderboard`` snapshot when there is one (``time_ms`` as
    the server reports it); otherwise ranked by each car's best lap not known to be invalid
    from ``clean.ac_laps`` (``time_ms`` = best lap, ``has_completed`` unknown). Then the
    session's penalties, if any, re-classify it (a race's snapshot on laps, then time; see
    :func:`pitwall.queries.penalties.apply_penalties`): ``penalty_ms``, ``status`` and
    ``penalty_reasons`` say how.
    """
    snapshot, standing = _read_standing(con, session_id)
    penalties = read_penalties(con, session_id)
    race = snapshot and not penalties.is_empty() and _is_race(con, session_id)
    return apply_penalties(standing, penalties, by_laps=race)


def _is_race(con: Connection, session_id: str) -> bool:
    """Whether the session is a race (its standing ranks on laps, then total time)."""
    found = fetch_frame(
        con,
        "SELECT session_type FROM clean.ac_sessions WHERE session_id = $session_id",
        {"session_id": session_id},
    )
    return bool(found.height) and found.item(0, 0) == "race"


def _person_columns(con: Connection, *, car: str, name: str, at: str) -> str:
    """``person_id``, the name to show and the ``team_id`` (the person's team on the day of
    ``at``) of a standing row (``car``: the alias holding ``session_id, car_id``; ``name``: the
    in-game name's expression)."""
    guid = "CAST(NULL AS VARCHAR)"
    if has_table(con, layer="clean", table="ac_drivers"):
        guid = f"""(SELECT max(d.driver_guid) FROM clean.ac_drivers d
                    WHERE d.session_id = {car}.session_id AND d.car_id = {car}.car_id)"""  # nosec B608 - aliases and expressions from code
    person = person_sql(con, guid=guid, name=name)
    shown = person_name_sql(con, person=person)
    team = team_sql(con, person=person, at=at)
    return f"{person} AS person_id, coalesce({shown}, {name}) AS driver_name, {team} AS team_id"


def _read_standing(con: Connection, session_id: str) -> tuple[bool, pl.DataFrame]:
    """``(from the server's snapshot, standing)`` before penalties."""
    params = {"session_id": session_id}
    if has_table(con, layer="clean", table="ac_leaderboard"):
        car_model, join = car_model_join(con, alias="b")
        person = _person_columns(con, car="b", name="n.driver_name", at="b.ts")
        snapshot = fetch_frame(
            con,
            f"""
            SELECT CAST(b.position AS BIGINT) AS position, b.car_id, {person}, {car_model},
                   CAST(b.time_ms AS BIGINT) AS time_ms, CAST(b.laps AS BIGINT) AS laps,
                   b.has_completed, b.ts AS updated_at
            FROM clean.ac_leaderboard b {join}
            LEFT JOIN (SELECT session_id, car_id, max(driver_name) AS driver_name
                       FROM clean.ac_laps GROUP BY session_id, car_id) n
              ON n.session_id = b.session_id AND n.car_id = b.car_id
            WHERE b.session_id = $session_id
              AND b.ts = (SELECT max(ts) FROM clean.ac_leaderboard WHERE session_id = $session_id)
            ORDER BY b.position, b.car_id
            """,  # nosec B608
            params,
        )
        if snapshot.height:
            return True, snapshot
    car_model, join = car_model_join(con, alias="r")
    person = _person_columns(con, car="r", name="r.driver_name", at="r.updated_at")
    return False, fetch_frame(
        con,
        f"""
        SELECT CAST(row_number() OVER (ORDER BY r.best_ms NULLS LAST, r.car_id) AS BIGINT)
                   AS position,
               r.car_id, {person}, {car_model}, CAST(r.best_ms AS BIGINT) AS time_ms,
               CAST(r.laps AS BIGINT) AS laps, CAST(NULL AS BOOLEAN) AS has_completed,
               r.updated_at
        FROM (
            SELECT session_id, car_id, max(driver_name) AS driver_name,
                   min(CASE WHEN {COUNTED_LAP} THEN lap_time_ms END) AS best_ms, count(*) AS laps,
                   max(completed_at) AS updated_at
            FROM clean.ac_laps WHERE session_id = $session_id GROUP BY session_id, car_id
        ) r {join}
        ORDER BY position
        """,  # nosec B608
        params,
    )


def read_lap_records(con: Connection, *, track: str | None = None, limit: int = 50) -> pl.DataFrame:
    """Best lap (not known invalid) of each driver (a person counts once, under their name) on
    each track layout, fastest first."""
    params: dict[str, object] = {"limit": limit}
    track_filter = ""
    if track is not None:
        track_filter = "AND s.track = $track"
        params["track"] = track
    car_model, join = car_model_join(con, alias="l")
    person = _person_columns(con, car="l", name="l.driver_name", at="l.completed_at")
    struck = struck_sql(con, lap="r", drivers=("person_id", "ingame_name", "driver_name"))
    return fetch_frame(
        con,
        f"""
        SELECT track, track_config, person_id, driver_name, team_id, car_model, lap_time_ms,
               session_id, car_id, lap_number, completed_at
        FROM (
            SELECT r.*, row_number() OVER (
                       PARTITION BY track, track_config, coalesce(person_id, driver_name)
                       ORDER BY lap_time_ms, completed_at, session_id
                   ) AS rank_in_driver
            FROM (
                SELECT s.track, s.track_config, {person}, {car_model}, l.lap_time_ms,
                       l.session_id, l.car_id, l.lap_number, l.completed_at,
                       l.driver_name AS ingame_name
                FROM clean.ac_laps l
                JOIN clean.ac_sessions s ON s.session_id = l.session_id {join}
                WHERE {COUNTED_LAP} {track_filter}
            ) r
            WHERE NOT {struck}
        ) best
        WHERE rank_in_driver = 1
        ORDER BY lap_time_ms, completed_at, driver_name
        LIMIT $limit
        """,  # nosec B608
        params,
    )
