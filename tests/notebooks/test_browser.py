"""After a demo-style setup, each app loads in real headless Chromium (served by ``marimo run``):
its charts draw marks, no cell reports an error, the console shows none, its tables fit their
column, and a screenshot is kept in ``test-artifacts/``. The lap analysis' cursor readout,
reference-lap picker and zoom brush change what is shown."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    FloatRect,
    Page,
    Request,
    sync_playwright,
)

from pitwall.dashboards.serve import app_urls, serve_apps
from tests.notebooks.conftest import NOTEBOOKS, REPO, DemoHome

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = REPO / "test-artifacts"
CHARTS = {
    "lap_analysis": 6,  # overview, stack, map, G-G, histograms, sectors
    "race_session": 4,
    "season": 4,
    "platform_health": 3,
    "sql_explorer": 1,
}
RENDER_TIMEOUT_S = 120
# the apps' own charts; marimo tables also draw small vega column summaries, not counted
CHART_MARKS = "marimo-vega .vega-embed .marks"
# a float shown as computed (the best sectors once read `4,813.653816499184`): more than the
# three decimals of a time's milliseconds
RAW_FLOAT = re.compile(r"\d\.\d{4,}")
# a table's box against the output area of its cell (climbing out of marimo's shadow roots)
TABLE_OVERFLOW = """t => {
    let e = t;
    while (e && !(e.classList && e.classList.contains('output-area'))) {
        e = e.parentElement || (e.getRootNode() && e.getRootNode().host);
    }
    const r = t.getBoundingClientRect(), o = e.getBoundingClientRect();
    return Math.max(0, r.right - o.right, o.left - r.left);
}"""


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


def _is_virtual_file(url: str) -> bool:
    return "/@file/" in url


def _superseded_virtual_file(message: ConsoleMessage) -> bool:
    """marimo disposes a cell's virtual files (``/@file/...``: a table's or a chart's data)
    when the cell runs again. It streams a virtual file and looks it up only once the response
    has started, so a fetch of the old file, in flight or started by the old output just after
    the re-run began, is cut (a network error, seen as ``ERR_INCOMPLETE_CHUNKED_ENCODING``; the
    server logs "Caught handled exception, but response already started"). That is the re-run
    a test asked for, and the new output is checked on its own."""
    url = str(message.location.get("url", ""))
    return "net::ERR_" in message.text and _is_virtual_file(url)


def _cut_fetch(text: str) -> bool:
    """The error the old output's own code logs when its data fetch is cut (a chart's names
    its vega component; a table's loader logs the bare message)."""
    return text.startswith("TypeError: Failed to fetch")


