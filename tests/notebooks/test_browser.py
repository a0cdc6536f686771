"""After a demo-style setup, each app loads in real headless Chromium (served by ``marimo run``):
its charts render, no cell reports an error, and a screenshot is kept in ``test-artifacts/``."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FloatRect, Page, sync_playwright

from pitwall.dashboards.serve import app_urls, serve_apps
from tests.notebooks.conftest import NOTEBOOKS, REPO, DemoHome

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = REPO / "test-artifacts"
CHARTS = {"lap_analysis": 4, "race_session": 4, "platform_health": 3, "sql_explorer": 1}
RENDER_TIMEOUT_S = 120
# the apps' own charts; marimo tables also draw small vega column summaries, not counted
CHART_MARKS = "marimo-vega .vega-embed .marks"


@pytest.fixture(scope="module")
def apps_url(demo_home: DemoHome, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("marimo") / "marimo.log"
    with serve_apps(0, notebooks=NOTEBOOKS, env=demo_home.env, log_path=log) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(REPO / "tests" / "ensure_browser.sh")], check=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _is_drawn(box: FloatRect | None) -> bool:
    return box is not None and box["width"] > 50 and box["height"] > 50


class AppPage:
    """A page of one app, recording the kernel's messages to its cells."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1400, "height": 3200})
        self.messages: list[dict[str, object]] = []
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._record))
        self.page.goto(url)

    def _record(self, frame: str | bytes) -> None:
        text = frame if isinstance(frame, str) else frame.decode(errors="replace")
        with contextlib.suppress(ValueError):  # only the kernel's JSON messages matter
            self.messages.append(json.loads(text))

    def wait_for_charts(self, count: int) -> None:
        """Wait until ``count`` charts are drawn at full size (vega sizes a canvas in steps)."""
        marks = self.page.locator(CHART_MARKS)
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        while time.monotonic() < deadline:
            boxes = [marks.nth(i).bounding_box() for i in range(marks.count())]
            if len(boxes) == count and all(_is_drawn(box) for box in boxes):
                return
            self.page.wait_for_timeout(250)
        boxes = [marks.nth(i).bounding_box() for i in range(marks.count())]
        raise AssertionError(f"{marks.count()} of {count} charts rendered; boxes: {boxes}")

    def cell_errors(self) -> list[object]:
        errors = []
        for message in self.messages:
            data = message.get("data")
            if not isinstance(data, dict):
                continue
            output = data.get("output")
            if isinstance(output, dict) and output.get("channel") == "marimo-error":
                errors.append(output.get("data"))
            if data.get("op") == "completed-run" and data.get("outcome") != "succeeded":
                errors.append(data)
        return errors


@pytest.mark.parametrize("app", list(CHARTS))
def test_app_renders_its_charts_without_errors(app: str, apps_url: str, browser: Browser) -> None:
    view = AppPage(browser, app_urls(apps_url)[app])
    try:
        view.wait_for_charts(CHARTS[app])
        view.page.wait_for_timeout(500)  # let late cell messages arrive
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{app}.png"
        view.page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        assert view.cell_errors() == []
        text = view.page.locator("body").inner_text()
        for failure in ("An internal error occurred", "Traceback", "No data yet"):
            assert failure not in text
        assert any(m.get("op") == "completed-run" for m in view.messages)
    finally:
        view.page.close()


def test_brushing_the_channels_zooms_the_map_and_summary(apps_url: str, browser: Browser) -> None:
    view = AppPage(browser, app_urls(apps_url)["lap_analysis"])
    try:
        view.wait_for_charts(CHARTS["lap_analysis"])
        view.page.get_by_role("heading", name="Whole lap (brush to zoom)").wait_for()
        box = view.page.locator(CHART_MARKS).first.bounding_box()
        assert box is not None
        y = box["y"] + 60  # inside the speed row
        view.page.mouse.move(box["x"] + 150, y)
        view.page.mouse.down()
        view.page.mouse.move(box["x"] + 300, y, steps=8)
        view.page.mouse.up()
        view.page.get_by_role("heading", name="Brushed stretch").wait_for(timeout=60_000)
        view.page.screenshot(path=str(ARTIFACTS / "lap_analysis_brushed.png"))
        assert view.cell_errors() == []
    finally:
        view.page.close()
