"""Laps that have telemetry, across sessions, and what they are good for as a reference.

A telemetry lap (the game's, one car per capture) is matched with the server's timing of the
same lap when there is one (same driver, circuit and lap time, completed within
``MATCH_WINDOW_S`` of each other): the server counts track-limit cuts, the game cannot, so the
match tells whether the lap was valid.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame, quote_ident
from pitwall.queries.identity import driver_laps_sql
from pitwall.queries.schema import read_columns
from pitwall.queries.values import QueryError

__all__ = ["LAP_KEY", "MATCH_WINDOW_S", "read_lap_samples", "read_telemetry_laps"]

LAP_KEY: tuple[str, ...] = ("session_id", "car_id", "lap_number")
MATCH_WINDOW_S = 300
MAX_LAPS = 50


def read_telemetry_laps(
    con: Connection,
    *,
    track: str | None = None,
    layout: str | None = None,
    car_model: str | None = None,
    session_id: str | None = None,
) -> pl.DataFrame:
    """Every lap with telemetry (optionally of one circuit, car or session), fastest first.

    Columns: the lap's identity (``session_id, car_id, lap_number, driver_key, driver_name``),
    ``car_model, track, layout, started_at, lap_time_ms`` (null for a lap not completed),
    ``cuts`` (from the server's timing of the same lap, if any), ``valid``, ``counted``,
    ``samples``, and the flags ``personal_best`` (the driver's fastest counted lap on this
    circuit and car), ``session_best`` and ``all_time_best``.
    """
    conditions: list[str] = ["1 = 1"]
    params: dict[str, object] = {"window": MATCH_WINDOW_S}
    for column, value in (
        ("track", track),
        ("layout", layout),
        ("car_model", car_model),
        ("session_id", session_id),
    ):
        if value is not None:
            conditions.append(f"t.{column} = ${column}")
            params[column] = value
    laps = driver_laps_sql(con)
    where = " AND ".join(conditions)
    frame = fetch_frame(
        con,
        f"""
        WITH laps AS ({laps}),
        traced AS (  -- only the wanted sessions' telemetry: its files are pruned by session
            SELECT session_id, car_id, lap_number, count(*) AS samples
            FROM clean.ac_telemetry
            WHERE session_id IN (SELECT t.session_id FROM laps t WHERE {where})
            GROUP BY session_id, car_id, lap_number
        ),
        game AS (
            SELECT x.*, tr.samples FROM laps x
            JOIN traced tr USING (session_id, car_id, lap_number)
        ),
        matched AS (
            SELECT g.session_id, g.car_id, g.lap_number, max(s.cuts) AS server_cuts
            FROM game g JOIN laps s
              ON s.protocol = 'server' AND g.protocol = 'game'
             AND s.driver_key = g.driver_key AND s.track = g.track
             AND s.lap_time_ms = g.lap_time_ms
             AND abs(EXTRACT(EPOCH FROM (s.completed_at - g.completed_at))) <= $window
            GROUP BY g.session_id, g.car_id, g.lap_number
        )
        SELECT t.session_id, t.car_id, t.lap_number, t.driver_key, t.driver_name, t.car_model,
               t.track, t.layout, t.started_at, t.lap_time_ms,
               coalesce(t.cuts, m.server_cuts) AS cuts,
               CASE WHEN m.server_cuts IS NOT NULL THEN t.valid IS NOT FALSE AND m.server_cuts = 0
                    ELSE t.valid END AS valid,
               t.samples
        FROM game t LEFT JOIN matched m USING (session_id, car_id, lap_number)
        WHERE {where}
        """,  # nosec B608
        params,
    )
    counted = pl.col("valid").fill_null(True) & (pl.col("lap_time_ms").fill_null(0) > 0)
    circuit = ["track", "layout", "car_model"]

    def best_within(*keys: str) -> pl.Expr:
        fastest = pl.when(pl.col("counted")).then(pl.col("lap_time_ms")).min().over(*keys)
        return pl.col("counted") & (pl.col("lap_time_ms") == fastest)

    return (
        frame.with_columns(counted=counted)
        .with_columns(
            personal_best=best_within(*circuit, "driver_key"),
            session_best=best_within(*circuit, "session_id"),
            all_time_best=best_within(*circuit),
        )
        .sort("lap_time_ms", "started_at", "session_id", "lap_number", nulls_last=True)
    )


def read_lap_samples(
    con: Connection,
    laps: pl.DataFrame,
    *,
    columns: Sequence[str],
    points: int | None = None,
) -> pl.DataFrame:
    """Telemetry samples of several laps (``laps`` holds ``LAP_KEY`` columns), in time order,
    with ``LAP_KEY`` and the requested ``columns`` of ``clean.ac_telemetry``.

    With ``points``, each lap is thinned to about that many evenly spread samples.

    Raises:
        QueryError: a column that ``clean.ac_telemetry`` does not have, or too many laps.
    """
    known = {c.name for c in read_columns(con, layer="clean", table="ac_telemetry")}
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise QueryError(f"unknown telemetry columns: {', '.join(unknown)}")
    keys = laps.select(LAP_KEY).unique(maintain_order=True)
    if keys.height > MAX_LAPS:
        raise QueryError(f"at most {MAX_LAPS} laps at once")
    if keys.is_empty():
        return pl.DataFrame()
    wanted = list(dict.fromkeys(["lap_time_ms", *columns]))
    select = ", ".join(quote_ident(c) for c in wanted)
    params: dict[str, object] = {}
    matches = []
    for i, (session_id, car_id, lap_number) in enumerate(keys.iter_rows()):
        params |= {f"s{i}": session_id, f"c{i}": car_id, f"l{i}": lap_number}
        matches.append(f"(session_id = $s{i} AND car_id = $c{i} AND lap_number = $l{i})")
    thin = ""
    if points is not None:
        if points < 2:
            raise ValueError("points must be at least 2")
        params["points"] = points
        thin = "WHERE n <= $points OR (rn - 1) % CAST(ceil(n / $points) AS BIGINT) = 0"
    return fetch_frame(
        con,
        f"""
        SELECT session_id, car_id, lap_number, {select} FROM (
            SELECT session_id, car_id, lap_number, {select}, ts,
                   row_number() OVER w AS rn, count(*) OVER (PARTITION BY session_id, car_id,
                   lap_number) AS n
            FROM clean.ac_telemetry
            WHERE {" OR ".join(matches)}
            WINDOW w AS (PARTITION BY session_id, car_id, lap_number ORDER BY ts, lap_time_ms)
        ) samples
        {thin}
        ORDER BY session_id, car_id, lap_number, ts, lap_time_ms
        """,  # nosec B608
        params,
    )
