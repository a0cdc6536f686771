"""Each app passes ``marimo check``, runs headless on demo data (``python notebooks/x.py`` exits
0) and computes what it should; on an empty lake it says so instead of failing."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pitwall.settings import get_settings
from pitwall.sql import connect
from tests.notebooks.conftest import APPS, DEMO_CARS, NOTEBOOKS, REPO, DemoHome, load_app


def test_every_app_passes_marimo_check() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "marimo",
            "check",
            "--strict",
            *(str(NOTEBOOKS / f"{a}.py") for a in APPS),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("app", APPS)
def test_app_runs_headless_on_demo_data(app: str, demo_home: DemoHome) -> None:
    done = subprocess.run(
        [sys.executable, str(NOTEBOOKS / f"{app}.py")],
        cwd=REPO,
        env={**os.environ, **demo_home.env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr


def _run(app: str) -> tuple[list[str], dict[str, object]]:
    """Run an app in this process: the text of its cells' outputs and its definitions."""
    outputs, definitions = load_app(app).app.run()
    texts = [html.unescape(getattr(o, "text", "") or "") for o in outputs if o is not None]
    return texts, dict(definitions)


def _sql(demo: DemoHome, query: str, **params: object) -> list[tuple]:
    con = connect(demo.lake)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def test_the_demo_holds_a_practice_and_a_race_on_a_real_circuit(demo_env: DemoHome) -> None:
    sessions = _sql(
        demo_env,
        "SELECT protocol, track, session_type, count(*) FROM clean.ac_sessions "
        "GROUP BY ALL ORDER BY ALL",
    )
    assert sessions == [
        ("game", "ks_monza", None, 4),  # two rigs, each a practice then a race
        ("server", "ks_monza", "practice", 1),
        ("server", "ks_monza", "race", 1),
    ]
    [(cars, laps, best)] = _sql(
        demo_env,
        "SELECT count(DISTINCT car_id), count(*), min(lap_time_ms) FROM clean.ac_laps l "
        "JOIN clean.ac_sessions s USING (session_id) "
        "WHERE s.protocol = 'server' AND s.session_type = 'race'",
    )
    assert cars == DEMO_CARS and laps >= 3 * DEMO_CARS and 106_000 < best < 111_000
    # a rig's game laps are the very laps the server timed for that driver
    rig = _sql(
        demo_env,
        "SELECT list(lap_time_ms ORDER BY completed_at) FROM clean.ac_laps "
        "WHERE driver_name = 'Ayrton Vale' GROUP BY protocol ORDER BY protocol",
    )
    assert rig[0][0] == rig[1][0] and len(rig[0][0]) >= 5
    channels = _sql(demo_env, "SELECT max(tyre_load_rl), max(g_lateral) FROM clean.ac_telemetry")
    assert 2_000 < channels[0][0] < 15_000 and 1.0 < channels[0][1] < 3.0


def test_lap_analysis_overlays_laps_with_a_reference_and_its_delta(demo_env: DemoHome) -> None:
    _, defs = _run("lap_analysis")
    [(newest,)] = _sql(
        demo_env,
        "SELECT session_id FROM clean.ac_sessions WHERE protocol = 'game' "
        "ORDER BY started_at DESC LIMIT 1",
    )
    assert defs["session_picker"].value == newest
    shown = defs["shown"]
    picked = set(defs["lap_picker"].value) | {defs["reference_picker"].value}
    assert shown.height == len(picked) >= 2  # a picked lap that is the reference shows once
    assert shown["is_reference"].to_list() == [False] * (shown.height - 1) + [True]
    # the all-time best on this circuit in this car (each rig drives its own car): the rigs'
    # fastest lap the server did not find a cut in
    [(best,)] = _sql(
        demo_env,
        "SELECT min(l.lap_time_ms) FROM clean.ac_laps l "
        "JOIN clean.ac_drivers d USING (session_id, car_id, driver_name) "
        "WHERE l.protocol = 'server' AND l.valid "
        "AND l.driver_name IN (SELECT driver_name FROM clean.ac_laps WHERE protocol = 'game') "
        "AND d.car_model = (SELECT max(car_model) FROM clean.ac_drivers "
        f"WHERE session_id = '{newest}')",
    )
    assert shown.filter("is_reference")["lap_time_ms"][0] == best
    aligned = defs["aligned"]
    assert aligned.filter("is_reference")["delta_s"].abs().max() < 1e-9
    assert set(defs["plotted"]) == {"speed_kmh", "throttle", "brake", "steer", "gear", "rpm"}
    assert {"speed_ms", "brake_bias"} <= set(aligned.columns)  # the default math channels
    assert defs["math_errors"] == []
    assert defs["window"] is None  # nothing brushed yet
    table = defs["sector_table"]
    assert table.columns == ["lap", "S1", "S2", "S3"]
    assert all(":" in v for v in table["S1"].to_list())


