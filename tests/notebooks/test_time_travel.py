"""The SQL explorer reads the lake as of a version or a time picked in its "As of" box, and
shows why when that version was vacuumed away (the app run in-process, its picker set)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from pitwall import dashboards as dash
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.lake.maintenance import (
    MaintenancePolicy,
    maintain_lake,
    plan_maintenance,
    read_lake_status,
)
from pitwall.settings import get_settings
from tests.notebooks.conftest import load_app

NO_FLOOR = MaintenancePolicy(retention_hours=0, min_retention_hours=0, log_retention_days=1)


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    lake = get_lake(str(tmp_path / "lake"))
    uri = lake.table_uri("clean", "ac_laps")
    laps = {"driver_name": ["Ann", "Bo"], "lap_time_ms": [90_000, 91_000], "valid": [True] * 2}
    write_table(pl.DataFrame(laps), uri)  # version 0: two laps
    write_table(pl.DataFrame({**laps, "driver_name": ["Cy", "Di"]}), uri)  # version 1: four
    monkeypatch.setenv("PITWALL_HOME", str(tmp_path))
    monkeypatch.setenv("PITWALL_LAKE_URI", lake.root)
    get_settings.cache_clear()
    yield lake
    get_settings.cache_clear()


def run_explorer(as_of: str) -> tuple[list[str], dict[str, object]]:
    outputs, defs = load_app("sql_explorer").app.run(
        defs={"as_of_picker": SimpleNamespace(value=as_of)}
    )
    texts = [html.unescape(getattr(o, "text", "") or "") for o in outputs if o is not None]
    return texts, dict(defs)


def drivers(defs: dict[str, object]) -> set[str]:
    result = defs["result"]
    assert isinstance(result, dash.QueryResult) and result.error is None, result
    assert result.frame is not None
    return set(result.frame["driver_name"])


def test_the_explorer_reads_an_older_version(lake: Lake) -> None:
    assert drivers(run_explorer("")[1]) == {"Ann", "Bo", "Cy", "Di"}
    texts, defs = run_explorer("0")
    assert drivers(defs) == {"Ann", "Bo"}
    assert any("Reading the lake as of version 0" in t for t in texts)


def test_the_explorer_says_when_a_version_was_vacuumed(lake: Lake) -> None:
    maintain_lake(lake, plan_maintenance(read_lake_status(lake), policy=NO_FLOOR), policy=NO_FLOOR)
    texts, defs = run_explorer("0")
    assert "result" not in defs  # the query cells stopped
    message = "clean.ac_laps as of version 0 is no longer available: its data files were vacuumed"
    assert any(message in t for t in texts)
    view = dash.open_lake_view("not a time", lake=lake)
    assert view.con is None and view.error is not None and "ISO 8601" in view.error
