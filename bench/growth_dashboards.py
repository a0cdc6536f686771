"""The queries behind the dashboards (the marimo apps in ``notebooks/``), timed on a lake.

Each app opens one connection as it does (``pitwall.sql.connect``: a view per lake table) and
calls, in the order of its cells, the ``pitwall.queries`` / ``pitwall.dashboards`` functions
that take that connection, with what its pickers show first (the newest session, the busiest
circuit, the default laps, reference and channels; the biggest table's preview). Each call is
timed best of ``runs``. Not timed: chart building and the pure frame functions (``lap_choices``,
``head_to_head``...), and the health page's PostgreSQL mirror status (no mirror here).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pitwall import dashboards as dash
from pitwall.dashboards import laps as laps_page
from pitwall.dashboards import race as race_page
from pitwall.dashboards import season
from pitwall.lake.ingest import utc_now
from pitwall.lake.layout import Lake
from pitwall.queries import (
    read_circuit_sectors,
    read_ingestion_log,
    read_quarantine_summary,
    read_rows,
    read_session_laps,
    read_session_leaderboard,
    read_sessions,
    read_telemetry_laps,
)
from pitwall.sql import connect

# the lap analysis app's default math channels (notebooks/lap_analysis.py)
MATH = (
    "speed_ms = speed_kmh / 3.6\n"
    'brake_bias = pl.col("tyre_load_fl") / (pl.col("tyre_load_fl") + pl.col("tyre_load_rl"))'
)
Timings = list[tuple[str, float]]


class Timer:
    """Calls functions best of ``runs``, recording ``(app: function, seconds)``."""

    def __init__(self, app: str, runs: int) -> None:
        self.app, self.runs, self.timings = app, runs, Timings()

    def __call__(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        best, result = float("inf"), None
        for _ in range(self.runs):
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            best = min(best, time.perf_counter() - start)
        self.timings.append((f"{self.app}: {name}", best))
        return result


def lap_analysis(lake: Lake, runs: int) -> Timings:
    """notebooks/lap_analysis.py: the newest telemetry session, its default laps against the
    default reference, the default channels on the track-position axis, sectors."""
    timed = Timer("lap_analysis", runs)
    con = timed("connect", connect, lake)
    timed("missing_tables", dash.missing_tables, con, laps_page.REQUIRED_TABLES)
    sessions = timed("read_telemetry_sessions", dash.read_telemetry_sessions, con)
    session = sessions.row(0, named=True)
    sid = session["session_id"]
    laps = timed(
        "read_session_laps_with_telemetry", dash.read_session_laps_with_telemetry, con, sid
    )
    circuit_laps = timed(
        "read_telemetry_laps", read_telemetry_laps, con,
        track=session["track"], layout=session["layout"], car_model=session["car_model"],
    )  # fmt: skip
    sectors = timed(
        "read_circuit_sectors", read_circuit_sectors, con, session["track"],
        track_config=session["layout"] or None,
    )  # fmt: skip
    options, _ = timed("channel_options", dash.channel_options, con, MATH)
    references = dash.reference_choices(
        circuit_laps, session_id=sid, driver_key=session["driver_key"]
    )
    analysis = timed(
        "analyse_laps", dash.analyse_laps, con, circuit_laps,
        keys=dash.default_lap_keys(laps), reference=next(iter(references.values())),
        axis="distance", channels=[c for c in dash.DEFAULT_CHANNELS if c in options], math=MATH,
    )  # fmt: skip
    lines = sectors["end_pos"].to_list()[:-1]
    timed("sector_summary", dash.sector_summary, con, analysis.shown, lines=lines)
    con.close()
    return timed.timings


def race_session(lake: Lake, runs: int) -> Timings:
    """notebooks/race_session.py: the newest server session."""
    timed = Timer("race_session", runs)
    con = timed("connect", connect, lake)
    timed("missing_tables", dash.missing_tables, con, race_page.REQUIRED_TABLES)
    sessions = timed("read_sessions", read_sessions, con, protocol="server")
    sid = next(iter(dash.session_choices(sessions).values()))
    timed("read_sessions(session_id)", read_sessions, con, session_id=sid)
    timed("read_session_leaderboard", read_session_leaderboard, con, sid)
    timed("read_lap_positions", dash.read_lap_positions, con, sid)
    timed("read_session_laps", read_session_laps, con, sid)
    timed("missing_tables(ac_collisions)", dash.missing_tables, con, ["clean.ac_collisions"])
    timed("read_collisions", dash.read_collisions, con, sid)
    timed("read_track_outline", dash.read_track_outline, con, sid)
    con.close()
    return timed.timings


def season_page(lake: Lake, runs: int) -> Timings:
    """notebooks/season.py: the busiest circuit, all cars."""
    timed = Timer("season", runs)
    con = timed("connect", connect, lake)
    timed("missing_tables", dash.missing_tables, con, season.REQUIRED_TABLES)
    circuit = next(iter(timed("circuit_choices", season.circuit_choices, con).values()))
    timed("car_choices", season.car_choices, con, circuit)
    timed("read_season", season.read_season, con, circuit, car_model=season.ALL_CARS)
    con.close()
    return timed.timings


def platform_health(lake: Lake, runs: int) -> Timings:
    """notebooks/platform_health.py: every section, the preview of the biggest table."""
    timed = Timer("platform_health", runs)
    con = timed("connect", connect, lake)
    timed("read_table_health", dash.read_table_health, con, now=utc_now(), lake=lake)
    timed(
        "read_rows(clean.ac_telemetry)", read_rows, con,
        layer="clean", table="ac_telemetry", limit=20,
    )  # fmt: skip
    timed("missing_tables(ingestion_log)", dash.missing_tables, con, ["raw.ingestion_log"])
    timed("read_source_summary", dash.read_source_summary, con)
    timed("read_ingestion_log", read_ingestion_log, con, source=None, limit=500)
    tables = timed("list_quarantine_tables", dash.list_quarantine_tables, con)
    if tables:
        timed("read_quarantine_summary", read_quarantine_summary, con)
        timed("read_quarantine_page", dash.read_quarantine_page, con, tables[0], reason=None)
    con.close()
    return timed.timings


def dashboard_queries(lake: Lake, *, runs: int = 3) -> Timings:
    """Every app's queries, timed: ``(app: function, best seconds)``."""
    return [
        *lap_analysis(lake, runs),
        *race_session(lake, runs),
        *season_page(lake, runs),
        *platform_health(lake, runs),
    ]
