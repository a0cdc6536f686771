"""The SQL explorer reads the lake as of a version or a time picked in its "As of" box, and
shows why when that version was vacuumed away: the app run in-process with its picker set,
and served by ``marimo run`` to headless Chromium."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from playwright.sync_api import Browser, expect

from pitwall import dashboards as dash
from pitwall.dashboards.serve import app_urls, serve_apps
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.lake.maintenance import (
    MaintenancePolicy,
    maintain_lake,
    plan_maintenance,
    read_lake_status,
)
from pitwall.settings import get_settings
from tests.notebooks.conftest import NOTEBOOKS, load_app
from tests.notebooks.test_browser import ARTIFACTS, AppPage, browser  # noqa: F401 (a fixture)

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


def test_in_the_browser_the_as_of_box_travels_and_explains_a_vacuumed_version(
    tmp_path: Path,
    browser: Browser,  # noqa: F811 (the fixture of test_browser)
) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    uri = lake.table_uri("clean", "ac_laps")
    laps = {"driver_name": ["Ann", "Bo"], "lap_time_ms": [90_000, 91_000], "valid": [True] * 2}
    write_table(pl.DataFrame(laps), uri)
    write_table(pl.DataFrame({**laps, "driver_name": ["Cy", "Di"]}), uri)
    env = {"PITWALL_HOME": str(tmp_path), "PITWALL_LAKE_URI": lake.root}
    with serve_apps(0, notebooks=NOTEBOOKS, env=env, log_path=tmp_path / "marimo.log") as base:
        view = AppPage(browser, app_urls(base)["sql_explorer"])
        try:
            page = view.page
            page.get_by_text("Reading the lake now").wait_for(timeout=120_000)
            results = page.locator("table").filter(has_text="driver_name").first
            expect(results).to_contain_text("Cy", timeout=120_000)  # the latest version, loaded
            box = page.get_by_role("textbox").first
            box.fill("0")
            box.press("Enter")
            page.get_by_text("Reading the lake as of version 0").wait_for(timeout=60_000)
            # The latest version's table (Ann to Di) stays on the page until the query cell
            # re-runs: wait for the version-0 table, not for any table holding Ann.
            expect(results).not_to_contain_text("Cy", timeout=60_000)
            expect(results).to_contain_text("Ann")
            expect(results).to_contain_text("Bo")

            maintain_lake(
                lake, plan_maintenance(read_lake_status(lake), policy=NO_FLOOR), policy=NO_FLOOR
            )
            box.fill("1")
            box.press("Enter")
            message = "clean.ac_laps as of version 1 is no longer available"
            page.get_by_text(message).wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "sql_explorer_vacuumed.png"), full_page=True)
            assert view.console_errors == []
        finally:
            view.page.close()
