"""End to end: ``python -m sandbox.demo --no-serve`` in a scratch project home (real
PostgreSQL, real sandbox services, real UDP telemetry, real ``kedro run``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pitwall.lake.layout import get_lake
from pitwall.sql import connect

from .conftest import REPO_ROOT


def _scratch_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(REPO_ROOT / "conf" / "base", home / "conf" / "base")
    (home / "conf" / "local").mkdir()
    shutil.copytree(REPO_ROOT / "data" / "samples", home / "data" / "samples")
    shutil.copy(REPO_ROOT / "pyproject.toml", home / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO_ROOT / "src", home / "src", ignore=ignore)  # kedro wants it there
    shutil.copy(REPO_ROOT / ".telemetry", home / ".telemetry")
    return home


@pytest.mark.slow
def test_demo_job_lands_every_source_and_mirrors(tmp_path: Path) -> None:
    home = _scratch_home(tmp_path)
    env = {
        **os.environ,
        "PITWALL_HOME": str(home),
        "PITWALL_LAKE_URI": str(home / "data" / "lake"),
        "PITWALL_DEMO_PORT_OFFSET": str(20000 + os.getpid() % 5000),
    }
    env.pop("PITWALL_PG_DSN", None)  # the demo's default: embedded PostgreSQL
    python = sys.executable
    done = subprocess.run(
        [python, "-m", "sandbox.demo", "--no-serve", "--telemetry-seconds", "12"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Lake tables" in done.stdout and "pitwall sql" in done.stdout

    con = connect(get_lake(str(home / "data" / "lake")))
    log = con.sql("SELECT * FROM raw.ingestion_log").pl()
    assert set(log.get_column("pipeline")) >= {
        "ingest_csv",
        "ingest_api",
        "ingest_scraper",
        "ingest_assetto",
    }
    reconciles = log.filter(pl.col("rows_in") != pl.col("rows_landed") + pl.col("rows_quarantined"))
    assert reconciles.is_empty(), reconciles
    for table in ("cars", "tracks", "league_lap_times", "ac_laps", "ac_telemetry"):
        assert con.execute(f"SELECT count(*) FROM clean.{table}").fetchall()[0][0] > 0, table