class AppPage:
    """A page of one app, recording the kernel's messages to its cells and console errors."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1400, "height": 3600})
        self.messages: list[dict[str, object]] = []
        self.logged_errors: list[str] = []
        self.cut_virtual_files = 0
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._record))
        self.page.on("console", self._console)
        self.page.on("requestfailed", self._request_failed)
        self.page.on("pageerror", lambda error: self.logged_errors.append(str(error)))
        self.page.goto(url)

    def _record(self, frame: str | bytes) -> None:
        text = frame if isinstance(frame, str) else frame.decode(errors="replace")
        with contextlib.suppress(ValueError):  # only the kernel's JSON messages matter
            self.messages.append(json.loads(text))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if not _superseded_virtual_file(message):
            self.logged_errors.append(message.text)

    def _request_failed(self, request: Request) -> None:
        if _is_virtual_file(request.url):
            self.cut_virtual_files += 1

    @property
    def console_errors(self) -> list[str]:
        """The errors logged, but as many failed fetches as virtual-file requests were cut."""
        excused = self.cut_virtual_files
        errors = []
        for text in self.logged_errors:
            if excused and _cut_fetch(text):
                excused -= 1
            else:
                errors.append(text)
        return errors

    @property
    def marks(self):  # type: ignore[no-untyped-def]
        return self.page.locator(CHART_MARKS)

    def wait_for_charts(self, count: int) -> None:
        """Wait until ``count`` charts are drawn at full size (vega sizes a canvas in steps)."""
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        while time.monotonic() < deadline:
            boxes = [self.marks.nth(i).bounding_box() for i in range(self.marks.count())]
            if len(boxes) == count and all(_is_drawn(box) for box in boxes):
                return
            self.page.wait_for_timeout(250)
        boxes = [self.marks.nth(i).bounding_box() for i in range(self.marks.count())]
        raise AssertionError(f"{self.marks.count()} of {count} charts rendered; boxes: {boxes}")

    def wait_for_text(self, text: str, *, timeout_ms: int = 60_000) -> str:
        """Wait until a heading holding ``text`` shows, and return its text."""
        found = self.page.get_by_role("heading", name=text).first
        found.wait_for(timeout=timeout_ms)
        return found.inner_text()

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

    def tables_overflow(self) -> list[float]:
        """By how many pixels each table sticks out of its cell (0 when it fits)."""
        tables = self.page.locator("table")
        return [tables.nth(i).evaluate(TABLE_OVERFLOW) for i in range(tables.count())]


@pytest.fixture
def lap_analysis(apps_url: str, browser: Browser) -> Iterator[AppPage]:
    view = AppPage(browser, app_urls(apps_url)["lap_analysis"])
    try:
        view.wait_for_charts(CHARTS["lap_analysis"])
        yield view
    finally:
        view.page.close()


@pytest.mark.parametrize("app", list(CHARTS))
def test_app_renders_its_charts_without_errors(app: str, apps_url: str, browser: Browser) -> None:
    view = AppPage(browser, app_urls(apps_url)[app])
    try:
        view.wait_for_charts(CHARTS[app])
        view.page.wait_for_timeout(500)  # let late cell messages arrive
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{app}.png"
        view.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        assert view.cell_errors() == []
        assert view.console_errors == []
        text = view.page.locator("body").inner_text()
        for failure in ("An internal error occurred", "Traceback", "No data yet"):
            assert failure not in text
        shown = [text, *view.page.locator("table").all_inner_texts()]
        raw = [
            t[max(0, m.start() - 80) : m.end() + 20] for t in shown for m in RAW_FLOAT.finditer(t)
        ]
        assert raw == []
        assert any(m.get("op") == "completed-run" for m in view.messages)
        overflow = view.tables_overflow()
        assert overflow and max(overflow) <= 2, overflow  # every table fits its column (borders)
    finally:
        view.page.close()


def test_the_cursor_reads_every_lap_on_hover_and_pins_on_click(lap_analysis: AppPage) -> None:
    page = lap_analysis.page
    stack = lap_analysis.marks.nth(1).bounding_box()
    assert stack is not None
    tips = []
    for fraction in (0.3, 0.6):  # hover: a rule and every lap's value at that point
        page.mouse.move(stack["x"] + stack["width"] * fraction, stack["y"] + 100)
        tooltip = page.locator("#vg-tooltip-element")
        tooltip.wait_for(state="visible", timeout=10_000)
        page.wait_for_timeout(300)
        tips.append(tooltip.inner_text())
    labels = page.locator("body").inner_text()
    assert tips[0] != tips[1]
    assert all("Ref · " in tip and "speed (km/h)" in tip for tip in tips)
    heading = page.get_by_role("heading", name="Cursor at")
    table = page.locator("table").filter(has_text="track position (m)").first
    hovered = table.inner_text()
    page.mouse.move(5, 5)
    deadline = time.monotonic() + 60
    while table.inner_text() == hovered and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    before = heading.inner_text()
    assert "click to pin" in before and table.inner_text() != hovered  # the readout followed
    page.mouse.click(stack["x"] + stack["width"] * 0.5, stack["y"] + 100)
    deadline = time.monotonic() + 60
    while "click to pin" in heading.inner_text() and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    after = heading.inner_text()
    assert after != before and "Ref · " in labels
    page.screenshot(path=str(ARTIFACTS / "lap_analysis_cursor.png"))
    assert lap_analysis.cell_errors() == [] and lap_analysis.console_errors == []


def test_picking_another_reference_lap_changes_what_is_shown(lap_analysis: AppPage) -> None:
    page = lap_analysis.page
    picker = page.locator("select").nth(1)  # session, then reference
    options = picker.locator("option").all_inner_texts()
    assert options[0].startswith("All-time best") and len(options) > 3
    laps_table = page.locator("table").filter(has_text="vs ref").first
    before = laps_table.inner_text()
    picker.select_option(index=len(options) - 1)  # the slowest lap on the circuit
    deadline = time.monotonic() + 60
    while laps_table.inner_text() == before and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    after = laps_table.inner_text()
    assert after != before
    chosen = options[-1].split(" · ")[0]  # its lap time
    assert "Ref · " in after and chosen in after
    assert lap_analysis.cell_errors() == [] and lap_analysis.console_errors == []


def test_brushing_the_overview_zooms_the_traces_and_the_map(lap_analysis: AppPage) -> None:
    page = lap_analysis.page
    overview = lap_analysis.marks.first.bounding_box()
    assert overview is not None
    y = overview["y"] + overview["height"] / 2
    page.mouse.move(overview["x"] + overview["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(overview["x"] + overview["width"] * 0.4, y, steps=8)
    page.mouse.up()
    laps_table = page.locator("table").filter(has_text="vs ref").first
    whole = laps_table.inner_text()
    lap_analysis.wait_for_text("zoomed on")
    deadline = time.monotonic() + 60
    while laps_table.inner_text() == whole and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert laps_table.inner_text() != whole  # the stretch times now cover the zoomed part
    page.screenshot(path=str(ARTIFACTS / "lap_analysis_zoomed.png"))
    assert lap_analysis.cell_errors() == [] and lap_analysis.console_errors == []


def test_the_reference_editor_renders_and_asks_for_a_token(apps_url: str, browser: Browser) -> None:
    """Served without a token (the demo's apps are read-only), the editor says how to get one
    instead of failing, and still maps a circuit's sector lines (a click on the track reads its
    distance from the line); its edits through the API are tested in
    tests/api/test_ref_editor.py."""
    view = AppPage(browser, app_urls(apps_url)["ref_editor"])
    try:
        view.page.get_by_text("No token").first.wait_for(timeout=RENDER_TIMEOUT_S * 1000)
        view.page.wait_for_timeout(500)  # let late cell messages arrive
        assert view.page.get_by_label("Access token").count() == 1
        # the sector map needs no token: type a circuit and lines, click the track
        view.page.get_by_label("Track", exact=True).fill("ks_monza")
        view.page.get_by_label("Track", exact=True).press("Enter")
        view.page.get_by_label("Sector lines (m from the start line)").fill("2050, 3800")
        view.page.get_by_label("Sector lines (m from the start line)").press("Enter")
        view.wait_for_charts(1)
        box = view.marks.first.bounding_box()
        assert box is not None
        view.page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        clicked = view.page.get_by_text("from the start line: type it").first
        clicked.wait_for(timeout=60_000)
        assert re.search(r"Clicked [\d,]+ m from the start line", clicked.inner_text())
        view.page.screenshot(path=str(ARTIFACTS / "ref_editor_sector_map.png"), full_page=True)
        assert view.cell_errors() == []
        assert view.console_errors == []
        assert "Traceback" not in view.page.locator("body").inner_text()
    finally:
        view.page.close()
