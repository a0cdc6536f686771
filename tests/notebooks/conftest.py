"""A ``make demo``-style home for the apps, made by the real parts end to end:

- an Assetto Corsa session recorded from both simulators by two capture daemons
  (:func:`pitwall.assetto.demo.record_demo_session`, the same as ``make demo``);
- ``kedro run --pipelines ingest_csv,ingest_assetto`` over those captures and the committed
  sample CSVs (AC and CSV CLEAN tables, the ingestion log, real quarantine rows);
- an embedded PostgreSQL (pgserver) private to this session under ``<home>/data/pg``, with the
  lake mirrored into it, so that the health app shows a real mirror status.

The home is not under pytest's basetemp: concurrent pytest sessions rotate those directories
and would delete a running server's data.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from pitwall.assetto.demo import record_demo_session
from pitwall.lake.layout import Lake, get_lake
from pitwall.settings import get_settings

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
APPS = ("lap_analysis", "race_session", "platform_health", "sql_explorer")


@dataclass(frozen=True)
class DemoHome:
    home: Path
    lake: Lake

    @property
    def env(self) -> dict[str, str]:
        """What the apps need to find this home (on top of the current environment)."""
        return {"PITWALL_HOME": str(self.home), "PITWALL_LAKE_URI": self.lake.root}


@pytest.fixture(scope="session")
def demo_home() -> Iterator[DemoHome]:
    home = Path(tempfile.mkdtemp(prefix="pitwall-notebooks-"))
    (home / "conf").symlink_to(REPO / "conf")
    lake = get_lake(str(home / "data" / "lake"))
    demo = DemoHome(home=home, lake=lake)
    landing = home / "landing"
    shutil.copytree(REPO / "data" / "samples" / "csv", landing / "csv")
    record_demo_session(landing, seconds=10, cars=4, time_scale=6.0)
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "kedro"),
            "run",
            "--pipelines",
            "ingest_csv,ingest_assetto",
        ],
        cwd=REPO,
        env={
            **os.environ,
            **demo.env,
            "PITWALL_CSV_LANDING": str(landing / "csv"),
            "PITWALL_ASSETTO_LANDING": str(landing / "assetto"),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    pgdata = home / "data" / "pg"
    with pytest.MonkeyPatch.context() as env:
        for name, value in demo.env.items():
            env.setenv(name, value)
        env.delenv("PITWALL_PG_DSN", raising=False)
        get_settings.cache_clear()
        from pitwall.postgres import mirror_lake
        from pitwall.postgres.server import start_embedded

        mirror_lake(lake, admin_dsn=start_embedded(pgdata))
    get_settings.cache_clear()
    try:
        yield demo
    finally:
        import pgserver

        pgserver.get_server(pgdata).cleanup()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def demo_env(demo_home: DemoHome, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoHome]:
    """The demo home exported to this process (for apps run in-process)."""
    for name, value in demo_home.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PITWALL_PG_DSN", raising=False)
    get_settings.cache_clear()
    yield demo_home
    get_settings.cache_clear()


def load_app(name: str) -> ModuleType:
    """The notebook module ``notebooks/<name>.py`` (its ``app`` is not run yet)."""
    spec = importlib.util.spec_from_file_location(f"notebook_{name}", NOTEBOOKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
