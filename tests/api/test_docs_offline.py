"""``/docs`` renders offline: Swagger UI comes from the API itself (fastapi-offline), and a
real headless Chromium that may reach nothing but loopback lists every operation."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Route, sync_playwright

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(REPO_ROOT / "tests" / "ensure_browser.sh")], check=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_docs_page_loads_no_asset_from_a_cdn(api_url: str) -> None:
    page = httpx.get(f"{api_url}/docs", timeout=10).text
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        src = next(part for part in page.split('"') if part.endswith(asset))
        served = httpx.get(f"{api_url}{src}", timeout=10)
        assert served.status_code == 200 and len(served.content) > 10_000, asset


def test_docs_render_every_operation_in_chromium_offline(api_url: str, browser: Browser) -> None:
    spec = httpx.get(f"{api_url}/openapi.json", timeout=10).json()
    operations = {
        f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item
    }
    elsewhere: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page = browser.new_page()
    try:
        page.route("**/*", loopback_only)
        page.goto(f"{api_url}/docs")
        page.wait_for_selector(".opblock", timeout=60_000)
        shown = {
            f"{summary.query_selector('.opblock-summary-method').inner_text()} "  # type: ignore[union-attr]
            f"{summary.query_selector('.opblock-summary-path').get_attribute('data-path')}"  # type: ignore[union-attr]
            for summary in page.query_selector_all(".opblock-summary")
        }
    finally:
        page.close()
    assert not elsewhere, elsewhere
    assert shown == operations
