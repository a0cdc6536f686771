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


def test_lap_analysis_computes_traces_delta_and_theoretical_best(demo_env: DemoHome) -> None:
    _, defs = _run("lap_analysis")
    assert defs["lap_picker"].value == 3 and defs["compare_picker"].value == 4
    traces = defs["traces"]
    assert set(traces["lap_number"]) == {3, 4}
    assert defs["delta"].height == defs["compared"].height > 0
    best = defs["best"]
    assert best["theoretical_best_ms"] < best["best_lap_ms"]
    assert defs["best_sectors"]["lap_number"].to_list() == [4, 3, 3]
    assert defs["window"] is None  # nothing brushed yet


def test_race_view_shows_positions_collisions_and_leaderboard(demo_env: DemoHome) -> None:
    texts, defs = _run("race_session")
    assert defs["lap_positions"].height == 24
    assert defs["picked_laps"].height == defs["laps"].height  # no driver picked: all
    assert defs["picked_collisions"].height == 3
    assert defs["leaderboard"]["driver_name"].to_list() == ["Ana", "Dev", "Ben", "Cleo"]
    assert any("Pitwall Cup" in t for t in texts)


def test_platform_health_sees_every_table_the_log_and_a_live_mirror(
    demo_env: DemoHome,
) -> None:
    _, defs = _run("platform_health")
    tables = set(defs["health"]["table"])
    assert {"clean.cars", "clean.league_lap_times", "clean.ac_laps", "raw.csv_cars"} <= tables
    assert {"raw.ingestion_log", "quarantine.csv_lap_times"} <= tables
    sources = defs["sources"]
    assert sources["reconciles"].all() and sources["rows_quarantined"].sum() > 0
    assert defs["rejected"].height > 0
    mirror = defs["mirror"]
    assert mirror.state == "ok", mirror.message
    assert set(mirror.tables["freshness"]) == {"up to date"}
    assert {"ac_laps", "cars"} <= set(mirror.tables["table"])


def test_sql_explorer_runs_the_default_query_and_charts_it(demo_env: DemoHome) -> None:
    _, defs = _run("sql_explorer")
    result = defs["result"]
    assert result.error is None
    assert result.frame.columns == ["driver_name", "laps", "best_s", "mean_s"]
    assert set(result.frame["driver_name"]) == {"Ana", "Ben", "Cleo", "Dev", "Dana"}
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