def test_race_view_shows_positions_collisions_and_leaderboard(demo_env: DemoHome) -> None:
    texts, defs = _run("race_session")
    [(race, server)] = _sql(
        demo_env,
        "SELECT session_id, server_name FROM clean.ac_sessions WHERE protocol = 'server' "
        "ORDER BY started_at DESC LIMIT 1",
    )
    assert defs["session_picker"].value == race
    positions = defs["lap_positions"]
    assert positions.height == defs["laps"].height > 0
    for (lap,), part in positions.partition_by("lap_number", as_dict=True).items():
        assert sorted(part["position"]) == list(range(1, part.height + 1)), lap
    assert defs["picked_laps"].height == defs["laps"].height  # no driver picked: all
    [(collisions,)] = _sql(
        demo_env, "SELECT count(*) FROM clean.ac_collisions WHERE session_id = $s", s=race
    )
    assert defs["picked_collisions"].height == defs["collisions"].height == collisions
    board = defs["leaderboard"]
    assert board["position"].to_list() == list(range(1, board.height + 1))
    assert defs["outline"].height > 100
    assert any(server in t for t in texts)


def test_season_view_ranks_every_driver_of_the_event(demo_env: DemoHome) -> None:
    _, defs = _run("season")
    drivers = defs["year"].drivers
    assert drivers.height == DEMO_CARS
    assert drivers["best_lap_ms"].is_sorted()
    [(best,)] = _sql(
        demo_env,
        "SELECT min(lap_time_ms) FROM clean.ac_laps WHERE protocol = 'server' AND valid",
    )
    assert drivers["best_lap_ms"][0] == best
    rigs = drivers.filter(pl.col("theoretical_best_ms").is_not_null())
    assert rigs.height == 2  # the two drivers with telemetry
    assert (rigs["theoretical_best_ms"] <= rigs["best_lap_ms"] + 1).all()
    assert drivers["reported_km"].min() > 5  # cuts and incidents rates cover real distances
    table = season_table(defs)
    assert all(":" in v for v in table["best lap"].to_list())


def season_table(defs: dict[str, object]) -> pl.DataFrame:
    from pitwall.dashboards.season import drivers_table

    return drivers_table(defs["year"].drivers)  # type: ignore[attr-defined]


def test_platform_health_sees_every_table_the_log_and_a_live_mirror(
    demo_env: DemoHome,
) -> None:
    _, defs = _run("platform_health")
    tables = set(defs["health"]["table"])
    assert {"clean.cars", "clean.league_lap_times", "clean.ac_laps", "raw.csv_cars"} <= tables
    assert {"raw.ingestion_log", "quarantine.csv_lap_times"} <= tables
    sources = defs["sources"]
    assert set(sources["pipeline"]) == {"ingest_csv", "ingest_assetto"}
    assert sources["reconciles"].all() and sources["rows_quarantined"].sum() > 0
    assert defs["rejected"].height > 0
    mirror = defs["mirror"]
    assert mirror.state == "ok", mirror.message
    assert set(mirror.tables["freshness"]) == {"up to date"}
    assert {"ac_laps", "ac_telemetry", "cars"} <= set(mirror.tables["table"])


def test_sql_explorer_runs_the_default_query_and_charts_it(demo_env: DemoHome) -> None:
    _, defs = _run("sql_explorer")
    result = defs["result"]
    assert result.error is None
    assert result.frame.columns == ["driver_name", "laps", "best_s", "mean_s"]
    drivers = _sql(demo_env, "SELECT DISTINCT driver_name FROM clean.ac_laps WHERE valid")
    assert set(result.frame["driver_name"]) == {d for (d,) in drivers}
    assert isinstance(defs["quick_view"].value, pl.DataFrame)


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("lap_analysis", "No data yet for lap analysis."),
        ("race_session", "No data yet for race sessions."),
        ("season", "No data yet for the season view."),
        ("platform_health", "The lake is empty."),
        ("sql_explorer", None),
    ],
)
def test_apps_degrade_gracefully_on_an_empty_lake(
    app: str, message: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PITWALL_HOME", str(tmp_path))
    monkeypatch.setenv("PITWALL_LAKE_URI", str(tmp_path / "lake"))
    monkeypatch.delenv("PITWALL_PG_DSN", raising=False)
    get_settings.cache_clear()
    try:
        texts, defs = _run(app)
    finally:
        get_settings.cache_clear()
    if message is not None:
        assert any(message in t for t in texts)
    else:
        assert defs["result"].error is None and defs["result"].frame.is_empty()
