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
from tests.notebooks.conftest import APPS, NOTEBOOKS, REPO, DemoHome, load_app


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


def test_lap_analysis_computes_traces_delta_and_theoretical_best(demo_env: DemoHome) -> None:
    _, defs = _run("lap_analysis")
    [(game,)] = _sql(demo_env, "SELECT session_id FROM clean.ac_sessions WHERE protocol = 'game'")
    assert defs["session_picker"].value == game
    fastest = _sql(
        demo_env,
        "SELECT lap_number FROM clean.ac_laps WHERE session_id = $s AND valid "
        "ORDER BY lap_time_ms, lap_number",
        s=game,
    )
    assert len(fastest) >= 2, "the recorded session should complete two valid laps"
    assert (defs["lap_picker"].value, defs["compare_picker"].value) == (
        fastest[0][0],
        fastest[1][0],
    )
    traces = defs["traces"]
    assert set(traces["lap_number"]) == {fastest[0][0], fastest[1][0]}
    assert defs["delta"].height == defs["compared"].height > 0
    sectors = defs["sectors"]
    totals = sectors.group_by("lap_number").agg(pl.col("sector_ms").sum())
    official = defs["official_laps"].select("lap_number", "lap_time_ms")
    joined = totals.join(official, on="lap_number")
    assert joined.height == official.height
    assert (joined["sector_ms"] - joined["lap_time_ms"]).abs().max() < 1e-6
    best = defs["best"]
    assert best["theoretical_best_ms"] <= best["best_lap_ms"] + 1e-6
    assert defs["window"] is None  # nothing brushed yet


def test_race_view_shows_positions_collisions_and_leaderboard(demo_env: DemoHome) -> None:
    texts, defs = _run("race_session")
    [(race, server)] = _sql(
        demo_env,
        "SELECT session_id, server_name FROM clean.ac_sessions WHERE protocol = 'server'",
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
    assert defs["picked_collisions"].height == defs["collisions"].height == collisions > 0
    board = defs["leaderboard"]
    assert board["position"].to_list() == list(range(1, board.height + 1))
    assert defs["outline"].height > 100
    assert any(server in t for t in texts)


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
